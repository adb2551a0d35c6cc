{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set toolbox = {'cls': 'mmpretrain', 'det': 'mmdet', 'seg': 'mmsegmentation'} -%}
{%- set module = {'cls': 'mmpretrain', 'det': 'mmdet', 'seg': 'mmseg'} -%}
"""The README's multi-GPU and Slurm commands, run as printed.

"Train and test" in the README prints, for each task's toolbox::

    mim train PKG $CONFIG --work-dir $WORK_DIR --launcher pytorch --gpus 4
    mim test PKG $CONFIG -C $CHECKPOINT --launcher pytorch --gpus 4
    mim train PKG $CONFIG --work-dir $WORK_DIR --launcher slurm \\
        --gpus 16 --gpus-per-node 8 --partition $PARTITION
    mim test PKG $CONFIG -C $CHECKPOINT --launcher slurm ...

The checks take those lines from the README and

* run mim on each in this process, with ``subprocess.check_call``
  recorded: the exact ``torch.distributed.launch`` and ``srun`` command
  lines it builds;
* run the Slurm lines with bash through a stand-in ``srun`` that records
  its arguments (``test_distributed.py`` runs the lines of both launchers
  to the end, with 2 CPU processes);
* run the Slurm lines after ``pip install timm``, which brings a newer
  click (through huggingface-hub), and show that without the project's
  ``upstream_fixes/mim_click.py`` mim dies on the same command.

The runs use a scratch folder with a link to ``configs``, so nothing is
written into the project.
"""
import importlib
import importlib.util
import json
import os
import re
import shlex
import sys
from collections import namedtuple
from pathlib import Path

import pytest
from fake_slurm import fake_slurm_variables, logged_calls
from project_docs import readme_launcher_line
from stack_helpers import (PROJECT_ROOT, last_traceback, mim_in_process,
                           option, project_env, run)

import upstream_fixes

PARTITION = 'toy-partition'

#: A task of the project: its toolbox as mim names it and as Python
#: imports it, its toy config.
Task = namedtuple('Task', ['name', 'toolbox', 'module', 'config'])


def toy_config(name):
    """The toy config of a task, relative to the project root."""
    found = sorted((PROJECT_ROOT / 'configs' / name).glob('*_toy-*.py'))
    assert len(found) == 1, f'one toy config expected, found {found}'
    return found[0].relative_to(PROJECT_ROOT).as_posix()


TASKS = [
{%- for task in tasks %}
    Task('{{ task }}', '{{ toolbox[task] }}', '{{ module[task] }}', toy_config('{{ task }}')),
{%- endfor %}
]
TOOLS = ('train', 'test')
LAUNCHERS = ('pytorch', 'slurm')
CLICK_SENTINEL_ERROR = "AttributeError: 'Sentinel' object has no " \
    "attribute 'split'"

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def values(task, launcher, workspace):
    """What the README's variables stand for in these runs."""
    return dict(
        CONFIG=task.config,
        WORK_DIR=str(workspace / 'work_dirs' / f'{launcher}_{task.name}'),
        # Only passed on: these runs end before it is read.
        CHECKPOINT=str(workspace / 'never-read.pth'),
        PARTITION=PARTITION)


def expanded(line, variables):
    """The words of a README line with its ``$VARIABLES`` filled in."""
    return shlex.split(re.sub(r'\$([A-Z_]+)', lambda m: variables[m[1]], line))


def toolbox_script(task, tool):
    """The script that mim runs, found the way mim 0.3.9 finds it."""
    root = Path(importlib.import_module(task.module).__file__).parent
    # mim: train prefers .mim/tools, test prefers tools/.
    folders = [root / '.mim' / 'tools', root / 'tools']
    if tool == 'test':
        folders.reverse()
    for folder in folders:
        if (folder / f'{tool}.py').is_file():
            return str(folder / f'{tool}.py')
    pytest.fail(f'{task.toolbox} ships no tools/{tool}.py: reinstall it')


def script_args(task, tool, launcher, variables):
    """What mim passes to the toolbox's script."""
    if tool == 'train':
        return [
            task.config, '--launcher', launcher, '--work-dir',
            variables['WORK_DIR']
        ]
    # The 2.x test.py takes the checkpoint as its second positional.
    return [task.config, variables['CHECKPOINT'], '--launcher', launcher]


