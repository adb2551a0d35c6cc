"""``tools/get_flops.py`` and ``tools/benchmark.py``, run as the README shows.

Also how each of them and ``tools/install.sh`` refuse bad arguments.

Small inputs keep them to seconds on a CPU; what they print is checked
against the model itself.
"""
import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmcv.cnn import get_model_complexity_info

from models import {{ cookiecutter.backbone_name }}

ROOT = Path(__file__).resolve().parents[2]
UNITS = {'': 1, 'k': 1e3, 'K': 1e3, 'M': 1e6, 'G': 1e9}
#: get_flops.py's two result lines, with the unit prefixes mmcv's
#: ``params_to_string`` (k, M) and ``flops_to_string`` (K, M, G) print.
PARAMS_LINE = r'Params: ([\d.]+) ([kM]?)'
FLOPS_LINE = r'FLOPs: ([\d.]+) ([KMG]?)FLOPs'
GPUS = torch.cuda.device_count()


def run_tool(script, *args):
    """Run ``tools/<script>`` from the project root, as the README does.

    Returns:
        str: What it printed to stdout; it must succeed.
    """
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(ROOT)] +
        [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    result = subprocess.run([sys.executable, f'tools/{script}', *args],
                            cwd=ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout


@functools.lru_cache()
def load_tool(script):
    """Import ``tools/<script>`` as a module, once."""
    spec = importlib.util.spec_from_file_location(
        Path(script).stem, ROOT / 'tools' / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def usage_error(script, args, monkeypatch, capsys):
    """Run ``tools/<script>`` with bad ``args``: the error it exits with.

    Bad arguments must end the tool the way argparse ends it (status 2, a
    usage line, then one error line), not in a traceback, which pytest would
    report here as the exception itself.

    Returns:
        str: The error line, without ``<script>: error: ``.
    """
    monkeypatch.setattr(sys, 'argv', [script, *args])
    with pytest.raises(SystemExit) as exited:
        load_tool(script).main()
    assert exited.value.code == 2
    last_line = capsys.readouterr().err.strip().splitlines()[-1]
    prefix = f'{script}: error: '
    assert last_line.startswith(prefix), last_line
    return last_line[len(prefix):]


def printed_number(pattern, text):
    """A number mmcv printed with a unit prefix, e.g. '4.47 GFLOPs'.

    Returns:
        pytest.approx: The number, within the rounding to 2 decimals.
    """
    match = re.search(pattern, text)
    assert match, text
    unit = UNITS[match.group(2) or '']
    return pytest.approx(float(match.group(1)) * unit, abs=0.005 * unit)


def counted_flops(model, shape):
    """mmcv's FLOPs count of ``model`` for one image of ``shape`` (C, H, W)."""
    with torch.no_grad():
        flops, _ = get_model_complexity_info(
            model, shape, print_per_layer_stat=False, as_strings=False)
    return flops


def test_get_flops_reports_the_model():
    out = run_tool('get_flops.py', '--arch', 'tiny', '--shape', '224')
    params = printed_number(PARAMS_LINE, out)
    flops = printed_number(FLOPS_LINE, out)
    model = {{ cookiecutter.backbone_name }}(arch='tiny').eval()
    num_params = sum(p.numel() for p in model.parameters())
    assert num_params == params
{%- if cookiecutter.__backbone_source == 'convnext' %}
    # The same counter on mmcls's ConvNeXt-T: the same network, the same
    # multiply-adds (4.47 G at 224 px).
    from mmcls.models.backbones.convnext import ConvNeXt as MMClsConvNeXt
    reference = MMClsConvNeXt(arch='tiny')
    reference.eval()
    assert counted_flops(reference, (3, 224, 224)) == flops
{%- else %}
    assert counted_flops(model, (3, 224, 224)) == flops
{%- endif %}


def test_get_flops_takes_a_custom_arch_and_feature_maps():
    arch = {'depths': [1, 1, 2, 1], 'channels': [8, 16, 24, 32]}
    out = run_tool('get_flops.py', '--arch', json.dumps(arch), '--shape', '64',
                   '96', '--out-indices', '0', '1', '2', '3')
    assert 'input 3x64x96' in out
    kwargs = dict(
        arch=arch, out_indices=[0, 1, 2, 3], gap_before_final_norm=False)
    model = {{ cookiecutter.backbone_name }}(**kwargs).eval()
    num_params = sum(p.numel() for p in model.parameters())
    assert printed_number(PARAMS_LINE, out) == num_params
    assert counted_flops(model, (3, 64, 96)) == printed_number(FLOPS_LINE, out)


@pytest.mark.parametrize('args, message', [
    ('--shape 1 2 3', 'takes 1 or 2 numbers of at least 32, got 1 2 3'),
    ('--shape 224 16', 'got 224 16'),
    ('--in-channels 0', '--in-channels must be positive, got 0'),
    ('--arch colossal', "Unknown arch 'colossal'"),
    ('--arch {"depths":[2]', '--arch {"depths":[2]: not a JSON dict'),
    ('--out-indices 7', 'Invalid out_indices [7]'),
])
def test_get_flops_bad_arguments(args, message, monkeypatch, capsys):
    error = usage_error('get_flops.py', args.split(), monkeypatch, capsys)
    assert message in error


@pytest.mark.parametrize('args, message', [
    ('--batch-size 0', 'argument --batch-size: must be at least 1, got 0'),
    ('--img-size 16', 'argument --img-size: must be at least 32, got 16'),
    ('--iters x', "argument --iters: invalid int value: 'x'"),
    ('--warmup -1', 'argument --warmup: must be at least 0, got -1'),
    ('--device gpu', '--device gpu: Expected one of cpu, cuda'),
    (f'--device cuda:{GPUS}', f'this machine has {GPUS} CUDA device(s)'),
    ('--arch colossal', "Unknown arch 'colossal'"),
])
def test_benchmark_bad_arguments(args, message, monkeypatch, capsys):
    error = usage_error('benchmark.py', args.split(), monkeypatch, capsys)
    assert message in error


def test_speed_ratio_pairs_the_rounds():
    speed_ratio = load_tool('benchmark.py').speed_ratio
    assert speed_ratio([1.0, 2.0, 1.0], [2.0, 4.0, 2.0]) == (2.0, 2.0, 2.0)
    # Round by round: a slow round slows both models and cancels out.
    ratio, low, high = speed_ratio([1.0, 3.0, 1.0, 1.0], [1.0, 3.0, 2.0, 2.0])
    assert (ratio, low, high) == (1.5, 1.0, 2.0)


def test_benchmark_prints_a_table_with_ratios():
    out = run_tool('benchmark.py', '--device', 'cpu', '--arch', 'tiny',
                   '--batch-size', '2', '--img-size', '32', '--iters', '3',
                   '--warmup', '1', '--precisions', 'fp32', '--formats',
                   'nchw', '--references', 'mmcls')
    assert re.search(
        r'torch\.compile of {{ cookiecutter.backbone_name }}: '
        r'\d+ graph\(s\), 0 graph break\(s\)', out), out
    assert re.search(r'^ +mode \| +dtype \| +format \| +backend \|', out,
                     re.MULTILINE), out
    # Each row once: the progress lines go to stderr.
    rows = re.findall(
        r'^ *(train|infer) \| +fp32 \| +nchw \| +eager \| +([\d.]+) \| '
        r'+([\d.]+) \| +([\d.]+) \(([\d.]+)-([\d.]+)\)$', out, re.MULTILINE)
    assert [row[0] for row in rows] == ['train', 'infer'], out
    for _, ours, mmcls, ratio, low, high in rows:
        assert float(ours) > 0 and float(mmcls) > 0
        assert float(low) <= float(ratio) <= float(high)


def test_benchmark_compares_with_the_real_references():
    from mmcls.models.backbones.convnext import ConvNeXt as MMClsConvNeXt
    benchmark = load_tool('benchmark.py')
    models, reference_arch = benchmark.build_models('tiny', ['mmcls', 'timm'])
    assert reference_arch == 'tiny'
    assert type(models['ours']) is {{ cookiecutter.backbone_name }}
    assert type(models['mmcls']) is MMClsConvNeXt
    assert models['mmcls'].depths == [3, 3, 9, 3]
    if benchmark.timm is not None:
        assert models['timm'].default_cfg['architecture'] == 'convnext_tiny'
    else:
        assert 'timm' not in models


def run_install(*args):
    """Run ``tools/install.sh`` with a Python that fails at once.

    The script checks its arguments first, then refuses ``PYTHON=false`` in
    one line, before it installs anything.
    """
    return subprocess.run(['bash', 'tools/install.sh', *args],
                          cwd=ROOT,
                          env=dict(os.environ, PYTHON='false'),
                          capture_output=True,
                          text=True,
                          timeout=60)


@pytest.mark.parametrize(
    'args', ['-r nope.txt', '--requirement=nope.txt', '-rnope.txt'])
def test_install_refuses_a_missing_requirements_file(args):
    result = run_install(*args.split())
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        "install.sh: error: -r 'nope.txt': no such requirements file")
    assert result.stdout == ''


def test_install_takes_the_readme_requirements_file():
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    command = re.search(r'^bash tools/install\.sh (.*)$', readme, re.M)
    result = run_install(*command[1].split())
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        'install.sh: error: PYTHON=false does not run')
