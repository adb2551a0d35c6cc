"""mmcls 0.25's own ConvNeXt unit test, run unchanged on a baked ConvNeXt.

A baked ConvNeXt stands in for mmcls's (the default bake even takes its
place in mmcls's registry), so mmcls's
``tests/test_models/test_backbones/test_convnext.py`` must pass against it as
upstream ships it: a conftest next to the file makes its ``from
mmcls.models.backbones import ConvNeXt`` return the bake's class.

mmcls's sdist and wheel on PyPI ship no tests, so the file is read from a
checkout of open-mmlab/mmpretrain (formerly mmclassification) at tag v0.25.0
named by ``$MMCLS_SOURCE``, or else downloaded from GitHub at that tag; its
SHA-256 proves it is the released file either way.
"""
import hashlib
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

UPSTREAM_TEST = 'tests/test_models/test_backbones/test_convnext.py'
# The commit of open-mmlab/mmpretrain's tag v0.25.0.
COMMIT = '2495400a98a3da9bd8cfb3731a711f4c77cc56a3'
URL = ('https://raw.githubusercontent.com/open-mmlab/mmpretrain/'
       f'{COMMIT}/{UPSTREAM_TEST}')
SHA256 = '8a7359dbe285bbdf758f002d8e11a42b11129f07eada2cad991b46192641c2d7'

REDIRECT = '''"""Run mmcls's ConvNeXt tests on the project's {name}."""
import mmcls.models.backbones
import pytest

from models import {name}

mmcls.models.backbones.ConvNeXt = {name}


@pytest.fixture(autouse=True)
def the_tested_class_is_the_projects(request):
    assert request.module.ConvNeXt is {name}
'''


@pytest.fixture(scope='module')
def upstream_test():
    """The bytes of mmcls 0.25.0's test_convnext.py."""
    source = os.environ.get('MMCLS_SOURCE')
    if source:
        data = (Path(source) / UPSTREAM_TEST).read_bytes()
    else:
        try:
            with urllib.request.urlopen(URL, timeout=60) as response:
                data = response.read()
        except OSError as error:
            pytest.skip(f'{URL} is out of reach ({error}): set MMCLS_SOURCE '
                        'to a checkout of open-mmlab/mmpretrain at v0.25.0')
    assert hashlib.sha256(data).hexdigest() == SHA256, (
        f'not the {UPSTREAM_TEST} of mmcls 0.25.0')
    return data


# The default bake, and the ConvNeXt code under another name.
@pytest.mark.parametrize('answers', [
    pytest.param({}, id='ConvNeXt'),
    pytest.param(dict(backbone_name='MyConv', backbone_code='convnext'),
                 id='MyConv-convnext'),
])
def test_mmcls_convnext_test_passes_unchanged(cookies, tmp_path, answers,
                                              upstream_test):
    result = cookies.bake(extra_context=answers)
    assert result.exception is None, result.exception
    project = Path(result.project_path)
    name = answers.get('backbone_name', 'ConvNeXt')
    folder = tmp_path / 'mmcls_tests'
    folder.mkdir()
    (folder / 'test_convnext.py').write_bytes(upstream_test)
    (folder / 'conftest.py').write_text(REDIRECT.format(name=name))
    # What ``export PYTHONPATH=$(pwd)`` in the project gives.
    run = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', '.'],
        cwd=folder,
        env=dict(os.environ, PYTHONPATH=str(project)),
        capture_output=True,
        text=True)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    num_tests = upstream_test.count(b'\ndef test_')
    summary = run.stdout.strip().splitlines()[-1]
    assert f'{num_tests} passed' in summary, summary
