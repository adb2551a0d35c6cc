"""Run-time fixes for the OpenMMLab 1.x stack on PyTorch 2.x.

mmcv-full 1.7.2 (and with it mmcls 0.25, mmdet 2.28 and mmseg 0.30) was
written against PyTorch 1.x. PyTorch 2.x changed three things under it that
only show up at run time, inside ``mim train`` / ``mim test``; bugs of the
stack itself keep the README's CPU runs from resuming
{%- if 'seg' in cookiecutter.__tasks.split(',') %} and mmseg's
``browse_dataset`` from ending{% endif %}:

* ``checkpoint_weights_only``: ``torch.load`` defaults to
  ``weights_only=True`` since PyTorch 2.6, and mmcv's local checkpoint loader
  calls it bare. Checkpoints whose ``meta`` holds numpy values (mmseg's
  ``PALETTE`` arrays, ``hook_msgs.best_score``) no longer load, which breaks
  ``mim test``, ``--resume-from``, ``load_from`` and ``init_cfg`` pretrained
  weights.
* ``scatter_int_stream``: mmcv's ``Scatter.forward`` passes a GPU index
  (an ``int``) to PyTorch's ``_get_stream``, which now wants a
  ``torch.device``. Every ``MMDataParallel`` / ``MMDistributedDataParallel``
  run on a GPU fails with ``'int' object has no attribute 'type'``
  (open-mmlab/mmdetection#10720, fixed upstream by open-mmlab/mmcv#3247,
  which never made a 1.x release).
* ``mmddp_run_ddp_forward``: ``MMDistributedDataParallel._run_ddp_forward``
  reads ``self._use_replicated_tensor_module``, which PyTorch 2.x removed,
  so every ``model(...)`` call of a distributed model (the evaluation in
  ``--launcher pytorch`` training and ``test.py``) fails.
* ``iter_runner_resume_on_cpu``: ``IterBasedRunner.resume`` (mmseg's
  runner) maps the checkpoint to ``torch.cuda.current_device()`` without
  asking whether there is a GPU, so ``--resume-from`` of an iteration-based
  run fails on a CPU. ``EpochBasedRunner`` (``BaseRunner.resume``) already
  checks ``torch.cuda.is_available()``; this fix does the same.
* ``iter_runner_resume_repeats_iter``: ``IterBasedRunner`` saves
  ``iter_k.pth`` with ``meta['iter'] = k - 1`` (its checkpoint hook runs
  before the iteration counter moves on), and ``resume`` takes that number
  as is, so a resumed run repeats iteration ``k`` with an optimizer that has
  already taken that step. The fix resumes at iteration ``k``.
{%- if 'seg' in cookiecutter.__tasks.split(',') %}
* ``seg_repeat_dataset_iter``: mmseg's ``RepeatDataset`` (the toy
  segmentation config's) has ``__getitem__`` and ``__len__`` but no
  ``__iter__``, so ``for item in dataset`` falls back to indexing until an
  ``IndexError`` that its wrap-around indexing never raises: mmseg's
  ``tools/browse_dataset.py`` never ends. The fix iterates ``len(dataset)``
  items, as the data loaders' samplers do.
{%- endif %}

The configs load the ``models`` package through ``custom_imports`` and
``models/__init__.py`` imports this module first, so the fixes are in place
before the toolboxes' ``tools/train.py`` and ``tools/test.py`` build a model,
load a checkpoint or wrap a model for (distributed) data parallelism.

Each fix first probes, by behaviour, whether the installed packages still
have the problem and does nothing when they do not (an mmcv or PyTorch that
already gets it right is left alone). :data:`APPLIED` names the fixes that
this process applied, :data:`FIXES` holds the probe and the fix of each.

``MMDistributedDataParallel.train_step`` / ``val_step`` (used for training)
still work on PyTorch 2.x as shipped and are not touched.
"""
import functools
import os.path as osp
import pickle
import tempfile
from collections import OrderedDict, namedtuple

import numpy as np
import torch
from mmcv.parallel import MMDistributedDataParallel
from mmcv.parallel import _functions as mmcv_parallel_functions
from mmcv.runner import IterBasedRunner
from mmcv.runner import checkpoint as mmcv_checkpoint
{%- if 'seg' in cookiecutter.__tasks.split(',') %}
from mmseg.datasets import RepeatDataset as SegRepeatDataset
{%- endif %}
from torch.nn.parallel import DistributedDataParallel

