{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The fixes of ``upstream_fixes/``: each one is needed, and works.

For each fix, a check shows that upstream is still broken on this stack,
through the original that the fix replaced (``ORIGINALS``): once a release
fixes the problem upstream, the fix's version guard leaves it alone and
that check fails with what to do. Other checks run the commands the fix is
for as the README prints them, without the fix (a copy of
``upstream_fixes/`` with the fix left out, first on ``PYTHONPATH``), where
they fail, and with it, where they work. ``test_launchers.py`` runs the
Slurm commands that ``mim_click`` fixes.
"""
import ast
import pickle
import re
import sys

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from distributed_runs import SYNC_BN_CHECK
from mim.click.customcommand import CustomCommand
from mmengine.runner import checkpoint as mmengine_checkpoint
from stack_helpers import (PROJECT_ROOT, checkpoints, mim_in_process, option,
                           project_env, run, stopped_run, tracebacks)

import upstream_fixes
from upstream_fixes import checkpoint_loading, distributed_cpu, mim_click

#: The modules of ``upstream_fixes/``, with the fixes each one applies on
#: this stack; each has its checks here.
FIXES = {
    'checkpoint_loading': ['checkpoint_weights_only'],
    # Only where CUDA is missing: distributed runs on CPU processes.
    'distributed_cpu': [] if torch.cuda.is_available() else
    ['init_dist_without_cuda', 'ddp_on_cpu', 'sync_batch_norm_on_cpu'],
    'mim_click': ['mim_click_unset'],
}
#: The task whose toy run's checkpoints the checks load.
TASK = '{{ tasks[0] }}'


def upstream(name):
    """The upstream object that fix ``name`` replaced in this process."""
    assert name in upstream_fixes.APPLIED, (
        f'{name}: not applied, the installed versions are outside its '
        'guard; if a release fixed the problem upstream, drop the fix '
        '(docs/en/upstream_fixes.md) and its checks')
    return upstream_fixes.ORIGINALS[name]


def python(code, with_project=True):
    """Run ``python -c code`` in the project root, in a fresh process."""
    result = run([sys.executable, '-c', code], PROJECT_ROOT,
                 project_env(with_project), 300)
    assert result.returncode == 0, result.output[-3000:]
    return result.stdout.splitlines()


def without_fix(unfixed, name, command):
    """``command`` in a shell where the fix module ``name`` is left out."""
    return f'export PYTHONPATH={unfixed(name)}:$PYTHONPATH && {command}'


def weights_only_error(output):
    """The traceback of torch.load's refusal of a checkpoint, if any."""
    found = [
        t for t in tracebacks(output)
        if 'UnpicklingError: Weights only load failed' in t.splitlines()[-1]
    ]
    return found[0] if found else None


@pytest.fixture(scope='module')
def toy_checkpoint(toy_project):
    """The last checkpoint of the README's toy run of :data:`TASK`."""
    toy_project.train(TASK)
    work_dir = option(toy_project.commands[TASK][0], '--work-dir')
    return checkpoints(toy_project.path / work_dir)[-1]


# ---------------------------------------------------------------------------
# The package: which fixes there are, when they apply, their guards
# ---------------------------------------------------------------------------


def test_every_fix_has_its_checks_here():
    assert sorted(upstream_fixes.FIX_MODULES) == sorted(FIXES)


def test_every_fix_applies_on_this_stack():
    import mim.click  # noqa: F401
    import mmengine.runner  # noqa: F401
    applied = sum(FIXES.values(), [])
    assert sorted(upstream_fixes.APPLIED) == sorted(applied)


def test_fixes_wait_for_the_modules_they_fix():
    # sitecustomize.py imports the package in every process that has the
    # project on PYTHONPATH: it must cost nothing there.
    before, imported, after = python(
        'import sys, upstream_fixes as u; '
        'print(u.APPLIED); '
        'print(sorted(m for m in ("torch", "mmengine", "mim", "click") '
        'if m in sys.modules)); '
        'import mmengine.runner, mim.click; print(u.APPLIED)')
    assert ast.literal_eval(before) == []
    assert ast.literal_eval(imported) == []
    assert sorted(ast.literal_eval(after)) == sorted(sum(FIXES.values(), []))


def test_configs_apply_the_fixes_through_custom_imports():
    # Without sitecustomize.py: the config's custom_imports alone.
    config = sorted(PROJECT_ROOT.glob('configs/{{ tasks[0] }}/*_toy-*.py'))[0]
    *_, applied = python(
        'import sys; sys.path.insert(0, ""); '
        'from mmengine.config import Config; '
        f'Config.fromfile({str(config)!r}); '
        'import upstream_fixes as u; print(u.APPLIED)',
        with_project=False)
    assert 'checkpoint_weights_only' in ast.literal_eval(applied)


#: (fix module, module attribute that holds a version, a version the fix is
#: for, one it leaves alone).
GUARDS = [
    (checkpoint_loading, 'mmengine', '0.10.7', '0.11.0'),
    (checkpoint_loading, 'torch', '2.6.0', '2.5.1'),
    (mim_click, 'mim_version', '0.3.9', '0.3.10'),
]


@pytest.mark.parametrize('module, holder, broken, fixed', GUARDS)
def test_version_guards(monkeypatch, module, holder, broken, fixed):
    if module is mim_click:
        # Whether the installed click needs it is the next test's.
        monkeypatch.setattr(mim_click, 'version', lambda name: '8.3.1')
    for version, needed in ((broken, True), (fixed, False)):
        if holder == 'mim_version':
            monkeypatch.setattr(module, holder, version)
        else:
            monkeypatch.setattr(
                getattr(module, holder), '__version__', version)
        assert module.needed() is needed, version


@pytest.mark.parametrize('click_version, needed', [('8.2.1', False),
                                                   ('8.3.0', False),
                                                   ('8.3.1', True),
                                                   ('8.5.1', True)])
def test_mim_click_guard_follows_click(monkeypatch, click_version, needed):
    monkeypatch.setattr(mim_click, 'version', lambda name: click_version)
    assert mim_click.needed() is needed


# ---------------------------------------------------------------------------
# checkpoint_loading: the project's own checkpoints
# ---------------------------------------------------------------------------


def test_checkpoint_upstream_refuses_the_toy_checkpoint(toy_checkpoint):
    original = upstream('checkpoint_weights_only')
    assert original is not checkpoint_loading.load_from_local
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        original(str(toy_checkpoint), 'cpu')


def test_checkpoint_loads_through_mmengine(toy_checkpoint):
    loader = mmengine_checkpoint.CheckpointLoader
    assert loader._get_checkpoint_loader(
        str(toy_checkpoint)) is checkpoint_loading.load_from_local
    checkpoint = loader.load_checkpoint(str(toy_checkpoint), 'cpu')
    # What a resumed run needs besides the weights.
    assert {
        'meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers'
    } <= set(checkpoint)


def test_checkpoint_missing_file_still_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        checkpoint_loading.load_from_local(str(tmp_path / 'missing.pth'))


def test_checkpoint_remote_path_needs_no_fix(toy_checkpoint, tmp_path):
    # http(s):// checkpoints go through torch.hub, whose weights_only
    # default is still False; urllib also serves file:// URLs, which lets
    # mmengine's load_from_http run without a network.
    checkpoint = mmengine_checkpoint.load_from_http(
        toy_checkpoint.as_uri(),
        map_location='cpu',
        model_dir=str(tmp_path / 'hub'))
    assert 'message_hub' in checkpoint


def test_readme_test_command_needs_the_fix(toy_project, unfixed):
    train, test = toy_project.commands[TASK]
    toy_project.train(TASK)
    unfixed_run = toy_project.shell(
        without_fix(unfixed, 'checkpoint_loading', test))
    assert unfixed_run.returncode != 0
    assert weights_only_error(unfixed_run.stdout), unfixed_run.stdout[-3000:]
    # With the fix: the README's command as the project's tests run it.
    output = toy_project.test(TASK)
    assert weights_only_error(output) is None
    assert 'Loads checkpoint by local backend from path' in output


def test_readme_resume_needs_the_fix(toy_project, unfixed):
    # test_readme_try_it.py resumes such a run with the fix.
    command, work_dir, _ = stopped_run(toy_project, TASK, 'resume-unfixed')
    stopped_at = checkpoints(work_dir)
    unfixed_run = toy_project.shell(
        without_fix(unfixed, 'checkpoint_loading', command))
    assert unfixed_run.returncode != 0
    assert weights_only_error(unfixed_run.stdout), unfixed_run.stdout[-3000:]
    assert checkpoints(work_dir) == stopped_at


# ---------------------------------------------------------------------------
# mim_click: options left out, with the click installed here
# ---------------------------------------------------------------------------

SLURM_TRAIN = [
    'train', 'mmpretrain', 'config.py', '--launcher', 'slurm', '--gpus', '16',
    '--gpus-per-node', '8', '--partition', 'toy-partition'
]


def test_mim_click_upstream_passes_the_sentinel(monkeypatch, tmp_path):
    (tmp_path / 'config.py').write_text('')
    monkeypatch.setattr(CustomCommand, 'parse_args',
                        upstream('mim_click_unset'))
    result, calls = mim_in_process(monkeypatch, tmp_path, SLURM_TRAIN)
    assert isinstance(result.exception, AttributeError)
    assert str(result.exception) == "'Sentinel' object has no attribute " \
        "'split'"
    assert not calls


def test_mim_click_fix_leaves_none_for_options_left_out(monkeypatch, tmp_path):
    (tmp_path / 'config.py').write_text('')
    result, calls = mim_in_process(monkeypatch, tmp_path, SLURM_TRAIN)
    assert result.exit_code == 0, (result.output, result.exception)
    [(command, _)] = calls
    # No --srun-args: mim's own job name, and nothing else, before python.
    assert command[8:11] == ['--job-name=config_train', sys.executable, '-u']


# ---------------------------------------------------------------------------
# distributed_cpu: --launcher pytorch|slurm without CUDA (test_distributed.py
# runs the README's commands)
# ---------------------------------------------------------------------------

needs_no_cuda = pytest.mark.skipif(
    torch.cuda.is_available(),
    reason='the fixes apply only where CUDA is missing (the subprocess '
    'checks here and test_distributed.py hide the GPUs instead)')

INIT_DIST_CHECK = """
import os, socket
with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
os.environ.update(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
                  LOCAL_WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                  MASTER_PORT=str(port))
import mmengine.runner
from mmengine.dist import init_dist
import torch.distributed as dist
# What the runner does with env_cfg.dist_cfg.
init_dist('pytorch', backend='nccl')
print('BACKEND', dist.get_backend(), dist.get_world_size())
"""


def run_without_cuda(args, with_project=True):
    """Run Python as the launchers would, with the GPUs hidden."""
    return run([sys.executable] + args, PROJECT_ROOT,
               project_env(with_project, CUDA_VISIBLE_DEVICES=''), 300)


@pytest.mark.parametrize('cuda, version, needed', [(False, '0.10.7', True),
                                                   (False, '0.11.0', False),
                                                   (True, '0.10.7', False)])
def test_distributed_cpu_guard(monkeypatch, cuda, version, needed):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: cuda)
    monkeypatch.setattr(distributed_cpu.mmengine, '__version__', version)
    assert distributed_cpu.needed() is needed


