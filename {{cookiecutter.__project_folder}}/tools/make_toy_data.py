"""Write small, deterministic data sets to smoke-test the configs.

Each task of this project has a generator module in ``tools/toy_data/``;
the command runs the ones asked for (all of them by default) and writes
each under its own folder of ``--out``, removing that folder first::

    python tools/make_toy_data.py [--out data/toy] [--seed 0]
                                  [--tasks TASK [TASK ...]]

The same seed gives the same bytes on every run.
"""
import argparse
import importlib
import importlib.util
import sys
import time
from pathlib import Path

GENERATOR_DIR = Path(__file__).resolve().parent / 'toy_data'
#: The name the generators are imported under.
PACKAGE = 'toy_data'


def generators():
    """Task name -> generator module name, found in ``tools/toy_data/``.

    A generator module is named ``<task>_<what>.py`` (``cls_...``), so a
    project simply has no module for a task it does not do, and the
    package's helpers (``shapes.py``) are never taken for a task.

    Returns:
        dict[str, str]: Sorted by task name.
    """
    return {
        path.stem.split('_')[0]: path.stem
        for path in sorted(GENERATOR_DIR.glob('[a-z]*_*.py'))
    }


def available_tasks():
    """Tasks whose generator module exists next to this script.

    Returns:
        list[str]: Task names, sorted.
    """
    return list(generators())


def load_generator(task):
    """Import the generator module of ``task`` from ``tools/toy_data/``.

    ``tools/toy_data`` is imported as the package ``toy_data`` from its
    path, so this works whether or not ``tools/`` is on ``sys.path``.

    Args:
        task (str): One of :func:`available_tasks`.

    Returns:
        module: The module, with ``CLASSES``, ``FOLDER`` and ``generate``.
    """
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE,
            GENERATOR_DIR / '__init__.py',
            submodule_search_locations=[str(GENERATOR_DIR)])
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f'{PACKAGE}.{generators()[task]}')


def _summary(module):
    """First line of a module's docstring."""
    return (module.__doc__ or '').strip().splitlines()[0]


def parse_args(argv=None):
    """Parse the command line.

    Args:
        argv (list[str], optional): Arguments; defaults to ``sys.argv``.

    Returns:
        argparse.Namespace: ``out``, ``seed`` and ``tasks``.
    """
    tasks = available_tasks()
    lines = [f'  {t}: {_summary(load_generator(t))}' for t in tasks]
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0],
        epilog='generators of this project:\n' + '\n'.join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--out',
        default='data/toy',
        help='root folder of the toy data (default: %(default)s)')
    parser.add_argument(
        '--seed', type=int, default=0, help='random seed (default: 0)')
    parser.add_argument(
        '--tasks',
        nargs='+',
        default=tasks,
        metavar='TASK',
        help=f'tasks to write data for: any of {", ".join(tasks)} '
        '(default: all of them)')
    args = parser.parse_args(argv)
    unknown = [t for t in args.tasks if t not in tasks]
    if unknown:
        parser.error(f'this project has no toy data for '
                     f'{", ".join(map(repr, unknown))} '
                     f'(choose from {", ".join(tasks)})')
    args.tasks = [t for t in tasks if t in args.tasks]  # drop duplicates
    if not 0 <= args.seed < 2**32:  # what numpy's generators take
        parser.error(f'--seed must be in [0, 2**32), got {args.seed}')
    out = Path(args.out)
    existing = next(path for path in (out, *out.parents) if path.exists())
    if not existing.is_dir():
        parser.error(f'--out {args.out}: {existing} is a file, not a folder')
    return args


def main(argv=None):
    """Run the generators asked for and print what they wrote."""
    from tqdm import tqdm

    args = parse_args(argv)
    for task in args.tasks:
        module = load_generator(task)
        start = time.perf_counter()
        result = module.generate(args.out, seed=args.seed, progress=tqdm)
        seconds = time.perf_counter() - start
        counts = ', '.join(f'{n} {split}'
                           for split, n in result['counts'].items())
        print(f'{task}: wrote {counts} images of '
              f'{len(result["classes"])} classes to {result["root"]} '
              f'({seconds:.1f} s)')
        print(f'{" " * len(task)}  classes: {", ".join(result["classes"])}')


if __name__ == '__main__':
    main()
