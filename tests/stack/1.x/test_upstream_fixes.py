{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The fixes of ``upstream_fixes/`` and how they are loaded.

Each fix has a test that shows the upstream code is still broken on this
stack, through the original that the fix replaced (``ORIGINALS``), and one
that shows the fixed path works. Once a release fixes a problem upstream,
the fix's version guard leaves it alone and its ``upstream`` test fails
with what to do. The tests that move data to a GPU are skipped without
CUDA; the rest run on the CPU. The fix of mim's click parsing is run as the
README prints its commands, in ``test_launchers.py``.
"""
import ast
import collections
import collections.abc
import importlib
import os
import pickle
import re
import socket
import subprocess
import sys
from pathlib import Path

import mim.click.customcommand
import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from distributed_runs import SYNC_BN_CHECK
from mmcv.parallel import (DataContainer, MMDataParallel,
                           MMDistributedDataParallel)
from mmcv.parallel import _functions as mmcv_parallel_functions
from mmcv.parallel import collate
from mmcv.parallel._functions import Scatter
from mmcv.runner import CheckpointLoader, EpochBasedRunner, IterBasedRunner
from mmcv.runner import checkpoint as mmcv_checkpoint
from mmcv.runner import load_checkpoint, save_checkpoint
from mmcv.utils import get_logger
from project_docs import PROJECT_ROOT
from torch.nn.parallel import DistributedDataParallel

import upstream_fixes
from upstream_fixes import (checkpoint_loading, data_parallel,
                            iter_runner_resume, launcher_argv, mim_click)

needs_gpu = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason='needs a CUDA GPU: mmcv scatters the batch to cuda:0 on CUDA '
    'streams')

#: The fixes of the stack that apply on import, all needed on this stack.
STACK_FIXES = [
    'checkpoint_weights_only',
    'scatter_int_stream',
    'mmddp_run_ddp_forward',
    'iter_runner_resume_on_cpu',
    'iter_runner_resume_repeats_iter',
{%- if 'seg' in tasks %}
    'seg_repeat_dataset_iter',
{%- endif %}
]
if not torch.cuda.is_available():
    # Only where CUDA is missing: distributed runs on CPU processes.
    STACK_FIXES += [
        'init_dist_without_cuda', 'ddp_on_cpu', 'collect_results_on_cpu',
        'sync_batch_norm_on_cpu'
    ]


def upstream(name):
    """The upstream object that fix ``name`` replaced in this process."""
    assert name in upstream_fixes.APPLIED, (
        f'{name}: not applied, the installed versions are outside its '
        'guard; if a release fixed the problem upstream, drop the fix '
        '(docs/en/upstream_fixes.md) and its tests')
    return upstream_fixes.ORIGINALS[name]


def run_python(code, with_project=True, cwd=None, later_paths=()):
    """Run ``python -c code`` in a fresh process.

    Args:
        code (str): The code.
        with_project (bool): Whether ``PYTHONPATH`` starts with the project
            (``export PYTHONPATH=$(pwd)``), which loads its
            ``sitecustomize.py``.
        cwd (str, optional): Where to run; the project root by default.
        later_paths (list): Folders to put on ``PYTHONPATH`` after it.

    Returns:
        subprocess.CompletedProcess: With ``stdout`` and ``stderr``.
    """
    env = {k: v for k, v in os.environ.items() if k != 'LOCAL_RANK'}
    # Without the project, no sitecustomize.py of the project is reachable.
    paths = [
        p for p in env.get('PYTHONPATH', '').split(os.pathsep)
        if p and not (Path(p) / 'sitecustomize.py').is_file()
    ]
    if with_project:
        paths.insert(0, str(PROJECT_ROOT))
    paths += [str(p) for p in later_paths]
    env['PYTHONPATH'] = os.pathsep.join(paths)
    args = code if isinstance(code, list) else ['-c', code]
    return subprocess.run(
        [sys.executable] + args,
        cwd=cwd or PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)


class ToyModel(nn.Module):
    """A model with the OpenMMLab 1.x ``train_step``/``val_step`` API."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        # A buffer, so that DDP has buffers to sync before each forward.
        self.bn = nn.BatchNorm1d(2)

    def forward(self, img, return_loss=True):
        assert isinstance(img, torch.Tensor), type(img)
        out = self.bn(self.fc(img))
        return dict(loss=out.pow(2).mean()) if return_loss else out

    def train_step(self, data, optimizer=None):
        loss = self(**data)['loss']
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=4)

    def val_step(self, data, optimizer=None):
        return self.train_step(data, optimizer)


