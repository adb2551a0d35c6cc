"""The PyTorch 2 fixes of ``models/torch2_compat.py`` and ``sitecustomize.py``.

Each fix has a test that shows the upstream code is still broken on this
stack (so the test fails once the fix's probe stops finding the problem) and
one that shows the fixed path works. The tests that move data to a GPU are
skipped without CUDA; the rest run on the CPU.
"""
import collections
import collections.abc
import importlib
import importlib.util
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmcv.parallel import (DataContainer, MMDataParallel,
                           MMDistributedDataParallel)
from mmcv.parallel import _functions as mmcv_parallel_functions
from mmcv.parallel import collate
from mmcv.parallel._functions import Scatter
from mmcv.runner import CheckpointLoader, EpochBasedRunner, IterBasedRunner
from mmcv.runner import checkpoint as mmcv_checkpoint
from mmcv.runner import load_checkpoint, save_checkpoint
from mmcv.utils import get_logger

import models.torch2_compat as compat

PROJECT_ROOT = Path(__file__).resolve().parents[1]
needs_gpu = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason='needs a CUDA GPU: mmcv scatters the batch to cuda:0 on CUDA '
    'streams')


def upstream(name):
    """The upstream object that fix ``name`` replaced in this process."""
    assert name in compat.APPLIED, (
        f'{name}: the probe no longer finds the problem upstream; if the '
        'installed packages fixed it, drop the fix and this test')
    return compat.ORIGINALS[name]


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


def test_all_fixes_applied_on_this_stack():
    assert compat.APPLIED == list(compat.FIXES)
    # With the fixes in place the probes no longer find the problems.
    assert not any(fix.needed() for fix in compat.FIXES.values())


def test_apply_all_is_idempotent():
    get_stream = mmcv_parallel_functions._get_stream
    assert compat.apply_all() == list(compat.FIXES)
    assert mmcv_parallel_functions._get_stream is get_stream
    assert get_stream.__wrapped__ is compat.ORIGINALS['scatter_int_stream']


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


def test_checkpoint_upstream_loader_rejects_numpy_meta(numpy_meta_checkpoint):
    original = upstream('checkpoint_weights_only')
    assert original is not compat.load_from_local
    assert compat.loader_rejects_numpy_meta(original)
    with pytest.raises(pickle.UnpicklingError):
        original(str(numpy_meta_checkpoint), 'cpu')


def test_checkpoint_load_checkpoint_reads_numpy_meta(numpy_meta_checkpoint):
    assert CheckpointLoader._get_checkpoint_loader(
        str(numpy_meta_checkpoint)) is compat.load_from_local
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
        logger=get_logger('test_torch2_compat'))
    runner.resume(str(numpy_meta_checkpoint), resume_optimizer=False)
    assert runner.epoch == 1
    np.testing.assert_array_equal(runner.meta['PALETTE'], PALETTE)


def iter_runner(work_dir):
    model = ToyModel()
    return IterBasedRunner(
        model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        work_dir=str(work_dir),
        logger=get_logger('test_torch2_compat'))


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


def test_checkpoint_missing_file_still_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        compat.load_from_local(str(tmp_path / 'missing.pth'))


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
# scatter_int_stream
# ---------------------------------------------------------------------------


def test_scatter_upstream_get_stream_rejects_int(monkeypatch):
    original = upstream('scatter_int_stream')
    assert compat.get_stream_rejects_int(original)
    # The failure of every GPU run (mmdetection#10720), reproduced on the
    # CPU: PyTorch's _get_stream reads ``device.type`` before touching CUDA.
    monkeypatch.setattr(mmcv_parallel_functions, '_get_stream', original)
    with pytest.raises(AttributeError, match="'int' .* attribute 'type'"):
        Scatter.forward([0], torch.zeros(2))


def test_scatter_patched_get_stream_passes_cuda_devices():
    seen = []
    get_stream = compat._make_get_stream(lambda d: seen.append(d) or 'st')
    assert get_stream(-1) is None
    assert get_stream(1) == 'st'
    device = torch.device('cuda', 0)
    assert get_stream(device) == 'st'
    assert seen == [torch.device('cuda', 1), device]
    # The installed one takes mmcv's ints.
    assert not compat.get_stream_rejects_int(
        mmcv_parallel_functions._get_stream)


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
    assert compat.run_ddp_forward_reads_removed_attr(original)
    assert not compat.ddp_defines('_use_replicated_tensor_module')
    monkeypatch.setattr(MMDistributedDataParallel, '_run_ddp_forward',
                        original)
    model = MMDistributedDataParallel(ToyModel())
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
    # Not patched: mmcv's train_step/val_step use reducer and buffer-sync
    # internals that PyTorch 2.x still has. This guards that finding.
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


