"""``IterBasedRunner.resume`` (mmseg's runner): on a CPU, at the right step.

``iter_runner_resume_on_cpu``: ``resume`` maps the checkpoint to
``torch.cuda.current_device()`` without asking whether there is a GPU, so
``--resume-from`` of an iteration-based run fails on a CPU.
``EpochBasedRunner`` (``BaseRunner.resume``) checks
``torch.cuda.is_available()`` first; the fix does the same.

``iter_runner_resume_repeats_iter``: the runner saves ``iter_k.pth`` with
``meta['iter'] = k - 1`` (its checkpoint hook runs before the iteration
counter moves on), and ``resume`` takes that number as is, so a resumed run
repeats iteration ``k`` with an optimizer that has already taken that step.
The fix resumes after iteration ``k``, as mmengine's runner does.
"""
import functools

import mmcv
import torch
from mmcv.runner import IterBasedRunner

from . import APPLIED, record, release

ON_CPU = 'iter_runner_resume_on_cpu'
REPEATS_ITER = 'iter_runner_resume_repeats_iter'


def needed():
    """Whether the installed mmcv has the problems.

    Returns:
        bool: True for mmcv <= 1.7.2, its last 1.x release.
    """
    return release(mmcv.__version__) <= (1, 7, 2)


def fixed_resume(resume):
    """Wrap ``IterBasedRunner.resume`` with both fixes.

    Args:
        resume (callable): mmcv's ``IterBasedRunner.resume``.

    Returns:
        callable: The fixed ``resume``, with the same arguments.
    """

    @functools.wraps(resume)
    def fixed(self, checkpoint, resume_optimizer=True, map_location='default'):
        if map_location == 'default' and not torch.cuda.is_available():
            map_location = 'cpu'
        resume(self, checkpoint, resume_optimizer, map_location)
        # The checkpoint holds the state after iteration meta['iter'] + 1.
        self._iter += 1
        self._inner_iter += 1
        self.logger.info(
            'upstream_fixes: going on after iter %d, the last one the '
            'checkpoint holds (mmcv saved it as iter %d)', self._iter,
            self._iter - 1)

    return fixed


def apply():
    """Apply the fixes if the installed mmcv needs them (once)."""
    if ON_CPU in APPLIED or not needed():
        return
    original = IterBasedRunner.resume
    record(ON_CPU, original)
    record(REPEATS_ITER, original)
    IterBasedRunner.resume = fixed_resume(original)
