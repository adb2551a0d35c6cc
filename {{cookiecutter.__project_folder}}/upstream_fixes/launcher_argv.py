"""Fixes that must run before a script starts (``sitecustomize.py``).

``local_rank_argv``: ``mim train/test <pkg> <config> --launcher pytorch``
starts ``python -m torch.distributed.launch ... tools/train.py ...``. Since
PyTorch 2.0 that launcher passes ``--local-rank=<rank>`` (with a dash) to
each worker, but the ``tools/train.py`` and ``tools/test.py`` of mmcls 0.25,
mmdet 2.28 and mmseg 0.30 only declare ``--local_rank``, so every worker
dies in argparse with ``unrecognized arguments: --local-rank=0``. mim does
not pass the launcher's ``--use-env``, and no environment variable turns it
on. The workers inherit ``PYTHONPATH``, so ``sitecustomize.py`` runs in each
of them before the script and rewrites ``--local-rank`` to ``--local_rank``,
only when the script declares ``--local_rank`` and not ``--local-rank`` (the
value is the same; the toolboxes also read it from ``LOCAL_RANK``). Other
scripts, and runs without ``--local-rank``, are left untouched; a release
of a toolbox that declares ``--local-rank`` is left alone.

``collections_abc_aliases``: Python 3.10 removed the aliases of
``collections.abc`` names from ``collections``, and scripts that still
import them there (mmdet's ``tools/misc/browse_dataset.py`` has ``from
collections import Sequence``) stop at their first line. For a script with
such an import, and only for the names it imports, the aliases are put back
before it runs.

Both read only ``sys.argv`` and the script's own source, and import no
module unless the script needs them, so that they cost a Python process next
to nothing.
"""
import sys

from . import APPLIED, record

LOCAL_RANK = 'local_rank_argv'
ALIASES = 'collections_abc_aliases'

DASHED = '--local-rank'
UNDERSCORED = '--local_rank'

# ``from collections import A, B as C`` at the start of a line.
COLLECTIONS_IMPORT = r'^[ \t]*from collections import ([\w ,]+)$'


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
    if script is None or 'from collections import' not in script:
        return []
    import collections
    import collections.abc
    import re
    imported = {
        name.split()[0]
        for names in re.findall(COLLECTIONS_IMPORT, script, re.MULTILINE)
        for name in names.split(',') if name.strip()
    }
    missing = sorted(
        name for name in imported
        if name in collections.abc.__all__ and not hasattr(collections, name))
    for name in missing:
        setattr(collections, name, getattr(collections.abc, name))
    return missing


def apply(argv):
    """Apply both fixes to this process.

    Args:
        argv (list[str]): ``sys.argv``, changed in place where needed.
    """
    original = list(argv)
    if rewrite_local_rank(argv) and LOCAL_RANK not in APPLIED:
        record(LOCAL_RANK, original)
    if sys.version_info >= (3, 10):
        names = restore_collections_aliases(argv)
        if names and ALIASES not in APPLIED:
            record(ALIASES, None)