def toy_batch():
    """A batch as mmcv's ``collate`` makes it: ``img`` in a DataContainer."""
    samples = [
        dict(img=DataContainer(torch.randn(4), stack=True, pad_dims=None))
        for _ in range(4)
    ]
    return collate(samples, samples_per_gpu=4)


# ---------------------------------------------------------------------------
# The package: what applies when, the version guards
# ---------------------------------------------------------------------------


def test_every_fix_of_the_stack_applies_here():
    for module in ('mmcls.utils', 'mmcv.engine'):
        importlib.import_module(module)
{%- if 'seg' in tasks %}
    importlib.import_module('mmseg.datasets')
{%- endif %}
    applied = [n for n in upstream_fixes.APPLIED if n in STACK_FIXES]
    assert sorted(applied) == sorted(STACK_FIXES)


def test_apply_all_is_idempotent():
    get_stream = mmcv_parallel_functions._get_stream
    applied = list(upstream_fixes.APPLIED)
    assert upstream_fixes.apply_all() == applied
    assert mmcv_parallel_functions._get_stream is get_stream
    assert get_stream.__wrapped__ is upstream_fixes.ORIGINALS[
        'scatter_int_stream']


@pytest.mark.parametrize('version, expected', [
    ('2.14.1+cu128', (2, 14, 1)),
    ('1.7.2', (1, 7, 2)),
    ('2.6.0rc1', (2, 6, 0)),
    ('8.5', (8, 5)),
    ('unknown', ()),
])
def test_release(version, expected):
    assert upstream_fixes.release(version) == expected


#: (fix module, its ``needed`` arguments, module attribute that holds a
#: version, a version the fix is for, one it leaves alone).
GUARDS = [
    (checkpoint_loading, (), 'mmcv', '1.7.2', '1.7.3'),
    (checkpoint_loading, (), 'torch', '2.6.0', '2.5.1'),
    (data_parallel, ('scatter_int_stream', ), 'mmcv', '1.7.2', '2.0.0'),
    (data_parallel, ('scatter_int_stream', ), 'torch', '2.1.0', '2.0.1'),
    (data_parallel, ('mmddp_run_ddp_forward', ), 'torch', '2.0.0', '1.13.1'),
    (iter_runner_resume, (), 'mmcv', '1.7.2', '1.7.3'),
    (mim_click, (), 'mim_version', '0.3.9', '0.3.10'),
]


@pytest.mark.parametrize('module, args, holder, broken, fixed', GUARDS)
def test_version_guards(monkeypatch, module, args, holder, broken, fixed):
    if module is mim_click:
        # Whether the installed click needs it is the next test's.
        monkeypatch.setattr(mim_click, 'version', lambda name: '8.3.1')
    if holder == 'mim_version':
        monkeypatch.setattr(module, holder, broken)
    else:
        monkeypatch.setattr(getattr(module, holder), '__version__', broken)
    assert module.needed(*args)
    if holder == 'mim_version':
        monkeypatch.setattr(module, holder, fixed)
    else:
        monkeypatch.setattr(getattr(module, holder), '__version__', fixed)
    assert not module.needed(*args)


@pytest.mark.parametrize('click_version, needed', [('8.2.1', False),
                                                   ('8.3.0', False),
                                                   ('8.3.1', True),
                                                   ('8.5.1', True)])
def test_mim_click_guard_follows_click(monkeypatch, click_version, needed):
    monkeypatch.setattr(mim_click, 'version', lambda name: click_version)
    assert mim_click.needed() is needed


def test_sitecustomize_imports_nothing_of_the_stack():
    # It runs in every Python process that has the project on PYTHONPATH.
    result = run_python(
        'import sys; print(sorted(m for m in ("torch", "mmcv", "mim", '
        '"click", "numpy") if m in sys.modules)); '
        'print("upstream_fixes" in sys.modules)')
    assert result.returncode == 0, result.stderr
    assert result.stdout.split('\n')[:2] == ['[]', 'True'], result.stdout


def test_fixes_apply_when_the_stack_is_imported_after_startup():
    # sitecustomize.py imported the package before mmcv: the fixes wait for
    # the modules they fix.
    result = run_python('import upstream_fixes as u; print(u.APPLIED); '
                        'import mmcv.runner; print(u.APPLIED)')
    assert result.returncode == 0, result.stderr
    before, after = map(ast.literal_eval, result.stdout.splitlines()[-2:])
    assert before == []
    # mmseg's fix waits for mmseg.datasets; those of distributed runs on
    # CPUs for the toolboxes' modules and mmcv.engine.
    assert set(after) == set(STACK_FIXES) - {
        'seg_repeat_dataset_iter', 'ddp_on_cpu', 'collect_results_on_cpu'
    }


