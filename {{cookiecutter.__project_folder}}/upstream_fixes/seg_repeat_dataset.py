"""``seg_repeat_dataset_iter``: iterating mmseg's ``RepeatDataset`` ends.

mmseg's ``RepeatDataset`` (the toy segmentation config's) has
``__getitem__`` and ``__len__`` but no ``__iter__``, so ``for item in
dataset`` falls back to indexing until an ``IndexError`` that its
wrap-around indexing never raises: mmseg's ``tools/browse_dataset.py``
never ends. The fix iterates ``len(dataset)`` items, as the data loaders'
samplers do.
"""
import mmseg
from mmseg.datasets import RepeatDataset

from . import APPLIED, record, release

NAME = 'seg_repeat_dataset_iter'


def needed():
    """Whether the installed mmseg has the problem.

    Returns:
        bool: True for mmseg <= 0.30.0, its last 0.x release.
    """
    return release(mmseg.__version__) <= (0, 30, 0)


def iterate_by_length(self):
    """Yield ``self[0]`` to ``self[len(self) - 1]``."""
    for index in range(len(self)):
        yield self[index]


def apply():
    """Apply the fix if the installed mmseg needs it (once)."""
    if NAME in APPLIED or not needed():
        return
    record(NAME, vars(RepeatDataset).get('__iter__'))
    RepeatDataset.__iter__ = iterate_by_length