__all__ = ['APPLIED', 'FIXES', 'ORIGINALS', 'Fix', 'apply_all']

#: A fix: ``needed()`` probes the installed packages and is True while the
#: problem is there; ``apply()`` fixes it.
Fix = namedtuple('Fix', ['needed', 'apply'])

#: Names of the fixes applied in this process, in the order applied.
APPLIED = []

#: The upstream objects each applied fix replaced, by fix name, so that
#: tests can show that the upstream code is still broken.
ORIGINALS = {}

# ---------------------------------------------------------------------------
# checkpoint_weights_only
# ---------------------------------------------------------------------------


def loader_rejects_numpy_meta(loader):
    """Tell whether a checkpoint loader fails on numpy values in ``meta``.

    mmseg saves ``meta['PALETTE']`` as numpy arrays and mmcv's ``EvalHook``
    saves ``hook_msgs.best_score`` as a numpy scalar. ``torch.load`` with
    ``weights_only=True`` (the default since PyTorch 2.6) refuses to unpickle
    them.

    Args:
        loader (callable): A loader with the signature of the ones in
            ``mmcv.runner.CheckpointLoader._schemes``:
            ``loader(filename, map_location)``.

    Returns:
        bool: True if ``loader`` cannot load such a checkpoint.
    """
    with tempfile.TemporaryDirectory() as tmp_dir:
        path = osp.join(tmp_dir, 'probe.pth')
        meta = dict(PALETTE=np.zeros((1, 3), dtype=np.uint8))
        torch.save(dict(meta=meta), path)
        try:
            loader(path, 'cpu')
        except pickle.UnpicklingError:
            return True
    return False