def normalized(argv):
    """``argv`` with this Python interpreter written as ``<python>``."""
    python = Path(sys.executable).resolve()
    return [
        '<python>' if Path(arg).resolve() == python else arg for arg in argv
    ]


def expected_srun(task, tool, line, variables):
    """The srun command line that mim builds for a README slurm line."""
    per_node = option(line, '--gpus-per-node')
    return [
        'srun', '-p', PARTITION, f'--gres=gpu:{per_node}',
        f'--ntasks={option(line, "--gpus")}', f'--ntasks-per-node={per_node}',
        '--cpus-per-task=2', '--kill-on-bad-exit=1',
        f'--job-name={Path(task.config).stem}_{tool}', '<python>', '-u',
        toolbox_script(task, tool)
    ] + script_args(task, tool, 'slurm', variables)


def expected_launch(task, tool, line, variables, port):
    """The torch.distributed.launch command of a README pytorch line."""
    return [
        '<python>', '-m', 'torch.distributed.launch',
        f'--nproc_per_node={option(line, "--gpus")}', f'--master_port={port}',
        toolbox_script(task, tool)
    ] + script_args(task, tool, 'pytorch', variables)


def assert_no_click_sentinel(output):
    """Fail with the cause when click's sentinel reached mim."""
    if "'Sentinel' object" in output:
        pytest.fail(
            'click passes its sentinel to mim for the options left out (here '
            '--srun-args): upstream_fixes/mim_click.py did not apply in the '
            'mim process\n' + output[-3000:])


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder to run the commands from: ``configs`` links to the project's.
    """
    root = tmp_path_factory.mktemp('launchers')
    (root / 'configs').symlink_to(
        PROJECT_ROOT / 'configs', target_is_directory=True)
    return root


@pytest.fixture
def fake_slurm(tmp_path):
    """``srun`` and ``scontrol`` stand-ins first on ``PATH``.

    Returns:
        tuple[dict, Path, Path]: The environment to run mim in, and the
        logs of the srun and the scontrol calls.
    """
    variables, srun_log, scontrol_log = fake_slurm_variables(tmp_path)
    return project_env(**variables), srun_log, scontrol_log


# ---------------------------------------------------------------------------
# 1. The command lines mim builds (mim in this process, nothing run)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize('launcher', LAUNCHERS)
@pytest.mark.parametrize('tool', TOOLS)
@pytest.mark.parametrize('task', TASKS, ids=[t.name for t in TASKS])
def test_command_line_mim_builds(monkeypatch, workspace, task, tool, launcher):
    line = readme_launcher_line(task.toolbox, tool, launcher)
    variables = values(task, launcher, workspace)
    result, calls = mim_in_process(monkeypatch, workspace,
                                   expanded(line, variables)[1:])
    assert_no_click_sentinel(repr(result.exception))
    assert result.exit_code == 0, (result.output, result.exception)
    [(command, env)] = calls
    port = env['MASTER_PORT']
    assert 20000 <= int(port) <= 30000
    if launcher == 'slurm':
        expected = expected_srun(task, tool, line, variables)
    else:
        expected = expected_launch(task, tool, line, variables, port)
    assert normalized(command) == expected


# ---------------------------------------------------------------------------
# 2. The Slurm lines through the stand-in
# ---------------------------------------------------------------------------


def run_slurm(task, tool, workspace, fake_slurm, env=None):
    """Run the README's slurm line with bash through the srun stand-in.

    Returns:
        subprocess.CompletedProcess: The run, after the checks of what
        srun got.
    """
    env = env or fake_slurm[0]
    _, srun_log, scontrol_log = fake_slurm
    line = readme_launcher_line(task.toolbox, tool, 'slurm')
    variables = values(task, 'slurm', workspace)
    result = run(line, workspace, dict(env, **variables))
    assert_no_click_sentinel(result.output)
    [call] = logged_calls(srun_log)
    assert normalized(['srun'] + call[1:]) == expected_srun(
        task, tool, line, variables)
    if env['FAKE_SRUN_RUN'] == '1':
        # mmengine's Slurm start asks scontrol for the first node.
        assert logged_calls(scontrol_log) == [[
            'show', 'hostname', 'localhost'
        ]], result.output
    return result


# ---------------------------------------------------------------------------
# 3. Slurm after ``pip install timm``, with and without the project's fix
# ---------------------------------------------------------------------------


def pip(*args):
    command = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    result = run(command + list(args), PROJECT_ROOT, project_env())
    assert result.returncode == 0, result.output[-3000:]


def with_pythonpath(env, before=(), after=()):
    """``env`` with folders on ``PYTHONPATH`` before and after its own."""
    paths = [*map(str, before), env['PYTHONPATH'], *map(str, after)]
    return dict(env, PYTHONPATH=os.pathsep.join(paths))


@pytest.fixture(scope='module')
def timm_installed(tmp_path_factory):
    """What ``pip install timm`` would add here, installed aside.

    pip resolves the install against this environment (``--dry-run``) and
    installs exactly what it would add or upgrade into a folder of its own,
    which goes on ``PYTHONPATH`` after the project: the runs see the
    environment as it would be after the install, and it stays as it is.
    Where timm is installed already (the template's tests install it), the
    environment is the one after the install, and the folder stays empty.

    Returns:
        Path: The folder.
    """
    folder = tmp_path_factory.mktemp('pip-install-timm')
    report = folder.parent / 'pip-install-timm.json'
    pip('install', '--dry-run', '--quiet', '--report', str(report), 'timm')
    wanted = [
        f"{item['metadata']['name']}=={item['metadata']['version']}"
        for item in json.loads(report.read_text())['install']
    ]
    if importlib.util.find_spec('timm') is None:
        assert any(name.startswith('timm==') for name in wanted), wanted
    if wanted:
        pip('install', '--quiet', '--no-deps', '--target', str(folder),
            *wanted)
    return folder


def test_timm_brings_a_click_that_needs_the_fix(timm_installed):
    result = run([
        sys.executable, '-c',
        'from importlib.metadata import version; import importlib.util; '
        "print(version('click'), importlib.util.find_spec('timm').origin)"
    ], PROJECT_ROOT, with_pythonpath(project_env(), after=[timm_installed]))
    assert result.returncode == 0, result.output
    click_version, timm_file = result.stdout.split()
    if any(timm_installed.iterdir()):
        assert Path(timm_file).is_relative_to(timm_installed)
    # huggingface-hub asks for click >= 8.4.2.
    assert upstream_fixes.release(click_version) >= (8, 4, 2), click_version


@pytest.mark.parametrize('tool', TOOLS)
def test_slurm_command_after_pip_install_timm(workspace, fake_slurm,
                                              timm_installed, tool):
    # The stand-in records srun's arguments and ends there: what is
    # checked is mim's parsing (test_distributed.py runs the jobs).
    env = with_pythonpath(
        dict(fake_slurm[0], FAKE_SRUN_RUN='0'), after=[timm_installed])
    result = run_slurm(TASKS[0], tool, workspace, fake_slurm, env)
    assert result.returncode == 0, result.output[-3000:]


@pytest.mark.parametrize(
    'after_timm', [False, True],
    ids=['as-installed', 'after-pip-install-timm'])
def test_slurm_command_dies_in_mim_without_the_fix(request, workspace,
                                                   fake_slurm, unfixed,
                                                   after_timm):
    # mim 0.3.9 with click >= 8.3.1: what upstream_fixes/mim_click.py fixes.
    after = [request.getfixturevalue('timm_installed')] if after_timm else []
    env = with_pythonpath(
        fake_slurm[0], before=[unfixed('mim_click')], after=after)
    task = TASKS[0]
    line = readme_launcher_line(task.toolbox, 'train', 'slurm')
    result = run(line, workspace, dict(env, **values(task, 'slurm',
                                                     workspace)))
    assert result.returncode != 0
    assert last_traceback(result.output).endswith(CLICK_SENTINEL_ERROR), \
        result.output[-3000:]
    assert not logged_calls(fake_slurm[1])  # srun never ran
