"""Distributed runs on a machine without CUDA: one CPU process per "GPU".

``mim train|test <toolbox> <config> --launcher pytorch|slurm --gpus N``
starts N processes. mmcv 1.7 and the toolboxes assume that each of them
drives a GPU, and stop on a machine without one. Where CUDA is missing (no
GPU, no driver, a CPU build of PyTorch, ``CUDA_VISIBLE_DEVICES=``) these
fixes let the N processes train and test together over ``gloo``, PyTorch's
CPU backend, through the same code as on GPUs: the launcher, the process
group, ``MMDistributedDataParallel``, the distributed samplers, SyncBN,
checkpoints written by rank 0 and test results gathered across ranks. With
CUDA they apply nothing: a GPU run uses nccl and one GPU per process, as
before.

``init_dist_without_cuda``: mmcv's ``init_dist`` starts the process group
of the toolboxes' ``dist_params`` (``backend='nccl'``, which needs CUDA),
and its ``_init_dist_pytorch`` / ``_init_dist_slurm`` call
``torch.cuda.set_device(rank % torch.cuda.device_count())``: a
``ZeroDivisionError`` without a GPU. The fix starts ``gloo`` instead of
``nccl`` and runs mmcv's own functions with each process of a node as one
device of it (``set_device`` does nothing, ``device_count`` is the number of
processes per node), so that the ranks, ``LOCAL_RANK``, the master address
(``scontrol show hostname`` under Slurm) and the port are mmcv's.

``ddp_on_cpu``: the toolboxes wrap a distributed model only for a GPU
(mmcls's ``wrap_distributed_model`` raises ``Unavailable device "cpu"``,
mmdet's and mmseg's ``build_ddp`` assert a GPU). The fix wraps it in
``MMDistributedDataParallel`` on the CPU (no ``device_ids``), and that
wrapper then unpacks mmcv's ``DataContainer`` inputs as
``MMDataParallel`` does on the CPU.

``collect_results_on_cpu``: ``collect_results_cpu`` and
``collect_results_gpu`` (mmcv's, mmcls's and mmdet's) put their buffers on
``cuda``; the fix sends the same objects through the process group.

``sync_batch_norm_on_cpu``: PyTorch refuses SyncBN in a CPU model
(``DistributedDataParallel``: ``SyncBatchNorm layers only work with GPU
modules``; ``SyncBatchNorm`` itself: ``SyncBatchNorm expected input tensor
to be on GPU``). The fix computes the batch statistics of all processes with
differentiable all-reduces over the process group, as SyncBN does on GPUs.
"""
import functools
import os
import pickle
import shutil
import sys
import tempfile
import types

import mmcv
import torch
import torch.distributed as dist

from . import APPLIED, record, release, when_imported

INIT_DIST = 'init_dist_without_cuda'
DDP = 'ddp_on_cpu'
COLLECT = 'collect_results_on_cpu'
SYNC_BN = 'sync_batch_norm_on_cpu'
#: Marks the functions that replace upstream's here.
FIXED = '_without_cuda'

#: Toolbox modules that bind their function to wrap a distributed model,
#: with the last release that needs a GPU for it.
MMCLS_DDP = ('mmcls', (0, 25, 0), 'wrap_distributed_model')
MMDET_DDP = ('mmdet', (2, 28, 2), 'build_ddp')
MMSEG_DDP = ('mmseg', (0, 30, 0), 'build_ddp')
DDP_BUILDERS = {
    'mmcls.utils': MMCLS_DDP,
    'mmcls.utils.distribution': MMCLS_DDP,
    'mmcls.apis.train': MMCLS_DDP,
    'mmdet.utils': MMDET_DDP,
    'mmdet.utils.util_distribution': MMDET_DDP,
    'mmdet.apis.train': MMDET_DDP,
    'mmseg.utils': MMSEG_DDP,
    'mmseg.utils.util_distribution': MMSEG_DDP,
    'mmseg.apis.train': MMSEG_DDP,
}
#: Modules whose ``collect_results_cpu`` / ``_gpu`` put buffers on cuda.
COLLECTORS = ('mmcv.engine.test', 'mmcv.engine', 'mmcls.apis.test',
              'mmdet.apis.test', 'mmseg.apis.test')


{% include 'openmmlab/distributed_cpu_shared.py' %}

def needed():
    """Whether this machine and the installed mmcv need the fixes.

    Returns:
        bool: True without CUDA, for mmcv <= 1.7.2 (its last 1.x release).
    """
    return (not torch.cuda.is_available()
            and release(mmcv.__version__) <= (1, 7, 2))


def init_dist_without_cuda(init_dist):
    """Wrap mmcv's ``init_dist`` for a machine without CUDA.

    Args:
        init_dist (callable): mmcv's ``init_dist(launcher, backend,
            **kwargs)``.

    Returns:
        callable: ``init_dist`` that starts ``gloo`` where ``nccl`` was
        asked for, with the processes of a node as its devices.
    """

    @functools.wraps(init_dist)
    def wrapper(launcher, backend='nccl', **kwargs):
        if backend == 'nccl':
            backend = 'gloo'
        return init_dist(launcher, backend, **kwargs)

    return wrapper


