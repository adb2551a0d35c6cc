"""``tools/install.sh`` on each Python it supports, without torch.

The rest of the tests run both stacks on one Python. What the user's
Python changes first is the mmcv sdist: pip reads its metadata by running
its ``setup.py`` on that Python, before a build of 25 to 35 minutes, and
mmcv's ``get_version()`` fails there on Python 3.13. Here every supported
Python found on this machine (pyenv's, ``python3.X`` on ``PATH``, or the
one running the tests) fetches and patches the sdist of each generation
with the script's own functions (``source tools/install.sh``), in a fresh
virtual environment with the script's setuptools, and pip then reads the
patched sdist's metadata as the build does. A Python outside the range is
refused in one line, before anything is installed. And every line of the
requirement files that the script installs has a release for each of them.
"""
import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter
from generations import GENERATIONS, TEMPLATE_ROOT

SUPPORTED = ('3.10', '3.11', '3.12', '3.13')
# Python 3.13 (PEP 667): exec() no longer writes into a function's locals().
NEEDS_VERSION_PATCH = ('3.13', )
VERSION_QUERY = 'import sys; print("%d.%d" % sys.version_info[:2])'


def version_of(python):
    """The ``major.minor`` of an interpreter, or None if it does not run."""
    try:
        run = subprocess.run([python, '-c', VERSION_QUERY],
                             capture_output=True,
                             text=True,
                             timeout=60)
    except OSError:
        return None
    return run.stdout.strip() if run.returncode == 0 else None


@functools.lru_cache(maxsize=None)
def find_python(version):
    """An interpreter of Python ``version`` (``'3.12'``) here, or None."""
    pyenv = Path(os.environ.get('PYENV_ROOT', Path.home() / '.pyenv'))
    candidates = sorted(pyenv.glob(f'versions/{version}.*/bin/python'),
                        reverse=True)
    candidates += [shutil.which(f'python{version}'), sys.executable]
    return next((str(python) for python in candidates
                 if python and version_of(str(python)) == version), None)


def python_or_skip(version):
    python = find_python(version)
    if python is None:
        pytest.skip(f'no Python {version} on this machine (pyenv, '
                    f'python{version} on PATH, or the one running the tests)')
    return python


@pytest.fixture(scope='module')
def installer(tmp_path_factory):
    """The ``tools/install.sh`` of a default bake of a generation."""

    @functools.lru_cache(maxsize=None)
    def bake(generation):
        project = cookiecutter(
            str(TEMPLATE_ROOT),
            no_input=True,
            output_dir=str(tmp_path_factory.mktemp(f'bake-{generation}')),
            extra_context={'openmmlab': generation})
        return Path(project) / 'tools' / 'install.sh'

    return bake


@pytest.fixture(scope='module')
def venv(tmp_path_factory):
    """A fresh virtual environment of a Python version (skipped if none)."""

    @functools.lru_cache(maxsize=None)
    def make(version):
        path = tmp_path_factory.mktemp(f'venv-{version}')
        subprocess.run([python_or_skip(version), '-m', 'venv',
                        str(path)],
                       check=True)
        return str(path / 'bin' / 'python')

    return make


def run_sourced(installer, python, script, tmp_path):
    """Run bash ``script`` after ``source``-ing the script in ``installer``.

    Returns:
        subprocess.CompletedProcess: The run, its output captured as text.
    """
    env = dict(os.environ, PYTHON=python, WORK=str(tmp_path / 'work'))
    return subprocess.run(['bash', '-c', f'source "{installer}"\n{script}'],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)


