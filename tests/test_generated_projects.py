"""Baked projects pass their own tests and the stack checks, trainings too.

The stack checks of a bake's OpenMMLab generation (``tests/stack/<gen>/``),
and the helpers they share (``tests/stack/common/``), are rendered with the
bake's answers into its ``tests/stack/`` and run by one pytest command with
the project's own tests, in the Python of that generation, so both share
the toy trainings. Between them the bakes train
ConvNeXt on every task in each generation's stack, and the skeleton on
every task across the two (:data:`PROJECTS`).

Most stack checks exercise the installed stack, the project's fixes and
the commands the docs print, which are the same for every answer of a
generation: they run once, in its bake with every task. The checks whose
outcome depends on the answers beyond the task list
(:data:`CHECKS_OF_EVERY_BAKE`) run in every bake.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from generations import run_project_pytest

STACK_CHECKS = Path(__file__).resolve().parent / 'stack'
TASKS = ('cls', 'det', 'seg')
BACKBONE_SOURCES = ('convnext', 'skeleton')
#: Stack checks whose outcome depends on the backbone's code or on what the
#: answers render into the README and the configs.
CHECKS_OF_EVERY_BAKE = ('test_backbone_stack.py', 'test_readme_baseline.py',
                        'test_readme_commands.py', 'test_recipes.py',
                        'test_recipes_cls.py', 'test_timm_weights_convnext.py')
#: The answers of each bake, and whether it runs every stack check of its
#: generation. Per generation, ConvNeXt trains every task from the digits
#: run; the skeleton trains det and seg from scratch in 1.x, and cls and seg
#: from the digits in 2.x (its code is the same in both but for imports).
#: In this order, ``--dist load --maxschedchunk 1`` (pytest-xdist) gives
#: each of two workers two of them at the start, one long suite (every
#: check) and one short, and hands out the rest a test at a time.
PROJECTS = [
    pytest.param({}, True, id='ConvNeXt-cls,det,seg-1.x'),
    pytest.param({
        'backbone_name': 'MyNet',
        'tasks': 'cls,seg',
        'openmmlab': '2.x'
    },
                 False,
                 id='MyNet-cls,seg-2.x'),
    pytest.param({'openmmlab': '2.x'}, True, id='ConvNeXt-cls,det,seg-2.x'),
    pytest.param({
        'backbone_name': 'MyNet',
        'tasks': 'det,seg'
    },
                 False,
                 id='MyNet-det,seg-1.x'),
]


def add_stack_checks(project, every_check=True):
    """Render the stack checks of the project's generation into it.

    Args:
        project (Path): A baked project.
        every_check (bool): Whether to render every stack check, or only
            :data:`CHECKS_OF_EVERY_BAKE` (and the helpers they import).

    Returns:
        Path: The folder the checks were written to.
    """
    answers = json.loads((project / '.cookiecutter.json').read_text())
    checks = STACK_CHECKS / answers['cookiecutter']['openmmlab']
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(STACK_CHECKS),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True)
    tasks = answers['cookiecutter']['__tasks'].split(',')
    target = project / 'tests' / 'stack'
    target.mkdir()
    # Those of every generation first; a generation's own may replace one.
    sources = {
        source.name: source
        for folder in (STACK_CHECKS / 'common', checks)
        for source in sorted(folder.glob('*.py'))
    }
    for source in sources.values():
        # test_<topic>_<task>.py checks only a project with that task,
        # test_<topic>_convnext.py only one with the ConvNeXt code.
        task = source.stem.rsplit('_', 1)[-1]
        if task in TASKS and task not in tasks:
            continue
        if (task in BACKBONE_SOURCES
                and task != answers['cookiecutter']['__backbone_source']):
            continue
        if not (every_check or source.name in CHECKS_OF_EVERY_BAKE
                or not source.name.startswith('test_')):
            continue
        text = environment.get_template(
            source.relative_to(STACK_CHECKS).as_posix()).render(**answers)
        (target / source.name).write_text(text, encoding='utf-8')
    return target


def run_pytest(project, *args):
    return run_project_pytest(project, '-q', '-rs', '--durations=10', *args)


def assert_passed(run):
    summary = run.stdout.strip().splitlines()[-1]
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert ' passed' in summary and 'failed' not in summary, summary
    # The only acceptable skips: GPU-only tests without a GPU (and their CPU
    # twins with one). A missing package must fail, not skip.
    skips = re.findall(r'^SKIPPED \[\d+\] \S+: (.*)$', run.stdout, re.M)
    assert all('GPU' in reason for reason in skips), skips


@pytest.mark.parametrize('answers, every_check', PROJECTS)
def test_project_passes_its_tests_and_the_stack_checks(cookies, answers,
                                                       every_check):
    result = cookies.bake(extra_context=answers)
    assert result.exception is None, result.exception
    project = Path(result.project_path)
    stack = add_stack_checks(project, every_check)
    for linter in (['flake8'], ['isort', '--check-only', '--diff'],
                   ['yapf', '--diff', '--recursive']):
        lint = subprocess.run([sys.executable, '-m', *linter, str(stack)],
                              cwd=project,
                              capture_output=True,
                              text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    assert_passed(run_pytest(project, 'tests'))


def test_fast_tier_leaves_out_the_trainings(cookies):
    # What the project's README calls its fast tier: no toy run starts.
    project = Path(cookies.bake().project_path)
    run = run_pytest(project, 'tests', '-m', 'not slow', '--collect-only')
    assert run.returncode == 0, run.stdout[-3000:]
    collected = re.findall(r'^tests/\S+', run.stdout, re.M)
    assert collected and not any('test_train_' in item
                                 for item in collected), collected
