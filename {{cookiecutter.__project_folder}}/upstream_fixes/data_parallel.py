"""mmcv's data parallelism on PyTorch 2: the scatter and the DDP forward.

``scatter_int_stream``: mmcv's ``Scatter.forward`` passes a GPU index (an
``int``) to PyTorch's ``_get_stream``, which takes a ``torch.device`` since
PyTorch 2.1 and reads ``device.type`` first. Every ``MMDataParallel`` /
``MMDistributedDataParallel`` run on a GPU fails with ``'int' object has no
attribute 'type'`` (open-mmlab/mmdetection#10720; open-mmlab/mmcv#3247 fixed
it after the last 1.x release). The fix gives ``Scatter.forward`` a
``_get_stream`` that takes mmcv's indices.

``mmddp_run_ddp_forward``: ``MMDistributedDataParallel._run_ddp_forward``
reads ``self._use_replicated_tensor_module``, which PyTorch 2.0 removed from
``DistributedDataParallel``, so every ``model(...)`` call of a distributed
model (the evaluation in ``--launcher pytorch`` training, and ``test.py``)
fails. ``train_step`` / ``val_step`` (used for training) work as shipped.
"""
import functools

import mmcv
import torch
from mmcv.parallel import MMDistributedDataParallel
from mmcv.parallel import _functions as mmcv_parallel_functions
from torch.nn.parallel import DistributedDataParallel

from . import APPLIED, record, release

SCATTER = 'scatter_int_stream'
DDP_FORWARD = 'mmddp_run_ddp_forward'


def needed(name):
    """Whether the installed mmcv and PyTorch have a problem.

    Args:
        name (str): :data:`SCATTER` or :data:`DDP_FORWARD`.

    Returns:
        bool: True for mmcv <= 1.7.2 (its last 1.x release) on a PyTorch
        with the change that breaks it: 2.1 for the scatter, 2.0 for the
        DDP forward.
    """
    torch_changed = (2, 1) if name == SCATTER else (2, 0)
    return (release(mmcv.__version__) <= (1, 7, 2)
            and release(torch.__version__) >= torch_changed)


def int_device_get_stream(torch_get_stream):
    """Wrap PyTorch's ``_get_stream`` so that it takes mmcv's int indices.

    Args:
        torch_get_stream (callable): PyTorch's ``_get_stream(device)``.

    Returns:
        callable: A ``_get_stream`` that also takes an ``int``: -1 (mmcv's
        CPU, which needs no stream) or a CUDA device index.
    """

    @functools.wraps(torch_get_stream)
    def _get_stream(device):
        if isinstance(device, int):
            if device < 0:
                return None
            device = torch.device('cuda', device)
        return torch_get_stream(device)

    return _get_stream


def _run_ddp_forward(self, *inputs, **kwargs):
    """Move the inputs with mmcv's scatter, then run the module through DDP.

    mmcv's version exists so that :class:`~mmcv.parallel.DataContainer`
    inputs go through ``MMDistributedDataParallel.to_kwargs`` (PyTorch's own
    ``_pre_forward`` only moves plain tensors). It picked the module to run
    with ``_use_replicated_tensor_module``; PyTorch 2 always runs
    ``self.module``, which its own ``_run_ddp_forward`` does (inside the
    context that ``torch.compile``'s DDP optimizer needs).

    Returns:
        Any: Forward result of ``self.module``.
    """
    if self.device_ids:
        inputs, kwargs = self.to_kwargs(inputs, kwargs, self.device_ids[0])
        inputs, kwargs = inputs[0], kwargs[0]
    return DistributedDataParallel._run_ddp_forward(self, *inputs, **kwargs)


def apply():
    """Apply the fixes that the installed versions need (once)."""
    if SCATTER not in APPLIED and needed(SCATTER):
        original = mmcv_parallel_functions._get_stream
        record(SCATTER, original)
        # ``Scatter.forward`` looks ``_get_stream`` up in its module.
        mmcv_parallel_functions._get_stream = int_device_get_stream(original)
    if DDP_FORWARD not in APPLIED and needed(DDP_FORWARD):
        record(DDP_FORWARD, MMDistributedDataParallel._run_ddp_forward)
        MMDistributedDataParallel._run_ddp_forward = _run_ddp_forward