@pytest.mark.parametrize('generation', GENERATIONS)
@pytest.mark.parametrize('version', SUPPORTED)
def test_mmcv_sdist_metadata_after_the_scripts_patches(installer, venv,
                                                       tmp_path, version,
                                                       generation):
    """pip reads the patched sdist's version, as the build will."""
    python = venv(version)
    run = run_sourced(
        installer(generation), python, '''
check_python
pip_install --quiet "$SETUPTOOLS"
srcdir=$(fetch_mmcv_sdist "$WORK")
patch_mmcv_sdist "$srcdir"
cp "$srcdir/setup.py" "$WORK/patched_setup.py"
"$PYTHON" -m pip install --disable-pip-version-check --quiet --dry-run \\
    --no-deps --no-build-isolation --no-index --report "$WORK/report.json" \\
    "$srcdir"
echo "mmcv $MMCV_VERSION"
''', tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    mmcv_version = run.stdout.splitlines()[-1].split()[-1]
    report = json.loads((tmp_path / 'work' / 'report.json').read_text())
    assert [item['metadata']['version']
            for item in report['install']] == [mmcv_version]
    # Patched only where this Python needs it.
    setup = (tmp_path / 'work' / 'patched_setup.py').read_text()
    assert ("return locals()['__version__']"
            in setup) == (version not in NEEDS_VERSION_PATCH)
    # And says so.
    assert ('patched setup.py: get_version()'
            in run.stdout) == (version in NEEDS_VERSION_PATCH)


@pytest.mark.parametrize('generation', GENERATIONS)
@pytest.mark.parametrize('version', SUPPORTED)
def test_every_pin_of_the_requirements_has_a_release_for_this_python(
        installer, venv, version, generation):
    """What the script's last step installs: each line, not its dependencies.

    (flake8 7.5.0 needs Python 3.11: the linters' pin is 7.4.1.)
    """
    requirements = sorted(
        installer(generation).parents[1].glob('requirements/*.txt'))
    assert len(requirements) == 2, requirements
    run = subprocess.run([
        venv(version), '-m', 'pip', 'install', '--disable-pip-version-check',
        '--quiet', '--dry-run', '--no-deps', '--ignore-installed',
        *(f'--requirement={path}' for path in requirements)
    ],
                         capture_output=True,
                         text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]


def test_pre_commit_runs_the_linters_of_the_requirements(installer):
    """The hooks that ``pre-commit install`` sets up are the linters'
    pins, which install on every supported Python: one verdict."""
    project = installer(GENERATIONS[0]).parents[1]
    requirements = (project / 'requirements' / 'tests.txt').read_text()
    pins = dict(re.findall(r'^([\w-]+)==(\S+)$', requirements, re.M))
    config = yaml.safe_load((project / '.pre-commit-config.yaml').read_text())
    revisions = {
        repo['repo'].rsplit('/', 1)[-1]: repo['rev'].lstrip('v')
        for repo in config['repos']
    }
    for linter in ('flake8', 'isort', 'yapf', 'codespell'):
        assert revisions[linter] == pins[linter], linter


def pip_freeze(python):
    return subprocess.run([python, '-m', 'pip', 'freeze', '--all'],
                          capture_output=True,
                          text=True,
                          check=True).stdout


@pytest.mark.parametrize('generation', GENERATIONS)
def test_python_3_9_is_refused_before_anything_is_installed(
        installer, venv, generation):
    project = installer(generation).parents[1]
    python = venv('3.9')
    before = pip_freeze(python)
    run = subprocess.run(
        ['bash', 'tools/install.sh', '-r', 'requirements/tests.txt'],
        cwd=project,
        env=dict(os.environ, PYTHON=str(python)),
        capture_output=True,
        text=True,
        timeout=300)
    assert run.returncode == 2, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout == ''
    assert run.stderr.startswith(
        f'install.sh: error: Python 3.9 ({python}) is not supported: '
        'use Python 3.10 to 3.13 (torch 2.14 has no wheels below 3.10; '
    ), run.stderr
    assert 'pkgutil.find_loader, gone in 3.14)' in run.stderr
    assert run.stderr.count('\n') == 1, run.stderr
    assert pip_freeze(python) == before


def test_python_3_14_is_refused_before_anything_is_installed(
        installer, tmp_path):
    """A stand-in ``python`` that says it is 3.14 is asked nothing more."""
    calls = tmp_path / 'calls'
    python = tmp_path / 'python'
    python.write_text(f'#!/bin/sh\necho "$*" >> {calls}\necho 3.14\n')
    python.chmod(0o755)
    run = subprocess.run(['bash', str(installer(GENERATIONS[0]))],
                         env=dict(os.environ, PYTHON=str(python)),
                         capture_output=True,
                         text=True,
                         timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stdout == ''
    assert run.stderr.startswith(
        f'install.sh: error: Python 3.14 ({python}) is not supported: '
        'use Python 3.10 to 3.13'), run.stderr
    assert run.stderr.count('\n') == 1, run.stderr
    assert len(calls.read_text().splitlines()) == 1
