"""Helpers of the stack checks, which run inside a baked project.

The template's tests render these files into ``<project>/tests/stack/`` and
run them with the project's own tests, so the project's fixtures (its
``toy_project`` above all) and its toy runs are shared.
"""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import torch
from PIL import Image
from project_docs import readme_commands


def drawn_images(folder):
    """The names of the PNG and JPEG files under ``folder``, each readable.

    Returns:
        list[str]: The names (not paths), sorted.
    """
    names = []
    for path in sorted(folder.rglob('*')):
        if path.suffix.lower() not in ('.png', '.jpg', '.jpeg'):
            continue
        with Image.open(path) as image:
            image.verify()
        names.append(path.name)
    return sorted(names)


def succeeded(run):
    """The output of a finished command, which must have succeeded.

    Args:
        run (subprocess.CompletedProcess): What ``toy_project.shell`` gave.

    Returns:
        str: Its standard output and error, interleaved.
    """
    assert run.returncode == 0, f'`{run.args[-1]}` failed:\n' + \
        run.stdout[-5000:]
    return run.stdout


def assert_loaded_classification_checkpoint(output):
    """Assert that a det/seg run's backbone started from a classifier's.

    Args:
        output (str): What the ``mim train`` command printed.
    """
    loaded = r'load backbone\. in model from: work_dirs/\S+\.pth'
    assert re.search(loaded, output), output[-3000:]
    # mmcv loads non-strictly and only logs what did not fit. The classifier
    # lacks just the norms (and, for BN, their running statistics) of the
    # extra output stages.
    assert 'unexpected key in source state_dict' not in output
    assert 'size mismatch' not in output
    for missing in re.findall(r'missing keys in source state_dict: (.*)',
                              output):
        for key in missing.split(', '):
            assert re.fullmatch(
                r'norm\d+\.(weight|bias|running_mean|running_var'
                r'|num_batches_tracked)', key), key


def train_losses(work_dir, run=-1):
    """The training losses of a run's json log, in order."""
    import json
    logs = sorted(Path(work_dir).glob('*.log.json'))
    assert logs, f'no json log in {work_dir}'
    return [
        record['loss']
        for record in map(json.loads, logs[run].read_text().splitlines())
        if record.get('mode') == 'train' and 'loss' in record
    ]


