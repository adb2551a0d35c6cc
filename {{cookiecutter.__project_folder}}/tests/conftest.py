import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# The configs import ``models`` (their ``custom_imports``), which the README
# makes importable with ``export PYTHONPATH=$(pwd)``; tests do the same.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def readme_code(section):
    """The lines of the bash block in a marked section of the README.

    Args:
        section (str): The name in ``<!-- section:start -->`` and
            ``<!-- section:end -->``.

    Returns:
        list[str]: The block's lines; none if the README lacks the section.
    """
    readme = (PROJECT_ROOT / 'README.md').read_text(encoding='utf-8')
    start = f'<!-- {section}:start -->'
    if start not in readme:
        return []
    block = readme.split(start)[1].split(f'<!-- {section}:end -->')[0]
    return block.split('```bash')[1].split('```')[0].splitlines()


def readme_commands(section):
    """The commands of a marked README section, one per line.

    Args:
        section (str): As for :func:`readme_code`: ``try-it`` ("Try it in 5
            minutes") or ``look`` ("Look at the data and the predictions").

    Returns:
        list[str]: The block's lines without blank lines and comments.
    """
    return [
        line.strip() for line in readme_code(section)
        if line.strip() and not line.lstrip().startswith('#')
    ]


def param_groups_by_name(model, optimizer):
    """The parameter group that holds each of ``model``'s parameters.

    Args:
        model (nn.Module): The model ``optimizer`` was built for.
        optimizer (Optimizer): The optimizer.

    Returns:
        dict[str, dict]: The groups by parameter name, for the parameters
        that ``optimizer`` holds.
    """
    groups = {
        id(param): group
        for group in optimizer.param_groups
        for param in group['params']
    }
    return {
        name: groups[id(param)]
        for name, param in model.named_parameters() if id(param) in groups
    }


def drawn_images(folder):
    """The file names of the images under ``folder``, each one readable.

    Args:
        folder (Path): A folder a drawing command wrote into (beside its
            images it may write other files, e.g. a JSON of the results).

    Returns:
        list[str]: The names (not paths) of the PNG and JPEG files, sorted.
    """
    names = []
    for path in sorted(folder.rglob('*')):
        if path.suffix.lower() not in ('.png', '.jpg', '.jpeg'):
            continue
        with Image.open(path) as image:
            image.verify()
        names.append(path.name)
    return sorted(names)


def copy_project(workspace):
    """Copy what the README's commands need into ``workspace``.

    Runs there write ``data/`` and ``work_dirs/`` into the copy, never into
    the project.
    """
    for name in ('configs', 'models', 'tools'):
        shutil.copytree(
            PROJECT_ROOT / name,
            workspace / name,
            ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('sitecustomize.py', 'README.md'):
        shutil.copy(PROJECT_ROOT / name, workspace / name)


def project_copy_env(workspace):
    """The environment after ``export PYTHONPATH=$(pwd)`` in ``workspace``."""
    return dict(os.environ, PYTHONPATH=str(workspace), MPLBACKEND='Agg')


def run_shell(command, workspace, timeout=900):
    """Run ``command`` with bash in ``workspace``, as a user would.

    Args:
        command (str): A command line, quoted as in the README.
        workspace (Path): A folder made by :func:`copy_project`.
        timeout (float): Seconds before the command is killed.

    Returns:
        subprocess.CompletedProcess: Its ``returncode``, and its standard
        output and error interleaved in ``stdout``.
    """
    return subprocess.run(['bash', '-c', command],
                          cwd=workspace,
                          env=project_copy_env(workspace),
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True,
                          timeout=timeout)


def shell(command, workspace, timeout=900):
    """Run ``command`` as :func:`run_shell` does; it must succeed.

    Returns:
        str: Its standard output and error, interleaved.
    """
    run = run_shell(command, workspace, timeout)
    assert run.returncode == 0, f'`{command}` failed:\n' + run.stdout[-5000:]
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


class TryIt:
    """Runs the README's commands in a copy of the project, as printed."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.commands = readme_commands('try-it')
        self.env = project_copy_env(workspace)
        self._outputs = {}
        self._resumed = {}
        assert self.commands[0] == 'export PYTHONPATH=$(pwd)'

    def command(self, start):
        matches = [cmd for cmd in self.commands if cmd.startswith(start)]
        assert len(matches) == 1, f'README commands starting {start!r}: ' \
            f'{matches}'
        return matches[0]

    def run(self, start):
        """Run the README command starting with ``start`` once; its output."""
        command = self.command(start)
        if command not in self._outputs:
            self._outputs[command] = self.shell(command)
        return self._outputs[command]

    def shell(self, command, timeout=900):
        return shell(command, self.workspace, timeout)

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
            if command not in self._outputs:
                # Seconds on the toy data; a drawing loop that never ends
                # (mmseg's browse_dataset before the fix) fails sooner.
                self._outputs[command] = self.shell(command, timeout=300)
            for option, folder in re.findall(
                    r'(--out-dir|--output-dir|--show-dir) (\S+)', command):
                folders[option] = self.workspace / folder
            save_dir = re.search(r' confusion_matrix \S+ \S+ (\S+)', command)
            if save_dir:
                folders['confusion_matrix'] = self.workspace / save_dir[1]
        assert folders, f'the README shows no look commands for {toolbox}'
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


def train_losses(work_dir, run=-1):
    """The training losses of a run's json log, in order.

    Args:
        work_dir (str | Path): The run's work dir.
        run (int): Which of the runs logged there, in the order they started
            (a resumed run logs to a new file). Defaults to the last.

    Returns:
        list[float]: The losses.
    """
    logs = sorted(Path(work_dir).glob('*.log.json'))
    assert logs, f'no json log in {work_dir}'
    losses = []
    for line in logs[run].read_text().splitlines():
        record = json.loads(line)
        if record.get('mode') == 'train' and 'loss' in record:
            losses.append(record['loss'])
    return losses


@pytest.fixture(scope='session')
def try_it(tmp_path_factory):
    workspace = tmp_path_factory.mktemp('project')
    copy_project(workspace)
    runner = TryIt(workspace)
    runner.run('python tools/make_toy_data.py')
    return runner
