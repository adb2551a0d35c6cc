"""Two baked projects pass their own test suites, training included."""
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
]


@pytest.mark.parametrize('answers', PROJECTS)
def test_project_passes_its_own_tests(cookies, answers):
    result = cookies.bake(extra_context=answers)
    assert result.exception is None, result.exception
    run = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '--durations=5', 'tests'],
        cwd=result.project_path,
        capture_output=True,
        text=True)
    summary = run.stdout.strip().splitlines()[-1]
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-3000:]
    assert ' passed' in summary and 'failed' not in summary, summary
