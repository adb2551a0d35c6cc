{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The README's multi-GPU and Slurm commands, run as printed.

For each task of this project the README prints::

    mim train PKG $CONFIG --work-dir $WORK_DIR --launcher pytorch --gpus 4
    mim test PKG $CONFIG -C $CHECKPOINT EVAL_ARGS --launcher pytorch --gpus 4
    mim train PKG $CONFIG --work-dir $WORK_DIR --launcher slurm \\
        --gpus 16 --gpus-per-node 8 --partition $PARTITION
    mim test PKG $CONFIG -C $CHECKPOINT EVAL_ARGS --launcher slurm \\
        --gpus 16 --gpus-per-node 8 --partition $PARTITION

The tests check, in four steps:

* the exact command lines that mim builds from them (``srun`` options,
  ``torch.distributed.launch`` options, the toolbox script's arguments),
  with mim run in this process and its ``subprocess.check_call`` recorded;
* that the commands run: ``srun`` is a stand-in on ``PATH`` that records its
  arguments and runs the command as the tasks of a Slurm job (local
  processes, with the environment Slurm sets for each), ``--launcher
  pytorch`` goes through the real ``torch.distributed.launch``. With a GPU
  the ``*_on_gpu`` tests run the toy configs to the end with ``--gpus 1``
  (a short training, then a test of the checkpoint it saved, to its
  metrics); ``test_distributed.py`` runs them with 2 CPU processes on any
  machine;
* that the single-GPU / CPU forms (``--launcher none``) reach the toolboxes'
  scripts with the arguments mim built, ``sitecustomize.py`` loaded.
* that the errors the docs list (``troubleshooting.md``) for a shell without
  ``export PYTHONPATH=$(pwd)`` are those its commands print there;
* that the Slurm commands still work once a common install (``pip install
  timm``) has upgraded click past the versions that mim 0.3.9 knows.

The smoke configs are ``configs/<task>/*toy-*.py`` (``README.md``); the runs
use a scratch folder with a link to ``configs`` and the toy data, so nothing
is written into the project.
"""
import importlib
import json
import os
import re
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest
import torch
from fake_slurm import fake_slurm_variables, logged_calls
from project_docs import PROJECT_ROOT, docs_text

# mim runs in this process too (its command lines): with the project's fix
# of its click parsing, as in the ``mim`` that sitecustomize.py reaches.
import upstream_fixes  # noqa: F401

HAS_GPU = torch.cuda.is_available()
PARTITION = 'toy-partition'

#: A task of this project: its toolbox, the arguments its ``mim test``
#: takes in the README, what only its evaluation prints, where its builder
#: is, and the ``--cfg-options`` that shorten the smoke config's schedule
#: for a run on a GPU.
Task = namedtuple(
    'Task',
    ['name', 'package', 'eval_args', 'metric', 'builder', 'short_schedule'])

TASKS = [
{%- if 'cls' in tasks %}
    Task('cls', 'mmcls',
         ['--metrics', 'accuracy', '--metric-options', 'topk=(1, 5)'],
         'accuracy_top-5', ('mmcls.models', 'build_classifier'),
         ['runner.max_epochs=1', 'evaluation.interval=1']),
{%- endif %}
{%- if 'det' in tasks %}
    Task('det', 'mmdet', ['--eval', 'bbox', 'segm'], 'bbox_mAP',
         ('mmdet.models', 'build_detector'), [
             'runner.max_epochs=1', 'evaluation.interval=1',
             'model.backbone.init_cfg=None'
         ]),
{%- endif %}
{%- if 'seg' in tasks %}
    Task('seg', 'mmseg', ['--eval', 'mIoU'], 'aAcc',
         ('mmseg.models', 'build_segmentor'), [
             'runner.max_iters=2', 'evaluation.interval=2',
             'checkpoint_config.interval=2', 'model.backbone.init_cfg=None'
         ]),
{%- endif %}
]
TASK_IDS = [task.name for task in TASKS]
TOOLS = ['train', 'test']
needs_gpu = pytest.mark.skipif(
    not HAS_GPU,
    reason='runs the commands on CUDA GPUs with nccl, as on a cluster '
    '(test_distributed.py runs them with 2 CPU processes over gloo)')

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def smoke_config(task):
    """The toy config of ``task``, relative to the project root."""
    found = sorted((PROJECT_ROOT / 'configs' / task.name).glob('*toy-*.py'))
    assert len(found) == 1, f'one smoke config expected, found {found}'
    return found[0].relative_to(PROJECT_ROOT).as_posix()


def toolbox_script(task, tool):
    """The script that mim runs, found the way mim finds it."""
    module = importlib.import_module(task.package)
    root = Path(module.__file__).parent
    # mim: train prefers .mim/tools, test prefers tools/.
    candidates = [root / '.mim' / 'tools', root / 'tools']
    if tool == 'test':
        candidates.reverse()
    for folder in candidates:
        if (folder / f'{tool}.py').is_file():
            return str(folder / f'{tool}.py')
    pytest.fail(f'{task.package} ships no tools/{tool}.py: reinstall it')


def same_python(path):
    return os.path.realpath(path) == os.path.realpath(sys.executable)


def normalized(argv):
    """``argv`` with this Python interpreter written as ``<python>``."""
    return ['<python>' if same_python(arg) else arg for arg in argv]


def readme_command(task, tool, launcher, config, work_dir, checkpoint, *extra):
    """The README's ``mim train/test`` arguments (after ``mim``)."""
    if tool == 'train':
        args = ['train', task.package, config, '--work-dir', work_dir]
    else:
        args = ['test', task.package, config, '-C', checkpoint
                ] + task.eval_args
    args += ['--launcher', launcher]
    if launcher == 'pytorch':
        args += ['--gpus', '4']
    elif launcher == 'slurm':
        args += [
            '--gpus', '16', '--gpus-per-node', '8', '--partition', PARTITION
        ]
    return args + list(extra)


def script_args(task, tool, launcher, config, work_dir, checkpoint):
    """What mim passes to the toolbox script for :func:`readme_command`."""
    if tool == 'train':
        return [config, '--launcher', launcher, '--work-dir', work_dir]
    return [config, checkpoint, '--launcher', launcher] + task.eval_args


def mim_executable():
    """``mim`` as the README runs it: the console script of this Python."""
    script = Path(sys.executable).with_name('mim')
    if script.is_file():
        return [str(script)]
    return [sys.executable, '-m', 'mim']


def project_env(with_project=True, **extra):
    """The environment of a shell after ``export PYTHONPATH=$(pwd)``.

    With ``with_project=False``: of a shell where that export was left out.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(('SLURM_', 'MASTER_', 'TORCHELASTIC_'))
        and k not in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'LOCAL_WORLD_SIZE')
    }
    paths = [
        p for p in env.get('PYTHONPATH', '').split(os.pathsep)
        if p and Path(p).resolve() != PROJECT_ROOT
    ]
    if with_project:
        paths.insert(0, str(PROJECT_ROOT))
    env['PYTHONPATH'] = os.pathsep.join(paths)
    env.update(extra)
    return env


def run(args, cwd, env, timeout):
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)
    result.output = result.stdout + result.stderr
    return result


def assert_no_click_sentinel(output):
    """Fail with the cause when click leaks its UNSET sentinel into mim.

    mim 0.3.9's ``CustomCommand.parse_args`` copies an old click's, which
    lacks the step that click >= 8.3.1 relies on to turn the sentinel of
    an option left out into None: ``--launcher slurm`` without
    ``--srun-args`` then dies in ``srun_args.split()``.
    ``upstream_fixes/mim_click.py`` adds the step.
    """
    if "'Sentinel' object" in output:
        pytest.fail(
            'click passes its sentinel to mim for options left out (here '
            '--srun-args): upstream_fixes/mim_click.py did not apply in '
            'the mim process\n' + output[-3000:])


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A folder to run the commands from: ``configs`` links to the project's.

    The configs name their data relative to the working folder
    (``data/toy/...``), so :func:`toy_data` writes it here.
    """
    root = tmp_path_factory.mktemp('workspace')
    (root / 'configs').symlink_to(
        PROJECT_ROOT / 'configs', target_is_directory=True)
    return root


@pytest.fixture(scope='module')
def toy_data(workspace):
    """Write the toy data of a task into the workspace, once."""
    done = set()

    def make(task):
        if task.name not in done:
            result = run([
                sys.executable,
                str(PROJECT_ROOT / 'tools' / 'make_toy_data.py'), '--out',
                str(workspace / 'data' / 'toy'), '--tasks', task.name
            ],
                         cwd=workspace,
                         env=project_env(),
                         timeout=600)
            assert result.returncode == 0, result.output
            done.add(task.name)

    return make


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Build a task's smoke model and save it as a checkpoint, once.

    Untrained weights are enough for ``mim test`` to run; ``meta`` holds
    the classes (and palette) as the toolboxes' own checkpoints do.
    """
    from mmcv import Config
    from mmcv.runner import save_checkpoint
    folder = tmp_path_factory.mktemp('checkpoints')
    made = {}

    def make(task):
        if task.name not in made:
            module, builder = task.builder
            build = getattr(importlib.import_module(module), builder)
            cfg = Config.fromfile(str(PROJECT_ROOT / smoke_config(task)))
            model = build(cfg.model)
            meta = dict(CLASSES=cfg.data.test.get('classes'))
            if cfg.data.test.get('palette') is not None:
                meta['PALETTE'] = cfg.data.test.palette
            path = folder / f'{task.name}.pth'
            save_checkpoint(model, str(path), meta=meta)
            made[task.name] = str(path)
        return made[task.name]

    return make


@pytest.fixture
def fake_slurm(tmp_path):
    """``srun`` and ``scontrol`` stand-ins first on ``PATH``.

    Returns the environment to run mim in and the srun log's path.
    """
    variables, srun_log, _ = fake_slurm_variables(tmp_path)
    return project_env(**variables), srun_log


# ---------------------------------------------------------------------------
# 1. The command lines mim builds (mim in this process, nothing run)
# ---------------------------------------------------------------------------


def mim_in_process(monkeypatch, cwd, args):
    """Run ``mim *args`` in this process; return the commands it ran."""
    from click.testing import CliRunner
    from mim.cli import cli
    calls = []

    def check_call(cmd, env=None, **kwargs):
        calls.append((list(cmd), env))
        return 0

    monkeypatch.setattr(subprocess, 'check_call', check_call)
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(cli, args)
    assert_no_click_sentinel(repr(result.exception))
    assert result.exit_code == 0, (result.output, result.exception)
    assert len(calls) == 1, calls
    return calls[0]


@pytest.mark.parametrize('tool', TOOLS)
@pytest.mark.parametrize('task', TASKS, ids=TASK_IDS)
def test_pytorch_command_line(monkeypatch, workspace, task, tool):
    config = smoke_config(task)
    cmd, env = mim_in_process(
        monkeypatch, workspace,
        readme_command(task, tool, 'pytorch', config, 'wd', 'ckpt.pth'))
    port = env['MASTER_PORT']
    assert 20000 <= int(port) <= 30000
    assert normalized(cmd) == [
        '<python>', '-m', 'torch.distributed.launch', '--nproc_per_node=4',
        f'--master_port={port}',
        toolbox_script(task, tool)
    ] + script_args(task, tool, 'pytorch', config, 'wd', 'ckpt.pth')


def slurm_command(task,
                  tool,
                  config,
                  work_dir='wd',
                  checkpoint='ckpt.pth',
                  cpus_per_task=2,
                  srun_args=None,
                  extra=(),
                  gpus=16,
                  per_node=8):
    """The srun command mim builds for :func:`readme_command` (slurm)."""
    job_name = [f'--job-name={Path(config).stem}_{tool}']
    return [
        'srun', '-p', PARTITION, f'--gres=gpu:{per_node}', f'--ntasks={gpus}',
        f'--ntasks-per-node={per_node}', f'--cpus-per-task={cpus_per_task}',
        '--kill-on-bad-exit=1'
    ] + (srun_args or job_name) + [
        '<python>', '-u', toolbox_script(task, tool)
    ] + script_args(task, tool, 'slurm', config, work_dir,
                    checkpoint) + list(extra)


@pytest.mark.parametrize('tool', TOOLS)
@pytest.mark.parametrize('task', TASKS, ids=TASK_IDS)
def test_slurm_command_line(monkeypatch, workspace, task, tool):
    config = smoke_config(task)
    cmd, env = mim_in_process(
        monkeypatch, workspace,
        readme_command(task, tool, 'slurm', config, 'wd', 'ckpt.pth'))
    assert normalized(cmd) == slurm_command(task, tool, config)
    # mmcv's slurm init reads the port from the environment srun passes on.
    assert 20000 <= int(env['MASTER_PORT']) <= 30000


@pytest.mark.parametrize('task', TASKS, ids=TASK_IDS)
def test_slurm_cpus_per_task_srun_args_and_port(monkeypatch, workspace, task):
    config = smoke_config(task)
    extra = [
        '--cpus-per-task', '6', '--srun-args', '--mem=0 --time=1:00:00',
        '--port', '29555'
    ]
    cmd, env = mim_in_process(
        monkeypatch, workspace,
        readme_command(task, 'train', 'slurm', config, 'wd', None, *extra))
    srun_args = [
        '--mem=0', '--time=1:00:00', f'--job-name={Path(config).stem}_train'
    ]
    assert normalized(cmd) == slurm_command(
        task, 'train', config, cpus_per_task=6, srun_args=srun_args)
    assert env['MASTER_PORT'] == '29555'


@pytest.mark.parametrize('job_name', ['--job-name=mine', '-J mine'])
@pytest.mark.parametrize('task', TASKS, ids=TASK_IDS)
def test_slurm_job_name_from_srun_args(monkeypatch, workspace, task, job_name):
    config = smoke_config(task)
    cmd, _ = mim_in_process(
        monkeypatch, workspace,
        readme_command(task, 'test', 'slurm', config, None, 'ckpt.pth',
                       '--srun-args', job_name))
    # Only ours: mim adds its own job name only when none is given.
    assert normalized(cmd) == slurm_command(
        task, 'test', config, srun_args=job_name.split())


# ---------------------------------------------------------------------------
# 2. The commands run: Slurm through the srun stand-in
# ---------------------------------------------------------------------------


def run_slurm(task, tool, workspace, fake_slurm, checkpoint_path, extra=()):
    """Run the README's slurm command through the srun stand-in (GPUs)."""
    env, log = fake_slurm
    config = smoke_config(task)
    work_dir = str(workspace / 'work_dirs' / f'slurm_{task.name}')
    extra = ['--cfg-options', *extra] if extra else []
    args = readme_command(task, tool, 'slurm', config, work_dir,
                          checkpoint_path, *extra)
    # The stand-in starts a task per GPU of the job: one per GPU here.
    gpus = torch.cuda.device_count()
    args[args.index('--gpus') + 1] = str(gpus)
    args[args.index('--gpus-per-node') + 1] = str(gpus)
    result = run(mim_executable() + args, cwd=workspace, env=env, timeout=600)
    assert_no_click_sentinel(result.output)
    calls = logged_calls(log)
    assert len(calls) == 1, result.output
    assert Path(calls[0][0]).name == 'srun'
    assert normalized(['srun'] + calls[0][1:]) == slurm_command(
        task,
        tool,
        config,
        work_dir,
        checkpoint_path,
        extra=extra,
        gpus=gpus,
        per_node=gpus)
    return result, work_dir


@needs_gpu
@pytest.mark.parametrize('task', TASKS, ids=TASK_IDS)
def test_slurm_job_runs_on_gpu(workspace, fake_slurm, toy_data, task):
    toy_data(task)
    result, work_dir = run_slurm(task, 'train', workspace, fake_slurm, None,
                                 task.short_schedule)
    assert result.returncode == 0, result.output[-6000:]
    assert 'Training finished successfully' in result.output
    trained = Path(work_dir) / 'latest.pth'
    assert trained.exists()
    env, log = fake_slurm
    log.unlink()
    result, _ = run_slurm(task, 'test', workspace, fake_slurm, str(trained))
    assert result.returncode == 0, result.output[-6000:]
    assert 'Testing finished successfully' in result.output
    assert task.metric in result.output, result.output[-6000:]


# ---------------------------------------------------------------------------
# 2. The commands run: --launcher pytorch through torch.distributed.launch
# ---------------------------------------------------------------------------


def run_pytorch(task, tool, workspace, checkpoint_path, extra=()):
    """Run the README's pytorch command with ``--gpus 1``."""
    config = smoke_config(task)
    work_dir = str(workspace / 'work_dirs' / f'pytorch_{task.name}')
    extra = ['--cfg-options', *extra] if extra else []
    args = readme_command(task, tool, 'pytorch', config, work_dir,
                          checkpoint_path, *extra)
    args[args.index('--gpus') + 1] = '1'
    result = run(
        mim_executable() + args, cwd=workspace, env=project_env(), timeout=600)
    # The command mim printed before running it.
    printed = re.search(r'(?:Training|Testing) command is (.*?)\. ?$',
                        result.stdout, re.MULTILINE)
    assert printed, result.output
    port = re.search(r'Using port (\d+) ', result.stdout).group(1)
    expected = [
        '<python>', '-m', 'torch.distributed.launch', '--nproc_per_node=1',
        f'--master_port={port}',
        toolbox_script(task, tool)
    ] + script_args(task, tool, 'pytorch', config, work_dir,
                    checkpoint_path) + extra
    # mim prints the argv joined by spaces (it runs it unjoined).
    assert normalized(printed.group(1).split()) == ' '.join(expected).split()
    return result, work_dir


@needs_gpu
@pytest.mark.parametrize('task', TASKS, ids=TASK_IDS)
def test_pytorch_launcher_runs_on_gpu(workspace, toy_data, task):
    toy_data(task)
    result, work_dir = run_pytorch(task, 'train', workspace, None,
                                   task.short_schedule)
    assert result.returncode == 0, result.output[-6000:]
    assert 'Training finished successfully' in result.output
    trained = Path(work_dir) / 'latest.pth'
    assert trained.exists()
    result, _ = run_pytorch(task, 'test', workspace, str(trained))
    assert result.returncode == 0, result.output[-6000:]
    assert 'Testing finished successfully' in result.output
    assert task.metric in result.output, result.output[-6000:]


# ---------------------------------------------------------------------------
# 3. The single-GPU / CPU forms (--launcher none) with sitecustomize.py
# ---------------------------------------------------------------------------

PROBE_CONFIG = '''import json
import os
import sys

print('PROBE ' + json.dumps(dict(
    argv=sys.argv,
    sitecustomize=getattr(sys.modules.get('sitecustomize'), '__file__',
                          None))), flush=True)
os._exit(0)
'''

#: (task, tool, mim options, what mim adds to the script's arguments).
SINGLE_FORMS = [
{%- for task in tasks %}
{%- if task == 'cls' %}
    # mim's explicit CPU form: it turns --gpus 0 into --device cpu.
    ('cls', 'train', ['--gpus', '0'], ['--device', 'cpu']),
{%- else %}
    # No --device in this train.py: it picks the CPU itself, and mim
    # passes its default --gpus 1.
    ('{{ task }}', 'train', [], ['--gpus', '1']),
{%- endif %}
{%- endfor %}
{%- if 'cls' not in tasks %}
    (TASKS[0].name, 'test', [], []),
{%- endif %}
]


@pytest.mark.parametrize('name, tool, options, passed', SINGLE_FORMS)
def test_single_forms_reach_script_unchanged(workspace, name, tool, options,
                                             passed):
    """``mim train/test`` without a launcher: argv as mim built it.

    ``sitecustomize.py`` runs in the script's process (``PYTHONPATH``) and
    leaves its arguments alone: there is no ``--local-rank``. The probe
    config prints them when the script loads it, then ends the process.
    """
    task = TASKS[TASK_IDS.index(name)]
    probe = workspace / 'probe_config.py'
    probe.write_text(PROBE_CONFIG)
    args = readme_command(task, tool, 'none', probe.name, 'wd', 'ckpt.pth')
    args = args[:args.index('--launcher')] + options
    result = run(
        mim_executable() + args, cwd=workspace, env=project_env(), timeout=300)
    assert result.returncode == 0, result.output
    probed = json.loads(
        re.search(r'^PROBE (.*)$', result.stdout, re.MULTILINE).group(1))
    assert probed['sitecustomize'] == str(PROJECT_ROOT / 'sitecustomize.py')
    assert probed['argv'] == [toolbox_script(task, tool)] + script_args(
        task, tool, 'none', probe.name, 'wd', 'ckpt.pth') + passed
{%- if 'cls' in tasks %}


def test_single_form_cls_test_runs(workspace, toy_data, checkpoint):
    """The README's ``mim test mmcls`` runs to its metrics (CPU or GPU)."""
    task = TASKS[TASK_IDS.index('cls')]
    toy_data(task)
    args = readme_command(task, 'test', 'none', smoke_config(task), None,
                          checkpoint(task))
    args = args[:args.index('--launcher')]
    result = run(
        mim_executable() + args, cwd=workspace, env=project_env(), timeout=600)
    assert result.returncode == 0, result.output[-6000:]
    assert 'accuracy_top-1' in result.output
{%- endif %}


# ---------------------------------------------------------------------------
# 4. The docs' "When a command fails": the errors of a missing PYTHONPATH
# ---------------------------------------------------------------------------

#: Each error the docs list, and the launcher of the README command that
#: prints it when ``export PYTHONPATH=$(pwd)`` was left out.
ERRORS_WITHOUT_PYTHONPATH = {
    "ModuleNotFoundError: No module named 'models'": 'none',
    'error: unrecognized arguments: --local-rank=0': 'pytorch',
}


def readme_errors(language):
    """The errors listed between the ``errors`` markers of the docs."""
    block = re.search(r'<!-- errors:start -->(.*?)<!-- errors:end -->',
                      docs_text(language), re.DOTALL)
    assert block, f'the {language} README and docs have no errors block'
    return re.findall(r'^- `([^`]+)`', block.group(1), re.MULTILINE)


@pytest.mark.parametrize('language', ['en', 'zh_cn'])
def test_readme_lists_the_errors_without_pythonpath(language):
    assert readme_errors(language) == list(ERRORS_WITHOUT_PYTHONPATH)


@pytest.mark.parametrize('error, launcher', ERRORS_WITHOUT_PYTHONPATH.items())
def test_command_without_pythonpath_prints_the_readme_error(
        workspace, error, launcher):
    task = TASKS[0]
    args = readme_command(task, 'train', launcher, smoke_config(task),
                          str(workspace / 'work_dirs' / 'no_pythonpath'), None)
    if launcher == 'pytorch':
        args[args.index('--gpus') + 1] = '1'
    result = run(
        mim_executable() + args,
        cwd=workspace,
        env=project_env(with_project=False),
        timeout=300)
    assert result.returncode != 0, result.output[-3000:]
    assert error in result.output, result.output[-3000:]


#: What ``--launcher slurm`` ends with where Slurm or one of the options mim
#: needs for it is missing, by what is missing: the docs list both.
SLURM_ERRORS = [
    ('srun', "FileNotFoundError: [Errno 2] No such file or directory: 'srun'"),
    ('--partition', 'AssertionError: If launcher is slurm, gpus-per-node and '
     'partition should not be None'),
]


@pytest.mark.parametrize('missing, error', SLURM_ERRORS)
def test_slurm_command_without_slurm_prints_the_readme_error(
        workspace, missing, error):
    task = TASKS[0]
    args = readme_command(task, 'train', 'slurm', smoke_config(task),
                          str(workspace / 'work_dirs' / 'no_slurm'), None)
    env = project_env()
    if missing == 'srun':
        env['PATH'] = str(Path(sys.executable).parent)
    else:
        option = args.index(missing)
        del args[option:option + 2]  # the option and its value
    result = run(mim_executable() + args, cwd=workspace, env=env, timeout=300)
    assert result.returncode != 0, result.output[-3000:]
    assert error in result.output, result.output[-3000:]
    for language in ('en', 'zh_cn'):
        text = ' '.join(docs_text(language).split())
        assert error in text, f'the {language} docs lack {error!r}'


# ---------------------------------------------------------------------------
# 5. --launcher slurm with the click that a common install brings
# ---------------------------------------------------------------------------

#: What stands for each install: ``pip install -U click`` itself, and what
#: ``pip install timm`` would install here (huggingface-hub needs a click
#: far newer than mim 0.3.9).
CLICK_INSTALLS = {
    'newest-click': ['click'],
    'pip-install-timm': ['timm'],
}


def pip(*args):
    result = run(
        [sys.executable, '-m', 'pip', '--disable-pip-version-check', *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        timeout=600)
    assert result.returncode == 0, result.output[-3000:]
    return result


@pytest.fixture(scope='module')
def installed_into(tmp_path_factory):
    """Install what an install of :data:`CLICK_INSTALLS` brings, aside.

    pip resolves the install against this environment (``--dry-run``) and
    installs exactly what it would add or upgrade into a folder of its own,
    which goes on ``PYTHONPATH`` after the project: the run sees that
    environment, and this one stays as it is.

    Returns:
        callable: ``installed_into(name)``, the folder, made once.
    """
    made = {}

    def make(name):
        if name not in made:
            folder = tmp_path_factory.mktemp(name)
            report = folder.parent / f'{name}.json'
            pip('install', '--dry-run', '--quiet', '--upgrade', '--report',
                str(report), *CLICK_INSTALLS[name])
            wanted = [
                f"{item['metadata']['name']}=={item['metadata']['version']}"
                for item in json.loads(report.read_text())['install']
            ]
            if wanted:
                pip('install', '--quiet', '--no-deps', '--target', str(folder),
                    *wanted)
            made[name] = folder
        return made[name]

    return make


def env_with(env, folder, with_project=True):
    """``env`` with ``folder`` on ``PYTHONPATH`` before the environment's."""
    paths = project_env(with_project)['PYTHONPATH'].split(os.pathsep)
    paths.insert(1 if with_project else 0, str(folder))
    return dict(env, PYTHONPATH=os.pathsep.join(p for p in paths if p))


def click_version(env):
    result = run([
        sys.executable, '-c', 'from importlib.metadata import version; '
        "print(version('click'))"
    ],
                 cwd=PROJECT_ROOT,
                 env=env,
                 timeout=60)
    assert result.returncode == 0, result.output
    return result.stdout.strip()


@pytest.mark.parametrize('install', list(CLICK_INSTALLS))
def test_slurm_commands_after_a_click_upgrade(workspace, fake_slurm,
                                              installed_into, install):
    task = TASKS[0]
    config = smoke_config(task)
    env, log = fake_slurm
    # The stand-in records srun's arguments and ends there: what is checked
    # is mim's parsing, on a machine with or without a GPU.
    env = env_with(dict(env, FAKE_SRUN_RUN='0'), installed_into(install))
    version = click_version(env)
    assert upstream_fixes.release(version) >= (8, 3, 1), (
        f'{install} brings click {version}, which mim 0.3.9 copes with: '
        'this test shows nothing there')
    for tool in TOOLS:
        args = readme_command(task, tool, 'slurm', config, 'wd', 'ckpt.pth')
        result = run(mim_executable() + args, workspace, env, timeout=300)
        assert_no_click_sentinel(result.output)
        assert result.returncode == 0, result.output[-3000:]
        [call] = logged_calls(log)
        log.unlink()
        assert normalized(['srun'] + call[1:]) == slurm_command(
            task, tool, config)
    # Without the project's fix, the same command fails in mim.
    env = env_with(env, installed_into(install), with_project=False)
    args = readme_command(task, 'train', 'slurm', config, 'wd', None)
    result = run(mim_executable() + args, workspace, env, timeout=300)
    assert result.returncode != 0
    assert "'Sentinel' object has no attribute 'split'" in result.output
    assert not log.exists()