def ddp_on_cpu(build):
    """Let a toolbox's function that wraps a distributed model take the CPU.

    Args:
        build (callable): ``wrap_distributed_model(model, device, ...)``
            (mmcls) or ``build_ddp(model, device, ...)`` (mmdet, mmseg).

    Returns:
        callable: The function, which for ``device='cpu'`` returns the model
        in ``MMDistributedDataParallel`` without ``device_ids``.
    """

    @functools.wraps(build)
    def wrapper(model, device='cuda', *args, **kwargs):
        if device != 'cpu':
            return build(model, device, *args, **kwargs)
        from mmcv.parallel import MMDistributedDataParallel
        kwargs.pop('device_ids', None)
        return MMDistributedDataParallel(model.cpu(), *args, **kwargs)

    return wrapper


def scatter_on_cpu(method):
    """Unpack ``DataContainer`` inputs of a CPU ``MMDistributedDataParallel``.

    Args:
        method (callable): Its ``train_step``, ``val_step`` or
            ``_run_ddp_forward``, which pass the inputs on unpacked when the
            wrapper has no ``device_ids``.

    Returns:
        callable: The method, scattering the inputs to the CPU (device -1)
        first, as ``MMDataParallel`` does on the CPU.
    """

    @functools.wraps(method)
    def wrapper(self, *inputs, **kwargs):
        if not self.device_ids:
            inputs, kwargs = self.scatter(inputs, kwargs, [-1])
            inputs, kwargs = inputs[0], kwargs[0]
        return method(self, *inputs, **kwargs)

    return wrapper


def collect_results_cpu(result_part, size, tmpdir=None):
    """Gather the results of every rank in rank 0, through a folder.

    As mmcv's ``collect_results_cpu``: each rank writes its part to a folder
    (``tmpdir``, or one that rank 0 makes under ``.dist_test``), rank 0 reads
    them in the order the distributed sampler dealt the samples and drops
    the samples it padded with.

    Args:
        result_part (list): This rank's results.
        size (int): The dataset's length.
        tmpdir (str, optional): The folder; made and removed here if None.

    Returns:
        list | None: All results on rank 0, None on the others.
    """
    rank, world_size = dist.get_rank(), dist.get_world_size()
    if tmpdir is None:
        made = [None]
        if rank == 0:
            mmcv.mkdir_or_exist('.dist_test')
            made = [tempfile.mkdtemp(dir='.dist_test')]
        dist.broadcast_object_list(made, src=0)
        tmpdir = made[0]
    else:
        mmcv.mkdir_or_exist(tmpdir)
    mmcv.dump(result_part, os.path.join(tmpdir, f'part_{rank}.pkl'))
    dist.barrier()
    if rank != 0:
        return None
    parts = [
        mmcv.load(os.path.join(tmpdir, f'part_{i}.pkl'))
        for i in range(world_size)
    ]
    shutil.rmtree(tmpdir)
    return _ordered(parts, size)


def collect_results_gpu(result_part, size):
    """Gather the results of every rank in rank 0, through the group.

    As mmcv's ``collect_results_gpu``, with the parts sent as pickled
    objects through the process group instead of CUDA tensors.

    Args:
        result_part (list): This rank's results.
        size (int): The dataset's length.

    Returns:
        list | None: All results on rank 0, None on the others.
    """
    parts = [None] * dist.get_world_size()
    dist.all_gather_object(parts, pickle.dumps(result_part))
    if dist.get_rank() != 0:
        return None
    return _ordered([pickle.loads(part) for part in parts], size)


def _ordered(parts, size):
    # The distributed sampler deals sample i to rank i % world_size.
    ordered = []
    for results in zip(*parts):
        ordered.extend(results)
    return ordered[:size]


def _replace(module_name, attribute, make, fix):
    """Replace ``module.attribute`` by ``make(it)`` once it is imported."""

    def replace():
        module = sys.modules[module_name]
        original = getattr(module, attribute, None)
        if original is None or getattr(original, FIXED, False):
            return
        if fix not in APPLIED:
            record(fix, original)
        replacement = make(original)
        replacement.__dict__[FIXED] = True
        setattr(module, attribute, replacement)

    when_imported(module_name, replace)


def apply():
    """Apply the fixes where CUDA is missing (once)."""
    if INIT_DIST in APPLIED or not needed():
        return
    from mmcv.parallel import MMDistributedDataParallel
    from mmcv.runner import dist_utils
    record(INIT_DIST, dist_utils.init_dist)
    wrapped = init_dist_without_cuda(dist_utils.init_dist)
    dist_utils.init_dist = wrapped
    # ``from mmcv.runner import init_dist`` (the toolboxes' scripts).
    sys.modules['mmcv.runner'].init_dist = wrapped
    for name in ('_init_dist_pytorch', '_init_dist_slurm'):
        setattr(dist_utils, name,
                with_processes_as_devices(getattr(dist_utils, name)))
    for name in ('train_step', 'val_step', '_run_ddp_forward'):
        method = getattr(MMDistributedDataParallel, name)
        setattr(MMDistributedDataParallel, name, scatter_on_cpu(method))
    for module_name, (package, last, attribute) in DDP_BUILDERS.items():
        if release(_version(package)) <= last:
            _replace(module_name, attribute, ddp_on_cpu, DDP)
    for module_name in COLLECTORS:
        _replace(module_name, 'collect_results_cpu',
                 lambda _: collect_results_cpu, COLLECT)
        _replace(module_name, 'collect_results_gpu',
                 lambda _: collect_results_gpu, COLLECT)
    apply_sync_batch_norm_on_cpu()


def _version(package):
    from importlib.metadata import PackageNotFoundError, version
    name = {'mmseg': 'mmsegmentation'}.get(package, package)
    try:
        return version(name)
    except PackageNotFoundError:
        return '0'