class TryIt:
    """Runs the README's commands as printed, in the project's toy copy.

    Commands run through the project's ``toy_project`` fixture, so a
    README command that its own tests also run is run once.

    Args:
        toy_project (ToyProject): The project's ``toy_project`` fixture.
    """

    def __init__(self, toy_project):
        self.toy_project = toy_project
        self.workspace = toy_project.path
        self.env = toy_project.env
        self.commands = readme_commands('try-it')
        self._resumed = {}
        assert self.commands[0] == 'export PYTHONPATH=$(pwd)'

    def command(self, start):
        matches = [cmd for cmd in self.commands if cmd.startswith(start)]
        assert len(matches) == 1, f'README commands starting {start!r}: ' \
            f'{matches}'
        return matches[0]

    def run(self, start):
        """Run the README command starting with ``start`` once; its output."""
        return self.toy_project.run(self.command(start))

    def shell(self, command, timeout=900):
        """Run ``command`` in the toy copy, not once only; its output."""
        return succeeded(self.toy_project.shell(command, timeout))

    def look(self, toolbox):
        """Run the README's "look" commands of ``toolbox`` once; their folders.

        Args:
            toolbox (str): ``mmcls``, ``mmdet`` or ``mmseg``.

        Returns:
            dict[str, Path]: The folder each drawing option (``--out-dir``,
            ``--output-dir``, ``--show-dir``) of the commands names, and
            under ``confusion_matrix`` the save folder of that tool.
        """
        folders = {}
        for command in readme_commands('look'):
            if f' {toolbox} ' not in command:
                continue
            # Seconds on the toy data; a drawing loop that never ends
            # (mmseg's browse_dataset before its fix) fails sooner.
            self.toy_project.run(command, timeout=300)
            for option, folder in re.findall(
                    r'(--out-dir|--output-dir|--show-dir) (\S+)', command):
                folders[option] = self.workspace / folder
            save_dir = re.search(r' confusion_matrix \S+ \S+ (\S+)', command)
            if save_dir:
                folders['confusion_matrix'] = self.workspace / save_dir[1]
        assert folders, f'the docs show no look commands for {toolbox}'
        return folders

    def assert_drew_each_image(self, folder, images):
        """Assert that ``folder`` holds a drawing of each image of ``images``.

        Args:
            folder (Path): Where a drawing command of :meth:`look` wrote.
            images (str): The data folder it drew, relative to the project.
        """
        expected = sorted(
            path.name for path in (self.workspace / images).iterdir())
        assert drawn_images(folder) == expected, folder

    def work_dir(self, toolbox):
        """The ``--work-dir`` of the README's ``mim train <toolbox>``."""
        command = self.command(f'mim train {toolbox}')
        return re.search(r'--work-dir (\S+)', command)[1]

    def train(self, toolbox, finetunes=False):
        """Run the README's ``mim train <toolbox>`` once; its losses.

        Args:
            toolbox (str): ``mmcls``, ``mmdet`` or ``mmseg``.
            finetunes (bool): Whether the run must start from the
                classification checkpoint of the README's first run.

        Returns:
            list[float]: The training losses of the run, in order.
        """
        output = self.run(f'mim train {toolbox}')
        if finetunes:
            assert_loaded_classification_checkpoint(output)
        return train_losses(self.workspace / self.work_dir(toolbox))

    def stop_and_resume(self, toolbox, stop_at, resume_until):
        """Stop the README's training, then resume it with --resume-from.

        Runs once per set of arguments; later calls return the same
        checkpoints.

        Args:
            toolbox (str): ``mmcls``, ``mmdet`` or ``mmseg``.
            stop_at (str): The checkpoint after which the first run is
                killed, e.g. ``epoch_2.pth``.
            resume_until (str): The checkpoint after which the resumed run
                is killed.

        Returns:
            tuple[dict]: The two checkpoints, loaded.
        """
        work_dir = self.stopped_work_dir(toolbox)
        if (toolbox, stop_at, resume_until) not in self._resumed:
            command = self.command(f'mim train {toolbox}').replace(
                self.work_dir(toolbox), work_dir)
            self.stop_when(command, f'{work_dir}/{stop_at}')
            self.stop_when(f'{command} --resume-from {work_dir}/{stop_at}',
                           f'{work_dir}/{resume_until}')
            self._resumed[toolbox, stop_at, resume_until] = tuple(
                torch.load(
                    self.workspace / work_dir / name,
                    map_location='cpu',
                    weights_only=False) for name in (stop_at, resume_until))
        return self._resumed[toolbox, stop_at, resume_until]

    @staticmethod
    def stopped_work_dir(toolbox):
        """The work dir of :meth:`stop_and_resume`."""
        return f'work_dirs/{toolbox}-stopped'

    def stopped_losses(self, toolbox):
        """The losses of the stopped run of :meth:`stop_and_resume`."""
        return train_losses(
            self.workspace / self.stopped_work_dir(toolbox), run=0)

    def stop_when(self, command, checkpoint, timeout=900):
        """Start ``command`` and kill it once ``checkpoint`` is written.

        mmcv points ``latest.pth`` at a checkpoint after writing it whole,
        so the link, not the file, says when the run may be killed.
        """
        process = subprocess.Popen(['bash', '-c', command],
                                   cwd=self.workspace,
                                   env=self.env,
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        checkpoint = self.workspace / checkpoint
        latest = checkpoint.parent / 'latest.pth'
        deadline = time.monotonic() + timeout
        try:
            while not (latest.is_symlink()
                       and os.readlink(latest) == checkpoint.name):
                assert process.poll() is None, f'`{command}` ended early'
                assert time.monotonic() < deadline, f'no {checkpoint}'
                time.sleep(0.5)
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it had finished by itself
            process.wait()
