"""Start-up fixes for the toolboxes' scripts on PyTorch 2 and Python 3.10+.

``--launcher pytorch`` runs reach the toolboxes' ``--local_rank``:

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

Scripts that import ``collections.abc`` names from ``collections`` (mmdet's
``tools/misc/browse_dataset.py`` has ``from collections import Sequence``)
stopped importing in Python 3.10, which removed those aliases. For a script
that has such an import, and only for the names it imports, the aliases are
put back before it runs.

Since this file hides any other ``sitecustomize`` further down
``sys.path`` (a distribution's or a virtual environment's), it runs that
one afterwards.
"""
import collections
import collections.abc
import importlib.machinery
import importlib.util
import os
import re
import sys

DASHED = '--local-rank'
UNDERSCORED = '--local_rank'

# ``from collections import A, B as C`` at the start of a line.
COLLECTIONS_IMPORT = re.compile(r'^[ \t]*from collections import ([\w ,]+)$',
                                re.MULTILINE)


def _declares(script, option):
    # The option as a string literal in the script, e.g. '--local_rank'.
    return f"'{option}'" in script or f'"{option}"' in script


def read_script(argv):
    """Read the source of the script that Python is running.

    Args:
        argv (list[str]): ``sys.argv``.

    Returns:
        str | None: The source of ``argv[0]``; None for ``python -c`` and
        ``python -m`` (``-c``/``-m`` in ``argv[0]``) and unreadable files.
    """
    try:
        with open(argv[0], encoding='utf-8') as f:
            return f.read()
    except (OSError, UnicodeDecodeError, IndexError):
        return None


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
    script = read_script(argv)
    if script is None or not _declares(script, UNDERSCORED):
        return False
    if _declares(script, DASHED):
        return False
    for i, arg in enumerate(args, start=1):
        if arg == '--':
            break
        if arg == DASHED or arg.startswith(DASHED + '='):
            argv[i] = UNDERSCORED + arg[len(DASHED):]
    return True


def restore_collections_aliases(argv):
    """Put back the ``collections.abc`` aliases that a script imports.

    Only names the script imports from ``collections`` and that Python 3.10
    removed from it are put back.

    Args:
        argv (list[str]): ``sys.argv``; only ``argv[0]``, the script, is
            read.

    Returns:
        list[str]: The names put back into ``collections``, sorted.
    """
    script = read_script(argv)
    if script is None:
        return []
    imported = {
        name.split()[0]
        for names in COLLECTIONS_IMPORT.findall(script)
        for name in names.split(',') if name.strip()
    }
    missing = sorted(
        name for name in imported
        if name in collections.abc.__all__ and not hasattr(collections, name))
    for name in missing:
        setattr(collections, name, getattr(collections.abc, name))
    return missing


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
    restore_collections_aliases(sys.argv)
    _run_next_sitecustomize()
