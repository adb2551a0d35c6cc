"""``mim_click_unset``: options left out reach mim as None again.

Since click 8.3 an option that was left out holds click's ``UNSET``
sentinel while its command parses the arguments, and since click 8.3.1
``Command.parse_args`` turns what is left of it into None at its end. mim
0.3.9's ``CustomCommand.parse_args`` is a copy of an older click's, without
that step, so mim's commands get the sentinel: ``mim train|test ...
--launcher slurm`` without ``--srun-args`` dies with ``AttributeError:
'Sentinel' object has no attribute 'split'``. The fix adds the step to
mim's copy.

``sitecustomize.py`` imports this package when Python starts, and the fix
applies when ``mim.click`` is imported, so it reaches the ``mim`` process
itself; other processes pay nothing for it.
"""
import functools
from importlib.metadata import version

from mim.click.customcommand import CustomCommand
from mim.version import __version__ as mim_version

from . import APPLIED, record, release

NAME = 'mim_click_unset'


def needed():
    """Whether the installed mim and click have the problem.

    Returns:
        bool: True for mim <= 0.3.9 (its last release) with click >= 8.3.1.
    """
    return (release(mim_version) <= (0, 3, 9)
            and release(version('click')) >= (8, 3, 1))


def none_for_unset(parse_args, unset):
    """Wrap a command's ``parse_args`` to end as click's own does.

    Args:
        parse_args (callable): mim's ``CustomCommand.parse_args``.
        unset (object): click's ``UNSET`` sentinel.

    Returns:
        callable: ``parse_args`` that leaves None, not ``unset``, in
        ``ctx.params``.
    """

    @functools.wraps(parse_args)
    def fixed(self, ctx, args):
        args = parse_args(self, ctx, args)
        for name, value in ctx.params.items():
            if value is unset:
                ctx.params[name] = None
        return args

    return fixed


def apply():
    """Apply the fix if the installed versions need it (once)."""
    if NAME in APPLIED or not needed():
        return
    try:
        from click._utils import UNSET
    except ImportError:
        # A click that moved its sentinel: left unfixed, which the tests
        # report, rather than breaking every mim command here.
        return
    original = CustomCommand.parse_args
    record(NAME, original)
    CustomCommand.parse_args = none_for_unset(original, UNSET)
