"""Write small, deterministic data sets to smoke-test the configs.

Each task of this project has a generator module in ``tools/toy_data/``;
the command runs the ones asked for (all of them by default) and writes
each under its own folder of ``--out``, removing that folder first::

    python tools/make_toy_data.py [--out data/toy] [--seed 0]
                                  [--tasks TASK [TASK ...]]

The same seed gives the same bytes on every run.
"""
import argparse
import importlib.util
import sys
import time
from pathlib import Path

GENERATOR_DIR = Path(__file__).resolve().parent / 'toy_data'


def generators():
    """Task name -> generator module name, found next to this script.

    A generator module is named ``<task>_<what>.py`` (``cls_...``), so a
    project simply has no module for a task it does not do.

    Returns:
        dict[str, str]: Sorted by task name.
    """
    return {
        path.stem.split('_')[0]: path.stem
        for path in sorted(GENERATOR_DIR.glob('*_*.py'))
    }


def available_tasks():
    """Tasks whose generator module exists next to this script.

    Returns:
        list[str]: Task names, sorted.
    """
    return list(generators())


def load_generator(task):
    """Import the generator module of ``task`` from ``tools/toy_data/``.

    Args:
        task (str): One of :func:`available_tasks`.

    Returns:
        module: The module, with ``CLASSES`` and ``generate``.
    """
    name = generators()[task]
    module_name = f'toy_data.{name}'
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name,
                                                  GENERATOR_DIR / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


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
