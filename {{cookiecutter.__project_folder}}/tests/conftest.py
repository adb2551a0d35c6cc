{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set toy = cookiecutter.__config_prefix ~ '-' ~ cookiecutter.__toy_arch -%}
"""Fixtures shared by the project's tests."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# The configs import ``models`` and ``upstream_fixes`` (their
# ``custom_imports``), which ``export PYTHONPATH=$(pwd)`` makes importable.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

#: What the toy runs need of the project; they write ``data/toy/`` and
#: ``work_dirs/`` into a copy, never into the project.
TOY_PROJECT_FILES = ('configs', 'models', 'tools', 'upstream_fixes',
                     'sitecustomize.py')

#: The README's toy commands of each task: train, then test. A det/seg toy
#: config starts from the classification run's checkpoint when there is one.
TOY_COMMANDS = {
{%- if 'cls' in tasks %}
    'cls': (
        'mim train mmcls configs/cls/{{ toy }}_toy-digits.py '
        '--work-dir work_dirs/{{ toy }}_toy-digits --seed 0',
        'mim test mmcls configs/cls/{{ toy }}_toy-digits.py '
        '-C work_dirs/{{ toy }}_toy-digits/latest.pth --metrics accuracy'),
{%- endif %}
{%- if 'det' in tasks %}
    'det': (
        'mim train mmdet configs/det/mask-rcnn_{{ toy }}_fpn_toy-shapes.py '
        '--work-dir work_dirs/mask-rcnn_{{ toy }}_fpn_toy-shapes --seed 0',
        'mim test mmdet configs/det/mask-rcnn_{{ toy }}_fpn_toy-shapes.py '
        '-C work_dirs/mask-rcnn_{{ toy }}_fpn_toy-shapes/latest.pth '
        '--eval bbox segm'),
{%- endif %}
{%- if 'seg' in tasks %}
    'seg': (
        'mim train mmseg configs/seg/upernet_{{ toy }}_toy-shapes.py '
        '--work-dir work_dirs/upernet_{{ toy }}_toy-shapes --seed 0',
        'mim test mmseg configs/seg/upernet_{{ toy }}_toy-shapes.py '
        '-C work_dirs/upernet_{{ toy }}_toy-shapes/latest.pth --eval mIoU'),
{%- endif %}
}


class ToyProject:
    """A copy of the project in which commands run as a user types them.

    Each command runs once per test session; later calls get the output of
    the first run, so tests that need the same training share it.

    Args:
        path (Path): An empty folder to copy the project into.
    """

    def __init__(self, path):
        self.path = path
        for name in TOY_PROJECT_FILES:
            source = PROJECT_ROOT / name
            if source.is_dir():
                shutil.copytree(
                    source,
                    path / name,
                    ignore=shutil.ignore_patterns('__pycache__'))
            elif source.exists():
                shutil.copy(source, path / name)
        # What ``export PYTHONPATH=$(pwd)`` gives; figures go to files.
        self.env = dict(os.environ, PYTHONPATH=str(path), MPLBACKEND='Agg')
        self.commands = TOY_COMMANDS
        self.outputs = {}

    def shell(self, command, timeout=900):
        """Run ``command`` with bash in the copy.

        Returns:
            subprocess.CompletedProcess: With standard output and error
            interleaved in ``stdout``.
        """
        return subprocess.run(['bash', '-c', command],
                              cwd=self.path,
                              env=self.env,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              text=True,
                              timeout=timeout)

    def run(self, command, timeout=900):
        """Run ``command`` once, which must succeed; its output."""
        if command not in self.outputs:
            run = self.shell(command, timeout)
            assert run.returncode == 0, (f'`{command}` failed:\n' +
                                         run.stdout[-5000:])
            self.outputs[command] = run.stdout
        return self.outputs[command]

    def train(self, task):
        """Run the toy training of ``task`` (after the one it starts from).

        Returns:
            str: What the training printed.
        """
        if task != 'cls' and 'cls' in TOY_COMMANDS:
            self.run(TOY_COMMANDS['cls'][0])
        return self.run(TOY_COMMANDS[task][0])

    def test(self, task):
        """Run the toy test of ``task`` after its training; its output."""
        self.train(task)
        return self.run(TOY_COMMANDS[task][1])

    def train_losses(self, task, work_dir=None, run=-1):
        """The training losses of a run's json log, in order.

        Args:
            task (str): Whose toy training logged them.
            work_dir (str, optional): Another work dir than the toy
                command's.
            run (int): Which of the runs logged in the work dir, in the
                order they started (a resumed run logs to a new file).

        Returns:
            list[float]: The losses.
        """
        if work_dir is None:
            command = TOY_COMMANDS[task][0].split()
            work_dir = command[command.index('--work-dir') + 1]
        logs = sorted((self.path / work_dir).glob('*.log.json'))
        assert logs, f'no json log in {work_dir}'
        records = map(json.loads, logs[run].read_text().splitlines())
        return [
            record['loss'] for record in records
            if record.get('mode') == 'train' and 'loss' in record
        ]


@pytest.fixture(scope='session')
def toy_project(tmp_path_factory):
    """A :class:`ToyProject` with the toy data made."""
    project = ToyProject(tmp_path_factory.mktemp('toy_project'))
    project.run('python tools/make_toy_data.py')
    return project


@pytest.fixture
def param_groups_by_name():
    """Map each parameter's name to its optimizer group.

    Returns:
        callable: ``(model, optimizer) -> dict[str, dict]``, for the
        parameters that ``optimizer`` holds.
    """

    def group_by_name(model, optimizer):
        groups = {
            id(param): group
            for group in optimizer.param_groups
            for param in group['params']
        }
        return {
            name: groups[id(param)]
            for name, param in model.named_parameters()
            if id(param) in groups
        }

    return group_by_name