def load_from_local(filename, map_location=None):
    """Load a checkpoint from a local file that you trust.

    The same as mmcv's ``load_from_local`` but with ``weights_only=False``:
    the checkpoints that OpenMMLab 1.x toolboxes write hold more than tensors
    (numpy arrays and scalars in ``meta``), and unpickling them runs arbitrary
    code, as ``torch.load`` did before PyTorch 2.6. Only load local files you
    trust (your own training runs, checkpoints from a source you trust).
    Remote checkpoints (``http(s)://``, ``torchvision://``, ...) go through
    ``torch.hub``, whose ``weights_only`` default is still False, and are not
    affected by this function.

    Args:
        filename (str): Local checkpoint file path.
        map_location (str | callable, optional): Same as :func:`torch.load`.

    Returns:
        dict | OrderedDict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def _current_local_loader():
    # The loader registered for local paths (prefix ''), the one that
    # ``load_checkpoint`` and ``runner.resume`` use for a plain path.
    return mmcv_checkpoint.CheckpointLoader._schemes['']


def _checkpoint_needed():
    return loader_rejects_numpy_meta(_current_local_loader())


def _checkpoint_apply():
    ORIGINALS['checkpoint_weights_only'] = _current_local_loader()
    mmcv_checkpoint.CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    # Callers that use the module-level function directly get it too.
    mmcv_checkpoint.load_from_local = load_from_local


# ---------------------------------------------------------------------------
# scatter_int_stream
# ---------------------------------------------------------------------------


def get_stream_rejects_int(get_stream):
    """Tell whether a ``_get_stream`` function fails on a GPU index.

    PyTorch 1.x's ``_get_stream(device: int)`` returns None for -1 (the CPU);
    PyTorch 2.x's ``_get_stream(device: torch.device)`` reads ``device.type``
    first, so an ``int`` raises ``AttributeError`` before CUDA is touched.
    The probe therefore needs no GPU.

    Args:
        get_stream (callable): The ``_get_stream`` that mmcv's
            ``Scatter.forward`` calls.

    Returns:
        bool: True if ``get_stream`` cannot take an int device index.
    """
    try:
        get_stream(-1)
    except AttributeError:
        return True
    return False


def _make_get_stream(torch_get_stream):
    """Wrap PyTorch's ``_get_stream`` so that it takes mmcv's int indices."""

    @functools.wraps(torch_get_stream)
    def _get_stream(device):
        if isinstance(device, int):
            if device < 0:
                # mmcv's device -1 means the CPU, which needs no stream.
                return None
            # mmcv.parallel scatters to CUDA devices by index (mmcv#3247).
            device = torch.device('cuda', device)
        return torch_get_stream(device)

    return _get_stream


def _scatter_needed():
    return get_stream_rejects_int(mmcv_parallel_functions._get_stream)


def _scatter_apply():
    original = mmcv_parallel_functions._get_stream
    ORIGINALS['scatter_int_stream'] = original
    # ``Scatter.forward`` looks ``_get_stream`` up in its module's globals.
    mmcv_parallel_functions._get_stream = _make_get_stream(original)


# ---------------------------------------------------------------------------
# mmddp_run_ddp_forward
# ---------------------------------------------------------------------------

_REMOVED_DDP_ATTR = '_use_replicated_tensor_module'


def _code_objects(code):
    # A code object and those nested in it (comprehensions, closures).
    yield code
    for const in code.co_consts:
        if hasattr(const, 'co_names'):
            yield from _code_objects(const)


def _names_used(func):
    func = getattr(func, '__func__', func)
    code = getattr(func, '__code__', None)
    if code is None:
        return set()
    return {name for obj in _code_objects(code) for name in obj.co_names}


def ddp_defines(attr):
    """Tell whether PyTorch's ``DistributedDataParallel`` knows ``attr``.

    PyTorch 1.13 sets ``self._use_replicated_tensor_module`` in
    ``DistributedDataParallel.__init__``; PyTorch 2.x never does. The probe
    reads the names the class's methods use, so it needs neither a process
    group nor the source files.

    Args:
        attr (str): Attribute name.

    Returns:
        bool: True if the class has ``attr`` or one of its methods uses it.
    """
    for klass in DistributedDataParallel.__mro__:
        if attr in vars(klass):
            return True
        for member in vars(klass).values():
            if attr in _names_used(member):
                return True
    return False


def run_ddp_forward_reads_removed_attr(run_ddp_forward):
    """Tell whether a ``_run_ddp_forward`` reads an attribute DDP lacks.

    Args:
        run_ddp_forward (callable): An ``MMDistributedDataParallel``
            ``_run_ddp_forward`` implementation.

    Returns:
        bool: True if it reads ``_use_replicated_tensor_module`` and
        PyTorch's ``DistributedDataParallel`` no longer defines it.
    """
    return (_REMOVED_DDP_ATTR in _names_used(run_ddp_forward)
            and not ddp_defines(_REMOVED_DDP_ATTR))


def _run_ddp_forward(self, *inputs, **kwargs):
    """Move the inputs with mmcv's scatter, then run the module through DDP.

    mmcv's version exists so that :class:`~mmcv.parallel.DataContainer`
    inputs go through ``MMDistributedDataParallel.to_kwargs`` (PyTorch's own
    ``_pre_forward`` only moves plain tensors). It picked the module to run
    with ``_use_replicated_tensor_module``; PyTorch 2.x always runs
    ``self.module``, which its own ``_run_ddp_forward`` does (inside the
    context that ``torch.compile``'s DDP optimizer needs).

    Returns:
        Any: Forward result of ``self.module``.
    """
    if self.device_ids:
        inputs, kwargs = self.to_kwargs(inputs, kwargs, self.device_ids[0])
        inputs, kwargs = inputs[0], kwargs[0]
    return DistributedDataParallel._run_ddp_forward(self, *inputs, **kwargs)


def _mmddp_needed():
    return run_ddp_forward_reads_removed_attr(
        MMDistributedDataParallel._run_ddp_forward)


def _mmddp_apply():
    ORIGINALS['mmddp_run_ddp_forward'] = (
        MMDistributedDataParallel._run_ddp_forward)
    MMDistributedDataParallel._run_ddp_forward = _run_ddp_forward


# ---------------------------------------------------------------------------


def resume_assumes_cuda(resume):
    """Whether a runner's ``resume`` asks for the CUDA device unguarded.

    Args:
        resume (callable): A runner's ``resume`` method.

    Returns:
        bool: True if it calls ``current_device`` but never ``is_available``.
    """
    names = _names_used(resume)
    return 'current_device' in names and 'is_available' not in names


def _iter_resume_needed():
    return resume_assumes_cuda(IterBasedRunner.resume)


def _iter_resume_apply():
    original = IterBasedRunner.resume
    ORIGINALS['iter_runner_resume_on_cpu'] = original

    @functools.wraps(original)
    def resume(self,
               checkpoint,
               resume_optimizer=True,
               map_location='default'):
        if map_location == 'default' and not torch.cuda.is_available():
            map_location = 'cpu'
        return original(self, checkpoint, resume_optimizer, map_location)

    IterBasedRunner.resume = resume


def resume_repeats_last_iter(runner_cls):
    """Whether resuming ``iter_k.pth`` puts a runner back at ``k - 1``.

    Args:
        runner_cls (type): ``IterBasedRunner`` or a subclass.

    Returns:
        bool: True if the resumed runner would run iteration ``k`` again.
    """
    model = _ProbeModel()
    with tempfile.TemporaryDirectory() as work_dir:
        runner = runner_cls(
            model,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            work_dir=work_dir,
            logger=_quiet_logger())
        # What the checkpoint hook sees after the first iteration.
        runner.save_checkpoint(work_dir, create_symlink=False)
        resumed = runner_cls(
            model,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            work_dir=work_dir,
            logger=_quiet_logger())
        resumed.resume(osp.join(work_dir, 'iter_1.pth'), map_location='cpu')
    return resumed.iter != 1


class _ProbeModel(torch.nn.Linear):
    """The smallest model an mmcv runner accepts."""

    def __init__(self):
        super().__init__(1, 1)

    def train_step(self, *args, **kwargs):
        raise NotImplementedError

    val_step = train_step


def _quiet_logger():
    import logging
    logger = logging.getLogger('torch2_compat.probe')
    logger.setLevel(logging.ERROR)
    return logger


def _iter_resume_repeats_needed():
    return resume_repeats_last_iter(IterBasedRunner)


def _iter_resume_repeats_apply():
    original = IterBasedRunner.resume
    ORIGINALS['iter_runner_resume_repeats_iter'] = original

    @functools.wraps(original)
    def resume(self, *args, **kwargs):
        original(self, *args, **kwargs)
        # The checkpoint holds the state after iteration meta['iter'] + 1.
        self._iter += 1
        self._inner_iter += 1
        self.logger.info(
            'torch2_compat: going on after iter %d, the last one the '
            'checkpoint holds (mmcv saved it as iter %d)', self._iter,
            self._iter - 1)

    IterBasedRunner.resume = resume


{% if 'seg' in cookiecutter.__tasks.split(',') -%}
# ---------------------------------------------------------------------------
# seg_repeat_dataset_iter
# ---------------------------------------------------------------------------


class _ProbeDataset(list):
    """The smallest dataset mmseg's ``RepeatDataset`` accepts."""
    CLASSES = PALETTE = None


def iteration_never_ends(repeat_dataset_cls):
    """Whether iterating a repeated dataset goes past its length.

    Args:
        repeat_dataset_cls (type): A ``RepeatDataset`` class that takes
            ``(dataset, times)``.

    Returns:
        bool: True if iterating a 2-item ``repeat_dataset_cls`` yields more
        than 2 items.
    """
    dataset = repeat_dataset_cls(_ProbeDataset([0]), times=2)
    for count, _ in enumerate(dataset, start=1):
        if count > len(dataset):
            return True
    return False


def _iterate_by_length(self):
    """Yield ``self[0]`` to ``self[len(self) - 1]``."""
    for index in range(len(self)):
        yield self[index]


def _seg_repeat_iter_needed():
    return iteration_never_ends(SegRepeatDataset)


def _seg_repeat_iter_apply():
    ORIGINALS['seg_repeat_dataset_iter'] = getattr(SegRepeatDataset,
                                                   '__iter__', None)
    SegRepeatDataset.__iter__ = _iterate_by_length


{% endif -%}
#: Every fix by name, in the order :func:`apply_all` applies them.
FIXES = OrderedDict([
    ('checkpoint_weights_only', Fix(_checkpoint_needed, _checkpoint_apply)),
    ('scatter_int_stream', Fix(_scatter_needed, _scatter_apply)),
    ('mmddp_run_ddp_forward', Fix(_mmddp_needed, _mmddp_apply)),
    ('iter_runner_resume_on_cpu', Fix(_iter_resume_needed,
                                      _iter_resume_apply)),
    ('iter_runner_resume_repeats_iter',
     Fix(_iter_resume_repeats_needed, _iter_resume_repeats_apply)),
{%- if 'seg' in cookiecutter.__tasks.split(',') %}
    ('seg_repeat_dataset_iter',
     Fix(_seg_repeat_iter_needed, _seg_repeat_iter_apply)),
{%- endif %}
])


def apply_all():
    """Apply each fix whose probe finds the problem; safe to call again.

    Returns:
        list[str]: :data:`APPLIED`, the names of the fixes applied so far.
    """
    for name, fix in FIXES.items():
        if name not in APPLIED and fix.needed():
            fix.apply()
            APPLIED.append(name)
    return APPLIED


apply_all()
