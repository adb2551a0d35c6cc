"""``checkpoint_weights_only``: load the project's own checkpoints again.

``torch.load`` defaults to ``weights_only=True`` since PyTorch 2.6, and
mmengine's loader of local checkpoints (``mmengine.runner.checkpoint``'s
``load_from_local``) calls it bare. The checkpoints that mmengine's runner
writes hold more than tensors: ``message_hub`` keeps the logged scalars in
mmengine's ``HistoryBuffer`` objects (numpy arrays inside), and ``meta``
holds the dataset's meta information. Such checkpoints no longer load
(``Unsupported global: ... HistoryBuffer``), which breaks ``mim test``
of a checkpoint, ``--resume``, ``load_from`` and ``init_cfg`` pretrained
weights from a local file. The fix loads local files with
``weights_only=False``, as every PyTorch before 2.6 did.
"""
import os.path as osp

import mmengine
import torch
from mmengine.runner import checkpoint as mmengine_checkpoint

from . import APPLIED, record, release

NAME = 'checkpoint_weights_only'


def needed():
    """Whether the installed mmengine and PyTorch have the problem.

    Returns:
        bool: True for mmengine <= 0.10.7 (the pinned release) on PyTorch
        >= 2.6.
    """
    return (release(mmengine.__version__) <= (0, 10, 7)
            and release(torch.__version__) >= (2, 6))


def load_from_local(filename, map_location=None):
    """Load a checkpoint from a local file that you trust.

    The same as mmengine's ``load_from_local`` but with
    ``weights_only=False``: unpickling runs arbitrary code, as
    ``torch.load`` did before PyTorch 2.6, so only load files you trust
    (your own training runs, checkpoints from a source you trust). Remote
    checkpoints (``http(s)://``, ``torchvision://``, ...) go through
    ``torch.hub``, whose ``weights_only`` default is still False, and are
    not affected.

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


def apply():
    """Apply the fix if the installed versions need it (once)."""
    if NAME in APPLIED or not needed():
        return
    loader = mmengine_checkpoint.CheckpointLoader
    # The loader registered for local paths (prefix ''), the one that
    # ``load_checkpoint``, ``runner.load_checkpoint`` and ``runner.resume``
    # use for a plain path.
    record(NAME, loader._schemes[''])
    loader.register_scheme(prefixes='', loader=load_from_local, force=True)
    # Callers that use the module-level function directly get it too.
    mmengine_checkpoint.load_from_local = load_from_local
