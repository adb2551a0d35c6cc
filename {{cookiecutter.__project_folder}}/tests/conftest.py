{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set toy = cookiecutter.__config_prefix ~ '-' ~ cookiecutter.__toy_arch -%}
"""Fixtures shared by the project's tests."""
import json
import os
import shutil
import signal
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

#: The toy config of each task: its name, its toolbox, its test's options.
#: A det/seg toy config starts from the classification run's checkpoint
#: when there is one.
TOY_CONFIGS = {
{%- for task, name in [('cls', toy ~ '_toy-digits'), ('det', 'mask-rcnn_' ~ toy ~ '_fpn_toy-shapes'), ('seg', 'upernet_' ~ toy ~ '_toy-shapes')] if task in tasks %}
{%- set line = "    '" ~ task ~ "': '" ~ name ~ "'," %}
{%- if line|length > 79 %}
    '{{ task }}':
    '{{ name }}',{{ '  # noqa: E501' if name|length + 7 > 79 }}
{%- else %}
{{ line }}
{%- endif %}
{%- endfor %}
}
TOOLBOXES = {
{%- for task, toolbox in [('cls', 'mmcls'), ('det', 'mmdet'), ('seg', 'mmseg')] if task in tasks %}
    '{{ task }}': '{{ toolbox }}',
{%- endfor %}
}
TEST_OPTIONS = {
{%- for task, options in [('cls', '--metrics accuracy'), ('det', '--eval bbox segm'), ('seg', '--eval mIoU')] if task in tasks %}
    '{{ task }}': '{{ options }}',
{%- endfor %}
}


def toy_commands(task):
    """The README's commands of ``task``'s toy config: train, then test."""
    toolbox, name = TOOLBOXES[task], TOY_CONFIGS[task]
    config, work_dir = f'configs/{task}/{name}.py', f'work_dirs/{name}'
    return (f'mim train {toolbox} {config} --work-dir {work_dir} --seed 0',
            f'mim test {toolbox} {config} -C {work_dir}/latest.pth '
            f'{TEST_OPTIONS[task]}')


TOY_COMMANDS = {task: toy_commands(task) for task in TOY_CONFIGS}


class ToyProject:
    """A copy of the project in which commands run as a user types them.

    Each command runs once per pytest run; later calls get the output of
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
        # A process group of its own, so that a command stopped by the
        # timeout or by Ctrl-C does not leave its training running.
        with subprocess.Popen(['bash', '-c', command],
                              cwd=self.path,
                              env=self.env,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              text=True,
                              process_group=0) as process:
            try:
                output, _ = process.communicate(timeout=timeout)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                os.killpg(process.pid, signal.SIGKILL)
                raise
        return subprocess.CompletedProcess(process.args, process.returncode,
                                           output)

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
            for name, param in model.named_parameters() if id(param) in groups
        }

    return group_by_name
