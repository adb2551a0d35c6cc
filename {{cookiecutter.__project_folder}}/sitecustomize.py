"""Let ``--launcher pytorch`` runs reach the toolboxes' ``--local_rank``.

``mim train/test <pkg> <config> --launcher pytorch --gpus N`` starts
``python -m torch.distributed.launch ... tools/train.py ...``. Since
PyTorch 2.0 that launcher passes ``--local-rank=<rank>`` (with a dash) to
each worker, but the ``tools/train.py`` and ``tools/test.py`` of mmcls 0.25,
mmdet 2.28 and mmseg 0.30 only declare ``--local_rank``, so every worker
dies in argparse with ``unrecognized arguments: --local-rank=0``. The
launcher's ``--use-env`` flag would stop it, but mim does not pass it and
no environment variable turns it on.

Python imports a module named ``sitecustomize`` at start-up from the first
``sys.path`` entry that has one, and the project's README has you
``export PYTHONPATH=$(pwd)`` (the project root) so that the configs can
import ``models``. The launcher's workers inherit that variable, so this
file runs in each of them before the script does. It rewrites
``--local-rank`` to ``--local_rank`` in ``sys.argv``, and only when the
script being run declares ``--local_rank`` and not ``--local-rank`` (the
value is the same; the toolboxes also read it from ``LOCAL_RANK``). Any
other script, or any run without ``--local-rank``, is left untouched.

Since this file hides any other ``sitecustomize`` further down
``sys.path`` (a distribution's or a virtual environment's), it runs that
one afterwards.
"""
import importlib.machinery
import importlib.util
import os
import sys

DASHED = '--local-rank'
UNDERSCORED = '--local_rank'


def _declares(script, option):
    # The option as a string literal in the script, e.g. '--local_rank'.
    return f"'{option}'" in script or f'"{option}"' in script


def rewrite_local_rank(argv):
    """Rewrite ``--local-rank`` to ``--local_rank`` for scripts that need it.

    Args:
        argv (list[str]): ``sys.argv``: the script's path, then its
            arguments. Changed in place.

    Returns:
        bool: True if ``argv`` was changed.
    """
    args = argv[1:]
    if not any(a == DASHED or a.startswith(DASHED + '=') for a in args):
        return False
    try:
        with open(argv[0], encoding='utf-8') as f:
            script = f.read()
    except (OSError, UnicodeDecodeError):
        # ``python -c``, ``python -m`` or an unreadable script: not ours.
        return False
    if not _declares(script, UNDERSCORED) or _declares(script, DASHED):
        return False
    for i, arg in enumerate(args, start=1):
        if arg == '--':
            break
        if arg == DASHED or arg.startswith(DASHED + '='):
            argv[i] = UNDERSCORED + arg[len(DASHED):]
    return True


def _run_next_sitecustomize():
    # Run the sitecustomize that this file shadows, if there is one.
    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec('sitecustomize', path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


# Only at start-up, when Python imports this file as ``sitecustomize``
# (tests load it under another name to call its functions).
if __name__ == 'sitecustomize':
    rewrite_local_rank(sys.argv)
    _run_next_sitecustomize()
