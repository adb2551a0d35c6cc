"""Distributed runs on a machine without CUDA: one CPU process per "GPU".

``mim train|test <toolbox> <config> --launcher pytorch|slurm --gpus N``
starts N processes. mmengine 0.10 assumes that each of them drives a GPU,
and stops on a machine without one. Where CUDA is missing (no GPU, no
driver, a CPU build of PyTorch, ``CUDA_VISIBLE_DEVICES=``) these fixes let
the N processes train and test together over ``gloo``, PyTorch's CPU
backend, through the same code as on GPUs: the launcher, the process group,
``MMDistributedDataParallel``, the distributed samplers, SyncBN, checkpoints
written by rank 0 and results gathered across ranks (mmengine sends them
through the process group's own device, the CPU for gloo). With CUDA they
apply nothing: a GPU run uses nccl and one GPU per process, as before.

``init_dist_without_cuda``: the runner starts the process group of its
``env_cfg.dist_cfg`` (``backend='nccl'``, which needs CUDA), and mmengine's
``_init_dist_pytorch`` / ``_init_dist_slurm`` call
``torch.cuda.set_device(local_rank)``: ``Found no NVIDIA driver`` or
``Torch not compiled with CUDA enabled`` without a GPU. The fix starts
``gloo`` instead of ``nccl`` and runs mmengine's own functions with each
process of a node as one device of it (``set_device`` does nothing,
``device_count`` is the number of processes per node), so that the ranks,
``LOCAL_RANK``, the master address (``scontrol show hostname`` under Slurm)
and the port are mmengine's.

``ddp_on_cpu``: the runner wraps the model in ``MMDistributedDataParallel``
with ``device_ids=[LOCAL_RANK]``, which PyTorch refuses for a CPU model
(``device_ids ... only work with ... GPU modules or CPU modules``). The fix
leaves ``device_ids`` out for a model on the CPU.

``sync_batch_norm_on_cpu``: PyTorch refuses SyncBN in a CPU model
(``DistributedDataParallel``: ``SyncBatchNorm layers only work with GPU
modules``; ``SyncBatchNorm`` itself: ``SyncBatchNorm expected input tensor
to be on GPU``). The fix computes the batch statistics of all processes
with differentiable all-reduces over the process group, as SyncBN does on
GPUs.
"""
import functools
import os
import sys
import types

import mmengine
import torch
import torch.distributed as dist

from . import APPLIED, record, release, when_imported

INIT_DIST = 'init_dist_without_cuda'
DDP = 'ddp_on_cpu'
SYNC_BN = 'sync_batch_norm_on_cpu'
#: The modules that bind mmengine's ``init_dist``.
INIT_DIST_MODULES = ('mmengine.dist.utils', 'mmengine.dist',
                     'mmengine.runner.runner')


{% include 'openmmlab/distributed_cpu_shared.py' %}

def needed():
    """Whether this machine and the installed mmengine need the fixes.

    Returns:
        bool: True without CUDA, for mmengine <= 0.10.7 (the pinned
        release).
    """
    return (not torch.cuda.is_available()
            and release(mmengine.__version__) <= (0, 10, 7))


def init_dist_without_cuda(init_dist):
    """Wrap mmengine's ``init_dist`` for a machine without CUDA.

    Args:
        init_dist (callable): mmengine's ``init_dist(launcher, backend,
            init_backend, **kwargs)``.

    Returns:
        callable: ``init_dist`` that starts ``gloo`` where ``nccl`` was
        asked for, with the processes of a node as its devices.
    """

    @functools.wraps(init_dist)
    def wrapper(launcher, backend='nccl', *args, **kwargs):
        if backend == 'nccl':
            backend = 'gloo'
        return init_dist(launcher, backend, *args, **kwargs)

    return wrapper


def ddp_on_cpu(init):
    """Let ``MMDistributedDataParallel`` take a model on the CPU.

    Args:
        init (callable): Its ``__init__(self, module, ..., **kwargs)``.

    Returns:
        callable: ``__init__``, which leaves ``device_ids`` out for a
        module whose parameters are on the CPU.
    """

    @functools.wraps(init)
    def wrapper(self, module, *args, **kwargs):
        devices = {p.device.type for p in module.parameters()}
        if devices <= {'cpu'}:
            kwargs.pop('device_ids', None)
        init(self, module, *args, **kwargs)

    return wrapper


def apply():
    """Apply the fixes where CUDA is missing (once)."""
    if INIT_DIST in APPLIED or not needed():
        return
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import distributed
    record(INIT_DIST, dist_utils.init_dist)
    wrapped = init_dist_without_cuda(dist_utils.init_dist)
    for name in ('_init_dist_pytorch', '_init_dist_slurm'):
        setattr(dist_utils, name,
                with_processes_as_devices(getattr(dist_utils, name)))
    for module_name in INIT_DIST_MODULES:
        when_imported(
            module_name,
            lambda name=module_name: setattr(sys.modules[name], 'init_dist',
                                             wrapped))
    ddp = distributed.MMDistributedDataParallel
    record(DDP, ddp.__init__)
    ddp.__init__ = ddp_on_cpu(ddp.__init__)
    apply_sync_batch_norm_on_cpu()