{% if 'seg' in cookiecutter.__tasks.split(',') -%}
# ---------------------------------------------------------------------------
# seg_repeat_dataset_iter
# ---------------------------------------------------------------------------


def test_seg_repeat_upstream_iterates_forever(monkeypatch):
    from mmseg.datasets import RepeatDataset

    # mmseg defines no __iter__; the fix added one.
    assert upstream('seg_repeat_dataset_iter') is None
    monkeypatch.delattr(RepeatDataset, '__iter__')
    assert compat.iteration_never_ends(RepeatDataset)


def test_seg_repeat_iterates_its_length():
    from mmseg.datasets import RepeatDataset

    dataset = RepeatDataset(compat._ProbeDataset(['a', 'b', 'c']), times=2)
    # At most one item more than there are, so that a bug cannot hang here.
    items = [item for _, item in zip(range(len(dataset) + 1), dataset)]
    assert items == ['a', 'b', 'c', 'a', 'b', 'c']


{% endif -%}
# ---------------------------------------------------------------------------
# sitecustomize.py: --local-rank for --launcher pytorch
# ---------------------------------------------------------------------------


@pytest.fixture(scope='module')
def sitecustomize():
    # Loaded under another name, so its start-up code does not run here.
    spec = importlib.util.spec_from_file_location(
        'project_sitecustomize', PROJECT_ROOT / 'sitecustomize.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
def test_sitecustomize_rewrites_for_underscore_scripts(sitecustomize, tmp_path,
                                                       args, expected):
    argv = [write_script(tmp_path, '--local_rank')] + args
    assert sitecustomize.rewrite_local_rank(argv)
    assert argv[1:] == expected


@pytest.mark.parametrize('options, args', [
    (['--local-rank', '--local_rank'], ['--local-rank=0']),
    (['--local-rank'], ['--local-rank=0']),
    (['--foo'], ['--local-rank=0']),
    (['--local_rank'], ['--local_rank=0']),
])
def test_sitecustomize_leaves_other_scripts(sitecustomize, tmp_path, options,
                                            args):
    argv = [write_script(tmp_path, *options)] + args
    assert not sitecustomize.rewrite_local_rank(argv)
    assert argv[1:] == args


def test_sitecustomize_ignores_python_c_and_m(sitecustomize):
    for argv in (['-c', '--local-rank=0'], ['-m', '--local-rank=0']):
        assert not sitecustomize.rewrite_local_rank(list(argv))


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
def test_sitecustomize_restores_the_aliases_a_script_imports(
        sitecustomize, tmp_path, source, names):
    script = tmp_path / 'tool.py'
    script.write_text(source)
    argv = [str(script)]
    try:
        assert sitecustomize.restore_collections_aliases(argv) == names
        for name in names:
            assert getattr(collections, name) is getattr(collections.abc, name)
    finally:
        for name in names:
            vars(collections).pop(name, None)


def test_sitecustomize_restores_nothing_for_python_c(sitecustomize):
    assert sitecustomize.restore_collections_aliases(['-c']) == []


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


def run_python(args, with_project, cwd, extra_env=None, later_paths=()):
    env = {k: v for k, v in os.environ.items() if k != 'LOCAL_RANK'}
    # Without the project, no sitecustomize.py of the project is reachable.
    paths = [
        p for p in env.get('PYTHONPATH', '').split(os.pathsep)
        if p and not (Path(p) / 'sitecustomize.py').is_file()
    ]
    if with_project:
        paths.insert(0, str(PROJECT_ROOT))
    # After the project's: what its sitecustomize.py may shadow.
    paths += [str(p) for p in later_paths]
    env['PYTHONPATH'] = os.pathsep.join(paths)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable] + args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300)


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
                        with_project=True,
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
    result = run_python(args, with_project=True, cwd=probe_config.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'LOCAL_RANK=3' in result.stdout


{% if 'det' in cookiecutter.__tasks.split(',') -%}
def test_mmdet_browse_dataset_starts_only_with_sitecustomize(tmp_path):
    # The README's ``mim run mmdet browse_dataset``: its first lines import
    # ``collections.Sequence``, which Python 3.10 removed.
    script = str(toolbox_script('mmdet', 'misc/browse_dataset'))
    without = run_python([script, '--help'], with_project=False, cwd=tmp_path)
    assert without.returncode == 1
    assert "cannot import name 'Sequence' from 'collections'" in (
        without.stderr)
    result = run_python([script, '--help'], with_project=True, cwd=tmp_path)
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
    result = run_python(args, with_project=True, cwd=probe_config.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'torch.distributed.launch' in result.stdout
    assert 'LOCAL_RANK=0' in result.stdout
