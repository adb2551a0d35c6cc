"""The OpenMMLab generations a bake can target, and the Python of each.

The two generations cannot share an environment (both install a package
named ``mmcv``): a bake's own code runs with the Python of its generation.
This Python has the 1.x stack; the 2.x stack is in :data:`VENV_2X`, which
the README's test command creates, or in the Python that
:data:`PYTHON_2X_VARIABLE` names.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
GENERATIONS = json.loads(
    (TEMPLATE_ROOT / 'cookiecutter.json').read_text())['openmmlab']
PYTHON_2X_VARIABLE = 'OPENMMLAB_2X_PYTHON'
VENV_2X = TEMPLATE_ROOT / '.venv-openmmlab2x'


def generation_of(project):
    """The ``openmmlab`` answer of a baked project."""
    answers = json.loads((Path(project) / '.cookiecutter.json').read_text())
    return answers['cookiecutter']['openmmlab']


def generation_python(project):
    """The Python that runs a baked project's code: that of its stack."""
    return python_of(generation_of(project))


def python_of(generation):
    """The Python with the stack of ``generation`` (``1.x`` or ``2.x``)."""
    if generation == '1.x':
        return sys.executable
    python = os.environ.get(PYTHON_2X_VARIABLE) or VENV_2X / 'bin' / 'python'
    if not Path(python).is_file():
        pytest.fail(f'no Python with the OpenMMLab 2.x stack at {python}: '
                    'the README\'s test command installs one there, or set '
                    f'{PYTHON_2X_VARIABLE}')
    return str(python)


def project_environment(project):
    """The environment to run a baked project's tests and commands in.

    The Python of its generation comes first on ``PATH``, as in a user's
    activated environment: the toy commands run ``mim`` and ``python``
    from there. Under pytest-xdist, torch gets this worker's share of the
    cores: workers that each spread over every core spin against each other
    (side by side, two toy trainings then take twice as long).

    Returns:
        dict: The environment.
    """
    env = dict(os.environ)
    env['PATH'] = os.pathsep.join(
        [str(Path(generation_python(project)).parent),
         env.get('PATH', '')])
    workers = int(env.get('PYTEST_XDIST_WORKER_COUNT', '1'))
    if workers > 1 and 'OMP_NUM_THREADS' not in env:
        cores = len(os.sched_getaffinity(0))
        env['OMP_NUM_THREADS'] = str(max(1, cores // workers))
    return env


def run_project_pytest(project, *args):
    """Run pytest in a baked project, with the Python of its generation.

    Its temporary folders (the toy runs' work dirs among them) go beside
    the project, so they go when the bake does: in pytest's shared
    ``/tmp/pytest-of-<user>`` the folders of finished runs stay behind.

    Returns:
        subprocess.CompletedProcess: The run, its output captured as text.
    """
    project = Path(project)
    basetemp = project.parent / f'{project.name}-pytest'
    return subprocess.run(
        [generation_python(project), '-m', 'pytest', '-p', 'no:cacheprovider',
         f'--basetemp={basetemp}', *args],
        cwd=project,
        env=project_environment(project),
        capture_output=True,
        text=True)
