{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set toy = cookiecutter.__config_prefix ~ '-' ~ cookiecutter.__toy_arch -%}
"""Fixtures shared by the project's tests."""
import json
import os
import re
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
{%- for task in tasks %}
    '{{ task }}': '{{ openmmlab.toolbox[task] }}',
{%- endfor %}
}
{%- if openmmlab.toy_test_options.values()|select|list %}
TEST_OPTIONS = {
{%- for task in tasks %}
    '{{ task }}': '{{ openmmlab.toy_test_options[task] }}',
{%- endfor %}
}
{%- endif %}


def toy_commands(task):
    """The README's commands of ``task``'s toy config: train, then test."""
    toolbox, name = TOOLBOXES[task], TOY_CONFIGS[task]
    config, work_dir = f'configs/{task}/{name}.py', f'work_dirs/{name}'
    train = f'mim train {toolbox} {config} --work-dir {work_dir}{{ openmmlab.toy_train_options }}'
    checkpoint = f'{{ openmmlab.toy_checkpoint('{work_dir}') }}'
{%- if openmmlab.toy_test_options.values()|select|list %}
    test = f'mim test {toolbox} {config} -C {checkpoint}{TEST_OPTIONS[task]}'
{%- else %}
    test = f'mim test {toolbox} {config} -C {checkpoint}'
{%- endif %}
    return train, test


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

    def shell(self, command, timeout=900, cwd=None):
        """Run ``command`` with bash in the copy.

        Args:
            command (str): A bash command line.
            timeout (float): Seconds before it is stopped.
            cwd (Path, optional): Another folder laid out like the project
                to run it in, after ``export PYTHONPATH=$(pwd)`` there.

        Returns:
            subprocess.CompletedProcess: With standard output and error
            interleaved in ``stdout``.
        """
        cwd = cwd or self.path
        # A process group of its own, so that a command stopped by the
        # timeout or by Ctrl-C does not leave its training running.
        with subprocess.Popen(['bash', '-c', command],
                              cwd=cwd,
                              env=dict(self.env, PYTHONPATH=str(cwd)),
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
        logs = sorted((self.path / work_dir).glob('{{ openmmlab.train_log }}'))
        assert logs, f'no json log in {work_dir}'
        records = map(json.loads, logs[run].read_text().splitlines())
        return [
            record['loss'] for record in records
            if record.get('mode', 'train') == 'train' and 'loss' in record
        ]

    def test_metric(self, task, name):
        """A metric that the toy test of ``task`` printed.

        Args:
            task (str): Whose toy test it is (run if it has not run yet).
            name (str): The metric's name, e.g. ``{{ openmmlab.metric.top1 }}``.

        Returns:
            float: Its last printed value.
        """
        output = self.test(task)
{%- if cookiecutter.openmmlab == '1.x' %}
        # mmcls prints ``name: 1.0``, mmdet ``('name', 1.0)`` and mmseg a
        # summary table: ``| aAcc | mIoU | mAcc |`` over a row of values.
        values = re.findall(rf"\b{re.escape(name)}(?:', |\s*: )([\d.]+)",
                            output)
        lines = output.splitlines()
        for i, line in enumerate(lines):
            cells = [cell.strip() for cell in line.strip('| ').split('|')]
            if line.startswith('|') and 'aAcc' in cells and name in cells:
                row = lines[i + 2].strip('| ').split('|')
                values.append(row[cells.index(name)].strip())
{%- else %}
        # mmengine logs the test's metrics on one line: ``name: 1.0``.
        values = re.findall(rf'\b{re.escape(name)}: ([\d.]+)', output)
{%- endif %}
        assert values, f'no {name} in the output:\n{output[-3000:]}'
        return float(values[-1])


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