def test_init_dist_upstream_needs_a_gpu():
    result = run_without_cuda(['-c', INIT_DIST_CHECK], with_project=False)
    assert result.returncode != 0
    assert 'torch.cuda.set_device(local_rank)' in result.output
    assert re.search('NVIDIA driver|not compiled with CUDA|No CUDA GPUs',
                     result.output), result.output[-3000:]


def test_init_dist_starts_gloo_without_cuda():
    result = run_without_cuda(['-c', INIT_DIST_CHECK])
    assert result.returncode == 0, result.output[-3000:]
    assert 'BACKEND gloo 1' in result.stdout


@pytest.mark.parametrize(
    'with_project', [False, True], ids=['upstream', 'fixed'])
def test_sync_batch_norm_trains_on_cpus(tmp_path, with_project):
    script = tmp_path / 'sync_bn.py'
    script.write_text(SYNC_BN_CHECK)
    result = run_without_cuda(
        [str(script), str(tmp_path / 'init'), 'mmengine.runner'], with_project)
    if not with_project:
        assert result.returncode != 0
        assert 'SyncBatchNorm layers only work with GPU modules' in \
            result.output
        return
    assert result.returncode == 0, result.output[-3000:]
    ranks = re.findall(r'rank (\d): (SAME|DIFFERENT)', result.stdout)
    assert sorted(ranks) == [('0', 'SAME'), ('1', 'SAME')], result.stdout


@pytest.fixture(scope='module')
def process_group(tmp_path_factory):
    """A gloo process group of world size 1."""
    if dist.is_initialized():
        yield
        return
    init_file = tmp_path_factory.mktemp('dist') / 'init'
    dist.init_process_group(
        'gloo', init_method=init_file.as_uri(), rank=0, world_size=1)
    yield
    dist.destroy_process_group()


@needs_no_cuda
def test_mmddp_takes_a_cpu_model_with_the_runners_device_ids(process_group):
    from mmengine.model import MMDistributedDataParallel

    # What Runner.wrap_model passes: device_ids=[LOCAL_RANK].
    model = MMDistributedDataParallel(
        module=nn.Linear(4, 2), device_ids=[0], broadcast_buffers=False)
    assert model.device_ids is None
    model(torch.randn(3, 4)).sum().backward()
    upstream_init = upstream('ddp_on_cpu')
    with pytest.raises(ValueError, match='device_ids'):
        upstream_init(
            MMDistributedDataParallel.__new__(MMDistributedDataParallel),
            module=nn.Linear(4, 2),
            device_ids=[0])
