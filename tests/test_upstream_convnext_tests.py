"""The toolbox's own ConvNeXt unit test, run unchanged on a baked ConvNeXt.

A baked ConvNeXt stands in for its toolbox's (the default bake even takes
its place in the registry), so the toolbox's
``tests/test_models/test_backbones/test_convnext.py`` must pass against it as
upstream released it: mmcls 0.25.0's for a 1.x bake, mmpretrain 1.2.0's for
a 2.x bake. A conftest next to the file makes its ``from
<toolbox>.models.backbones import ConvNeXt`` return the bake's class.

The toolboxes' wheels on PyPI ship no tests, so the file is read from a git
clone of open-mmlab/mmpretrain (formerly mmclassification) named by
``$MMPRETRAIN_REPO``, or else downloaded from GitHub, at the release's
commit; its SHA-256 proves it is the released file either way.
"""
import hashlib
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest
from generations import python_of

UPSTREAM_TEST = 'tests/test_models/test_backbones/test_convnext.py'
#: Per generation: the toolbox, the commit of its release's tag in
#: open-mmlab/mmpretrain, and the SHA-256 of the test file there.
RELEASES = {
    '1.x': ('mmcls', '2495400a98a3da9bd8cfb3731a711f4c77cc56a3',
            '8a7359dbe285bbdf758f002d8e11a42b'
            '11129f07eada2cad991b46192641c2d7'),
    '2.x': ('mmpretrain', '17a886cb5825cd8c26df4e65f7112d404b99fe12',
            '6befbfd7db9462e3f3e69b5e15bebbeb'
            'd74ca51854f5c2d65493bb62a8ae5f24'),
}
REPO_VARIABLE = 'MMPRETRAIN_REPO'

REDIRECT = '''"""Run {toolbox}'s ConvNeXt tests on the project's {name}."""
import {toolbox}.models.backbones
import pytest

from models import {name}

{toolbox}.models.backbones.ConvNeXt = {name}


@pytest.fixture(autouse=True)
def the_tested_class_is_the_projects(request):
    assert request.module.ConvNeXt is {name}
'''


def upstream_test(commit, sha256):
    """The bytes of the test file at ``commit``, checked against ``sha256``."""
    repo = os.environ.get(REPO_VARIABLE)
    if repo:
        data = subprocess.run(
            ['git', '-C', repo, 'show', f'{commit}:{UPSTREAM_TEST}'],
            capture_output=True,
            check=True).stdout
    else:
        url = ('https://raw.githubusercontent.com/open-mmlab/mmpretrain/'
               f'{commit}/{UPSTREAM_TEST}')
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                data = response.read()
        except OSError as error:
            pytest.skip(f'{url} is out of reach ({error}): set '
                        f'{REPO_VARIABLE} to a git clone of '
                        'open-mmlab/mmpretrain')
    assert hashlib.sha256(data).hexdigest() == sha256, (
        f'not the released {UPSTREAM_TEST} of {commit}')
    return data


# The default bake, and the ConvNeXt code under another name.
@pytest.mark.parametrize('generation', list(RELEASES))
@pytest.mark.parametrize('answers', [
    pytest.param({}, id='ConvNeXt'),
    pytest.param(dict(backbone_name='MyConv', backbone_code='convnext'),
                 id='MyConv-convnext'),
])
def test_toolbox_convnext_test_passes_unchanged(cookies, tmp_path, answers,
                                                generation):
    toolbox, commit, sha256 = RELEASES[generation]
    test_file = upstream_test(commit, sha256)
    result = cookies.bake(extra_context=dict(answers, openmmlab=generation))
    assert result.exception is None, result.exception
    project = Path(result.project_path)
    name = answers.get('backbone_name', 'ConvNeXt')
    folder = tmp_path / 'upstream_tests'
    folder.mkdir()
    (folder / 'test_convnext.py').write_bytes(test_file)
    (folder / 'conftest.py').write_text(
        REDIRECT.format(toolbox=toolbox, name=name))
    # What ``export PYTHONPATH=$(pwd)`` in the project gives.
    run = subprocess.run(
        [python_of(generation), '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '.'],
        cwd=folder,
        env=dict(os.environ, PYTHONPATH=str(project)),
        capture_output=True,
        text=True)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    num_tests = test_file.count(b'\ndef test_')
    summary = run.stdout.strip().splitlines()[-1]
    assert f'{num_tests} passed' in summary, summary
