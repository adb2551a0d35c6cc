"""The GPU check (``.ci/gpu/check.sh``) finds what it needs in a bake.

Without a GPU only its ``--dry-run`` runs: the environment it reports, the
toy data and a small benchmark on the CPU, in a bake of each generation.
"""
import subprocess
from pathlib import Path

import pytest
from generations import (GENERATIONS, TEMPLATE_ROOT, generation_python,
                         project_environment)

CHECK = TEMPLATE_ROOT / '.ci' / 'gpu' / 'check.sh'


@pytest.mark.parametrize('generation', GENERATIONS)
def test_dry_run_passes_in_a_bake(cookies, tmp_path, generation):
    result = cookies.bake(extra_context={'openmmlab': generation})
    assert result.exception is None, result.exception
    project = Path(result.project_path)
    env = project_environment(project)
    env.update(PYTHON=generation_python(project), OUT=str(tmp_path / 'out'))
    command = ['bash', str(CHECK), '--dry-run', str(project)]
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    summary = run.stdout.split('== summary')[-1]
    assert f'OpenMMLab {generation} project' in run.stdout
    assert 'ok      toy data' in summary
    assert 'ok      benchmark (CPU smoke run)' in summary
    assert 'FAILED' not in summary
    # The benchmark's table, beside the classification toolbox's ConvNeXt.
    assert 'ours/mmcls' in summary or 'ours/mmpretrain' in summary, summary