def test_configs_apply_the_fixes_through_custom_imports():
    # Without sitecustomize.py: the config's custom_imports alone.
    config = sorted(PROJECT_ROOT.glob('configs/*/*toy-*.py'))[0]
    result = run_python(
        'import sys; sys.path.insert(0, ""); from mmcv import Config; '
        f'Config.fromfile({str(config)!r}); '
        'import upstream_fixes as u; print(u.APPLIED)',
        with_project=False)
    assert result.returncode == 0, result.stderr
    applied = ast.literal_eval(result.stdout.splitlines()[-1])
    # Those that wait for mmseg.datasets and mmcv.engine aside.
    waiting = {'seg_repeat_dataset_iter', 'collect_results_on_cpu'}
    assert set(STACK_FIXES) - waiting <= set(applied)


def test_models_leaves_the_stack_alone():
    result = run_python(
        'import sys; sys.path.insert(0, ""); import models; '
        'print("upstream_fixes" in sys.modules)',
        with_project=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == 'False'


# ---------------------------------------------------------------------------
# checkpoint_weights_only
# ---------------------------------------------------------------------------

PALETTE = [[120, 120, 120], [180, 120, 120]]


@pytest.fixture
def numpy_meta_checkpoint(tmp_path):
    """A checkpoint like mmseg writes: numpy values in ``meta``."""
    path = tmp_path / 'iter_1.pth'
    meta = dict(
        CLASSES=('background', 'thing'),
        PALETTE=np.array(PALETTE, dtype=np.uint8),
        hook_msgs=dict(best_score=np.float64(0.5)),
        epoch=1,
        iter=1)
    save_checkpoint(ToyModel(), str(path), meta=meta)
    return path


def test_checkpoint_upstream_rejects_numpy_meta(numpy_meta_checkpoint):
    original = upstream('checkpoint_weights_only')
    assert original is not checkpoint_loading.load_from_local
    with pytest.raises(pickle.UnpicklingError):
        original(str(numpy_meta_checkpoint), 'cpu')


def test_checkpoint_load_checkpoint_reads_numpy_meta(numpy_meta_checkpoint):
    assert CheckpointLoader._get_checkpoint_loader(
        str(numpy_meta_checkpoint)) is checkpoint_loading.load_from_local
    model = ToyModel()
    saved = torch.load(numpy_meta_checkpoint, weights_only=False)['state_dict']
    checkpoint = load_checkpoint(
        model, str(numpy_meta_checkpoint), map_location='cpu', strict=True)
    np.testing.assert_array_equal(checkpoint['meta']['PALETTE'], PALETTE)
    assert checkpoint['meta']['hook_msgs']['best_score'] == 0.5
    torch.testing.assert_close(model.fc.weight, saved['fc.weight'])


def test_checkpoint_runner_resume_reads_numpy_meta(numpy_meta_checkpoint,
                                                   tmp_path):
    # ``--resume-from`` / ``auto_resume``: the runner's own resume path.
    model = ToyModel()
    runner = EpochBasedRunner(
        model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        work_dir=str(tmp_path / 'work_dir'),
        logger=get_logger('test_upstream_fixes'))
    runner.resume(str(numpy_meta_checkpoint), resume_optimizer=False)
    assert runner.epoch == 1
    np.testing.assert_array_equal(runner.meta['PALETTE'], PALETTE)


def test_checkpoint_missing_file_still_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        checkpoint_loading.load_from_local(str(tmp_path / 'missing.pth'))


def test_checkpoint_remote_path_needs_no_fix(numpy_meta_checkpoint, tmp_path):
    # http(s):// checkpoints go through torch.hub, whose ``weights_only``
    # default is still False; urllib also serves file:// URLs, which lets
    # the test run mmcv's ``load_from_http`` without a network.
    checkpoint = mmcv_checkpoint.load_from_http(
        numpy_meta_checkpoint.as_uri(),
        map_location='cpu',
        model_dir=str(tmp_path / 'hub'))
    np.testing.assert_array_equal(checkpoint['meta']['PALETTE'], PALETTE)


# ---------------------------------------------------------------------------
# iter_runner_resume_on_cpu, iter_runner_resume_repeats_iter
# ---------------------------------------------------------------------------


def iter_runner(work_dir):
    model = ToyModel()
    return IterBasedRunner(
        model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        work_dir=str(work_dir),
        logger=get_logger('test_upstream_fixes'))


@pytest.fixture
def iter_checkpoint(tmp_path):
    """A checkpoint as ``IterBasedRunner`` writes it, at iteration 30."""
    runner = iter_runner(tmp_path / 'first')
    runner._iter = 29  # the runner saves iteration ``_iter + 1``
    first_param = next(runner.model.parameters())
    runner.optimizer.state[first_param] = dict(
        momentum_buffer=torch.ones(2, 4))
    runner.save_checkpoint(str(tmp_path), filename_tmpl='iter_{}.pth')
    assert torch.load(tmp_path / 'iter_30.pth')['meta']['iter'] == 29
    return tmp_path / 'iter_30.pth'


@pytest.mark.skipif(
    torch.cuda.is_available(),
    reason='upstream only fails without a GPU; this machine has one')
def test_iter_resume_upstream_needs_cuda(iter_checkpoint, tmp_path):
    original = upstream('iter_runner_resume_on_cpu')
    with pytest.raises(RuntimeError):
        original(iter_runner(tmp_path / 'resumed'), str(iter_checkpoint))


def test_iter_resume_upstream_repeats_an_iteration(iter_checkpoint, tmp_path):
    original = upstream('iter_runner_resume_repeats_iter')
    runner = iter_runner(tmp_path / 'resumed')
    original(runner, str(iter_checkpoint), map_location='cpu')
    assert runner.iter == 29


def test_iter_resume_continues_iteration_and_optimizer(iter_checkpoint,
                                                       tmp_path, caplog):
    runner = iter_runner(tmp_path / 'resumed')
    with caplog.at_level('INFO', logger=runner.logger.name):
        runner.resume(str(iter_checkpoint))
    assert runner.iter == 30  # the next iteration to run is the 31st
    assert runner.inner_iter == 30
    assert 'going on after iter 30' in caplog.text
    [state] = runner.optimizer.state.values()
    torch.testing.assert_close(state['momentum_buffer'].cpu(),
                               torch.ones(2, 4))


def test_iter_resume_keeps_an_explicit_map_location(iter_checkpoint, tmp_path):
    runner = iter_runner(tmp_path / 'resumed')
    runner.resume(
        str(iter_checkpoint),
        resume_optimizer=False,
        map_location=lambda storage, loc: storage)
    assert runner.iter == 30
    assert not runner.optimizer.state


# ---------------------------------------------------------------------------
# scatter_int_stream
# ---------------------------------------------------------------------------


def test_scatter_upstream_get_stream_rejects_int(monkeypatch):
    original = upstream('scatter_int_stream')
    # The failure of every GPU run (mmdetection#10720), reproduced on the
    # CPU: PyTorch's _get_stream reads ``device.type`` before touching CUDA.
    with pytest.raises(AttributeError, match="'int' .* attribute 'type'"):
        original(0)
    monkeypatch.setattr(mmcv_parallel_functions, '_get_stream', original)
    with pytest.raises(AttributeError, match="'int' .* attribute 'type'"):
        Scatter.forward([0], torch.zeros(2))


def test_scatter_fixed_get_stream_passes_cuda_devices():
    seen = []
    get_stream = data_parallel.int_device_get_stream(
        lambda d: seen.append(d) or 'stream')
    assert get_stream(-1) is None
    assert get_stream(1) == 'stream'
    device = torch.device('cuda', 0)
    assert get_stream(device) == 'stream'
    assert seen == [torch.device('cuda', 1), device]
    # The installed one takes mmcv's CPU index.
    assert mmcv_parallel_functions._get_stream(-1) is None


def test_scatter_cpu_path_unchanged():
    x = torch.arange(4.)
    torch.testing.assert_close(Scatter.forward([-1], x)[0], x)
    torch.testing.assert_close(Scatter.forward([-1], [x])[0], x)
    # MMDataParallel without devices unwraps DataContainers on the CPU.
    model = MMDataParallel(ToyModel())
    assert torch.isfinite(model.train_step(toy_batch())['loss'])


@needs_gpu
def test_scatter_upstream_breaks_mmdataparallel_on_gpu(monkeypatch):
    original = upstream('scatter_int_stream')
    monkeypatch.setattr(mmcv_parallel_functions, '_get_stream', original)
    model = MMDataParallel(ToyModel().cuda(), device_ids=[0])
    with pytest.raises(AttributeError, match="'int' .* attribute 'type'"):
        model.train_step(toy_batch())


@needs_gpu
def test_scatter_to_gpu():
    x = torch.arange(6.).view(2, 3)
    out = Scatter.forward([0], [x])
    assert out[0].device == torch.device('cuda', 0)
    torch.testing.assert_close(out[0].cpu(), x)


@needs_gpu
def test_scatter_mmdataparallel_train_val_and_test_on_gpu():
    model = MMDataParallel(ToyModel().cuda(), device_ids=[0])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        outputs = model.train_step(toy_batch(), optimizer)
        assert outputs['loss'].device.type == 'cuda'
        optimizer.zero_grad()
        outputs['loss'].backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        assert torch.isfinite(model.val_step(toy_batch())['loss'])
        # single_gpu_test calls the model itself.
        out = model(return_loss=False, **toy_batch())
    assert out.shape == (4, 2) and out.device.type == 'cuda'


# ---------------------------------------------------------------------------
# mmddp_run_ddp_forward (and train_step/val_step, which need no fix)
# ---------------------------------------------------------------------------


@pytest.fixture(scope='module')
def process_group(tmp_path_factory):
    """A gloo process group of world size 1 (gloo also runs on GPUs)."""
    if dist.is_initialized():
        yield
        return
    init_file = tmp_path_factory.mktemp('dist') / 'init'
    dist.init_process_group(
        'gloo', init_method=init_file.as_uri(), rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_mmddp_upstream_forward_reads_removed_attr(process_group, monkeypatch):
    original = upstream('mmddp_run_ddp_forward')
    monkeypatch.setattr(MMDistributedDataParallel, '_run_ddp_forward',
                        original)
    model = MMDistributedDataParallel(ToyModel())
    assert not hasattr(model, '_use_replicated_tensor_module')
    assert not hasattr(DistributedDataParallel,
                       '_use_replicated_tensor_module')
    with pytest.raises(AttributeError, match='_use_replicated_tensor_module'):
        model(img=torch.randn(4, 4), return_loss=False)


def test_mmddp_forward_backward_and_test_on_cpu(process_group):
    model = MMDistributedDataParallel(ToyModel())
    for _ in range(2):
        model.zero_grad()
        loss = model(img=torch.randn(4, 4))['loss']
        loss.backward()
        assert model.module.fc.weight.grad is not None
    model.eval()
    with torch.no_grad():
        # multi_gpu_test calls the model itself.
        assert model(img=torch.randn(4, 4), return_loss=False).shape == (4, 2)


@pytest.mark.parametrize('find_unused_parameters', [False, True])
def test_mmddp_train_step_and_val_step_on_cpu(process_group,
                                              find_unused_parameters):
    # Not fixed: mmcv's train_step/val_step use reducer and buffer-sync
    # internals that PyTorch 2 still has. This guards that finding.
    model = MMDistributedDataParallel(
        ToyModel(), find_unused_parameters=find_unused_parameters)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        outputs = model.train_step(dict(img=torch.randn(4, 4)), optimizer)
        optimizer.zero_grad()
        outputs['loss'].backward()
        optimizer.step()
    with torch.no_grad():
        outputs = model.val_step(dict(img=torch.randn(4, 4)))
    assert torch.isfinite(outputs['loss'])


@needs_gpu
def test_mmddp_train_step_and_test_on_gpu(process_group):
    # DataContainer inputs reach the model only through mmcv's scatter, on
    # the GPU: both the scatter fix and the _run_ddp_forward fix.
    torch.cuda.set_device(0)
    model = MMDistributedDataParallel(
        ToyModel().cuda(), device_ids=[0], broadcast_buffers=False)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(2):
        outputs = model.train_step(toy_batch(), optimizer)
        optimizer.zero_grad()
        outputs['loss'].backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        out = model(return_loss=False, **toy_batch())
    assert out.shape == (4, 2) and out.device.type == 'cuda'


{% if 'seg' in tasks -%}
# ---------------------------------------------------------------------------
# seg_repeat_dataset_iter
# ---------------------------------------------------------------------------


class ListDataset(list):
    """The smallest dataset mmseg's ``RepeatDataset`` takes."""
    CLASSES = PALETTE = None


def test_seg_repeat_upstream_iterates_forever(monkeypatch):
    from mmseg.datasets import RepeatDataset

    # mmseg defines no __iter__; the fix added one.
    assert upstream('seg_repeat_dataset_iter') is None
    monkeypatch.delattr(RepeatDataset, '__iter__')
    dataset = RepeatDataset(ListDataset(['a']), times=2)
    # Bounded, so that the test ends: upstream goes on past the length.
    items = [item for _, item in zip(range(5), dataset)]
    assert len(items) == 5 > len(dataset)


def test_seg_repeat_iterates_its_length():
    from mmseg.datasets import RepeatDataset

    dataset = RepeatDataset(ListDataset(['a', 'b', 'c']), times=2)
    # At most one item more than there are, so that a bug cannot hang here.
    items = [item for _, item in zip(range(len(dataset) + 1), dataset)]
    assert items == ['a', 'b', 'c', 'a', 'b', 'c']


{% endif -%}
# ---------------------------------------------------------------------------
# mim_click_unset (run as the README prints it in test_launchers.py)
# ---------------------------------------------------------------------------


def test_mim_click_fix_turns_the_sentinel_into_none():
    unset = object()

    class Context:
        params = dict(srun_args=unset, gpus=8, port=None)

    def parse_args(command, ctx, args):
        return args[1:]

    fixed = mim_click.none_for_unset(parse_args, unset)
    assert fixed(None, Context, ['mmcls', 'cfg.py']) == ['cfg.py']
    assert Context.params == dict(srun_args=None, gpus=8, port=None)


def test_mim_click_fix_reaches_mims_commands():
    command = mim.click.customcommand.CustomCommand
    if 'mim_click_unset' in upstream_fixes.APPLIED:
        assert command.parse_args.__wrapped__ is upstream_fixes.ORIGINALS[
            'mim_click_unset']
    else:
        assert not mim_click.needed()


# ---------------------------------------------------------------------------
# local_rank_argv, collections_abc_aliases (sitecustomize.py)
# ---------------------------------------------------------------------------


def write_script(tmp_path, *options):
    script = tmp_path / 'train.py'
    lines = ['import argparse', 'parser = argparse.ArgumentParser()']
    lines += [f"parser.add_argument('{o}', type=int)" for o in options]
    script.write_text('\n'.join(lines) + '\n')
    return str(script)


AFTER_DOUBLE_DASH = ['--', '--local-rank=1']


@pytest.mark.parametrize('args, expected', [
    (['--local-rank=2'], ['--local_rank=2']),
    (['cfg.py', '--local-rank', '2'], ['cfg.py', '--local_rank', '2']),
    (['--local-rank=1'] + AFTER_DOUBLE_DASH,
     ['--local_rank=1'] + AFTER_DOUBLE_DASH),
])
def test_local_rank_rewritten_for_underscore_scripts(tmp_path, args, expected):
    argv = [write_script(tmp_path, '--local_rank')] + args
    assert launcher_argv.rewrite_local_rank(argv)
    assert argv[1:] == expected


@pytest.mark.parametrize('options, args', [
    (['--local-rank', '--local_rank'], ['--local-rank=0']),
    (['--local-rank'], ['--local-rank=0']),
    (['--foo'], ['--local-rank=0']),
    (['--local_rank'], ['--local_rank=0']),
])
def test_local_rank_left_alone_for_other_scripts(tmp_path, options, args):
    argv = [write_script(tmp_path, *options)] + args
    assert not launcher_argv.rewrite_local_rank(argv)
    assert argv[1:] == args


def test_local_rank_ignores_python_c_and_m():
    for argv in (['-c', '--local-rank=0'], ['-m', '--local-rank=0']):
        assert not launcher_argv.rewrite_local_rank(list(argv))


@pytest.mark.parametrize('source, names', [
    ('from collections import Sequence\n', ['Sequence']),
    ('import os\nfrom collections import OrderedDict, Mapping as M\n',
     ['Mapping']),
    ('if True:\n    from collections import Iterable, Sized\n',
     ['Iterable', 'Sized']),
    ('from collections import OrderedDict\n', []),
    ('from collections.abc import Sequence\n', []),
    ('# from collections import Sequence\n', []),
])
def test_collections_aliases_restored_for_what_a_script_imports(
        tmp_path, source, names):
    script = tmp_path / 'tool.py'
    script.write_text(source)
    argv = [str(script)]
    try:
        assert launcher_argv.restore_collections_aliases(argv) == names
        for name in names:
            assert getattr(collections, name) is getattr(collections.abc, name)
    finally:
        for name in names:
            vars(collections).pop(name, None)


def test_collections_aliases_nothing_for_python_c():
    assert launcher_argv.restore_collections_aliases(['-c']) == []


# The toolboxes' scripts and the arguments that get them past their own
# checks to ``Config.fromfile``.
TOOLBOX_SCRIPTS = [
    ('mmcls', 'train', []),
    ('mmcls', 'test', ['ckpt.pth', '--metrics', 'accuracy']),
    ('mmdet', 'train', []),
    ('mmdet', 'test', ['ckpt.pth', '--eval', 'bbox']),
    ('mmseg', 'train', []),
    ('mmseg', 'test', ['ckpt.pth', '--eval', 'mIoU']),
]


def toolbox_script(package, tool):
    module = importlib.import_module(package)
    path = Path(module.__file__).parent / '.mim' / 'tools' / f'{tool}.py'
    if not path.is_file():
        pytest.fail(f'{package} ships no .mim/tools/{tool}.py: reinstall it')
    return path


@pytest.fixture
def probe_config(tmp_path):
    """A config that reports LOCAL_RANK as the script parsed it, then exits.

    The toolboxes set ``LOCAL_RANK`` from ``--local_rank`` right after
    argparse and load the config next, before anything needs a GPU.
    """
    config = tmp_path / 'probe_config.py'
    config.write_text('import os\n'
                      "print('LOCAL_RANK=' + os.environ['LOCAL_RANK'], "
                      'flush=True)\n'
                      'os._exit(0)\n')
    return config


def test_sitecustomize_runs_the_one_it_shadows(tmp_path):
    # A distribution's or a venv's own sitecustomize, later on sys.path.
    shadowed = tmp_path / 'site' / 'sitecustomize.py'
    shadowed.parent.mkdir()
    shadowed.write_text('import sys\nsys.shadowed_ran = __file__\n')
    script = tmp_path / 'train.py'
    script.write_text('import argparse, sys\n'
                      'parser = argparse.ArgumentParser()\n'
                      "parser.add_argument('--local_rank', type=int)\n"
                      "print(sys.modules['sitecustomize'].__file__)\n"
                      "print(getattr(sys, 'shadowed_ran', None))\n"
                      'print(parser.parse_args().local_rank)\n')
    result = run_python([str(script), '--local-rank=3'],
                        cwd=tmp_path,
                        later_paths=[shadowed.parent])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == [
        str(PROJECT_ROOT / 'sitecustomize.py'),
        str(shadowed), '3'
    ], result.stderr


@pytest.mark.parametrize('package, tool, extra', TOOLBOX_SCRIPTS)
def test_toolbox_scripts_declare_only_underscore(package, tool, extra):
    source = toolbox_script(package, tool).read_text()
    assert "'--local_rank'" in source and "'--local-rank'" not in source


def test_toolbox_script_rejects_local_rank_without_fix(probe_config):
    script = toolbox_script('mmcls', 'train')
    result = run_python(
        [str(script), str(probe_config), '--local-rank=3'],
        with_project=False,
        cwd=probe_config.parent)
    assert result.returncode == 2, result.stdout + result.stderr
    assert 'unrecognized arguments: --local-rank=3' in result.stderr


@pytest.mark.parametrize('package, tool, extra', TOOLBOX_SCRIPTS)
def test_toolbox_script_accepts_local_rank_with_fix(probe_config, package,
                                                    tool, extra):
    script = toolbox_script(package, tool)
    args = [str(script), str(probe_config)] + extra + ['--local-rank=3']
    result = run_python(args, cwd=probe_config.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'LOCAL_RANK=3' in result.stdout


{% if 'det' in tasks -%}
def test_mmdet_browse_dataset_starts_only_with_sitecustomize(tmp_path):
    # The README's ``mim run mmdet browse_dataset``: its first lines import
    # ``collections.Sequence``, which Python 3.10 removed.
    script = str(toolbox_script('mmdet', 'misc/browse_dataset'))
    without = run_python([script, '--help'], with_project=False, cwd=tmp_path)
    assert without.returncode == 1
    assert "cannot import name 'Sequence' from 'collections'" in (
        without.stderr)
    result = run_python([script, '--help'], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('usage: browse_dataset.py')


{% endif -%}
def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_mim_train_launcher_pytorch_as_printed(probe_config):
    # The README's command, through the real torch.distributed.launch.
    toolbox_script('mmcls', 'train')
    args = [
        '-m', 'mim', 'train', 'mmcls',
        str(probe_config), '--launcher', 'pytorch', '--gpus', '1', '--port',
        str(free_port())
    ]
    result = run_python(args, cwd=probe_config.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'torch.distributed.launch' in result.stdout
    assert 'LOCAL_RANK=0' in result.stdout


# ---------------------------------------------------------------------------
# init_dist_without_cuda, ddp_on_cpu, collect_results_on_cpu,
# sync_batch_norm_on_cpu (test_distributed.py runs the README's commands)
# ---------------------------------------------------------------------------

needs_no_cuda = pytest.mark.skipif(
    torch.cuda.is_available(),
    reason='the fixes apply only where CUDA is missing (the subprocess '
    'checks here and test_distributed.py hide the GPUs instead)')

INIT_DIST_CHECK = '''
import os, socket
with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
os.environ.update(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
                  LOCAL_WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                  MASTER_PORT=str(port))
from mmcv.runner import init_dist
import torch.distributed as dist
# What the toolboxes' train.py and test.py do with dist_params.
init_dist('pytorch', backend='nccl')
print('BACKEND', dist.get_backend(), dist.get_world_size())
'''


def run_without_cuda(args, with_project=True):
    """Run Python as the launchers would, with the GPUs hidden."""
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    env.pop('LOCAL_RANK', None)
    paths = [
        p for p in env.get('PYTHONPATH', '').split(os.pathsep)
        if p and not (Path(p) / 'sitecustomize.py').is_file()
    ]
    if with_project:
        paths.insert(0, str(PROJECT_ROOT))
    env['PYTHONPATH'] = os.pathsep.join(paths)
    return subprocess.run(
        [sys.executable] + args,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)


def test_init_dist_upstream_needs_a_gpu():
    result = run_without_cuda(['-c', INIT_DIST_CHECK], with_project=False)
    assert result.returncode != 0
    assert 'torch.cuda.set_device(rank % num_gpus)' in result.stderr
    assert 'ZeroDivisionError' in result.stderr


def test_init_dist_starts_gloo_without_cuda():
    result = run_without_cuda(['-c', INIT_DIST_CHECK])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'BACKEND gloo 1' in result.stdout


@pytest.mark.parametrize(
    'with_project', [False, True], ids=['upstream', 'fixed'])
def test_sync_batch_norm_trains_on_cpus(tmp_path, with_project):
    script = tmp_path / 'sync_bn.py'
    script.write_text(SYNC_BN_CHECK)
    result = run_without_cuda(
        [str(script), str(tmp_path / 'init'), 'mmcv.runner'], with_project)
    if not with_project:
        assert result.returncode != 0
        assert 'SyncBatchNorm layers only work with GPU modules' in \
            result.stderr
        return
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = re.findall(r'rank (\d): (SAME|DIFFERENT)', result.stdout)
    assert sorted(ranks) == [('0', 'SAME'), ('1', 'SAME')], result.stdout


@needs_no_cuda
@pytest.mark.parametrize('module, builder, kwargs', [
    ('mmcls.utils', 'wrap_distributed_model', {}),
    ('mmdet.utils', 'build_ddp', dict(device_ids=[0])),
    ('mmseg.utils', 'build_ddp', dict(device_ids=[0])),
])
def test_toolboxes_wrap_a_cpu_model_for_ddp(process_group, module, builder,
                                            kwargs):
    build = getattr(importlib.import_module(module), builder)
    # What their train.py / test.py pass for the CPU (cfg.device).
    model = build(ToyModel(), 'cpu', broadcast_buffers=False, **kwargs)
    assert isinstance(model, MMDistributedDataParallel)
    assert model.device_ids is None
    assert next(model.parameters()).device.type == 'cpu'
    with pytest.raises((RuntimeError, AssertionError),
                       match='Unavailable device "cpu"|Only available for'):
        build.__wrapped__(ToyModel(), 'cpu', **kwargs)


@needs_no_cuda
def test_mmddp_on_cpu_unpacks_data_containers(process_group):
    model = MMDistributedDataParallel(ToyModel())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    outputs = model.train_step(toy_batch(), optimizer)
    outputs['loss'].backward()
    with torch.no_grad():
        assert torch.isfinite(model.val_step(toy_batch())['loss'])
        assert model(return_loss=False, **toy_batch()).shape == (4, 2)
    # Upstream passes the DataContainer on to the model.
    with pytest.raises(AssertionError, match='DataContainer'):
        MMDistributedDataParallel.train_step.__wrapped__(
            model, toy_batch(), optimizer)


@needs_no_cuda
@pytest.mark.parametrize(
    'module',
    ['mmcv.engine', 'mmcls.apis.test', 'mmdet.apis.test', 'mmseg.apis.test'])
def test_collect_results_without_cuda(process_group, module, tmp_path,
                                      monkeypatch):
    # Rank 0 makes its folder under .dist_test/ of the working folder.
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(module)
    parts = [dict(score=i) for i in range(3)]
    assert module.collect_results_cpu(parts, 3) == parts
    assert module.collect_results_cpu(parts, 2, str(tmp_path / 'p')) == \
        parts[:2]
    assert module.collect_results_gpu(parts, 3) == parts
    upstream_cpu = upstream('collect_results_on_cpu')
    with pytest.raises((RuntimeError, AssertionError)):
        upstream_cpu(parts, 3)
