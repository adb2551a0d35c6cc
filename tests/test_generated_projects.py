"""Baked projects pass their own test suites, training included.

Between them they train both backbones on every task, with and without the
classification run that the det/seg toy configs start from.
"""
import re
import subprocess
import sys

import pytest

PROJECTS = [
    pytest.param({}, id='ConvNeXt-cls,det,seg'),
    pytest.param({
        'backbone_name': 'MyNet',
        'tasks': 'cls,seg'
    },
                 id='MyNet-cls,seg'),
    pytest.param({
        'backbone_name': 'MyNet',
        'tasks': 'det,seg'
    },
                 id='MyNet-det,seg'),
]


@pytest.mark.parametrize('answers', PROJECTS)
def test_project_passes_its_own_tests(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exception is None, result.exception
    run = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider',
         '--durations=5', 'tests'],
        cwd=result.project_path,
        capture_output=True,
        text=True)
    summary = run.stdout.strip().splitlines()[-1]
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert ' passed' in summary and 'failed' not in summary, summary
    # The only acceptable skips: GPU-only tests without a GPU (and their CPU
    # twins with one). A missing package must fail, not skip.
    skips = re.findall(r'^SKIPPED \[\d+\] \S+: (.*)$', run.stdout, re.M)
    assert all('GPU' in reason for reason in skips), skips
