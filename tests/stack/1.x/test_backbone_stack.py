"""The {{ cookiecutter.backbone_name }} backbone under PyTorch's speed features.

torch.compile without graph breaks, bf16 autocast and channels_last inputs
are properties of PyTorch on this stack as much as of the backbone's code
(``tools/benchmark.py`` reports graph breaks to the user, and trains on a
batch of one only where the norms can), so they are
checked here rather than in the project's contract tests.
"""
import os
import subprocess
import sys

import pytest
import torch
import torch._dynamo
from project_docs import PROJECT_ROOT

from models import {{ cookiecutter.backbone_name }}

SMALL_ARCH = dict(depths=[1, 1, 2, 1], channels=[8, 16, 24, 32])


def build(**kwargs):
    torch.manual_seed(0)
    return {{ cookiecutter.backbone_name }}(arch=SMALL_ARCH, **kwargs).eval()


@pytest.mark.parametrize('gap', [True, False])
def test_compiles_without_graph_breaks(gap):
    model = build(gap_before_final_norm=gap, out_indices=(1, 3))
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(torch.randn(2, 3, 64, 64))
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


def test_bf16_autocast():
    model = build(gap_before_final_norm=False)
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = model(inputs)[0]
        with torch.autocast('cpu', dtype=torch.bfloat16):
            actual = model(inputs)[0]
    assert actual.shape == expected.shape
    # bf16 did run (the output moved) and kept to its rounding error (mean
    # relative error about 0.006 to 0.008 measured).
    assert not torch.equal(actual.float(), expected)
    error = (actual.float() - expected).abs().mean() / expected.abs().mean()
    assert error < 0.03
    torch.testing.assert_close(actual.float(), expected, rtol=0.1, atol=0.1)


def test_channels_last_input():
    model = build(out_indices=(0, 1, 2, 3), gap_before_final_norm=False)
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = model(inputs)
        actual = model(inputs.contiguous(memory_format=torch.channels_last))
    for exp, act in zip(expected, actual):
        torch.testing.assert_close(act, exp, rtol=1e-4, atol=1e-5)
{%- if cookiecutter.__backbone_source == 'convnext' %}
        # The output keeps the memory format of the input.
        assert exp.is_contiguous()
        assert act.is_contiguous(memory_format=torch.channels_last)
{%- endif %}


def test_benchmark_trains_on_batches_of_one_where_the_norms_can():
    args = ('--device cpu --batch-size 1 --img-size 32 --iters 1 --warmup 0 '
            '--modes train --precisions fp32 --formats nchw --references')
    benchmark = subprocess.run(
        [sys.executable, 'tools/benchmark.py'] + args.split(),
        cwd=PROJECT_ROOT,
        env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)),
        capture_output=True,
        text=True)
{%- if cookiecutter.__backbone_source == 'convnext' %}
    # Layer norms: one sample is enough.
    assert benchmark.returncode == 0, benchmark.stderr[-3000:]
    rows = [[cell.strip() for cell in line.split('|')[:4]]
            for line in benchmark.stdout.splitlines()]
    assert ['train', 'fp32', 'nchw', 'eager'] in rows, benchmark.stdout
{%- else %}
    # Its output BatchNorms see one value per channel: an error before any
    # model runs, not PyTorch's traceback from inside a forward pass.
    assert benchmark.returncode == 2, benchmark.stderr[-3000:]
    assert benchmark.stderr.strip().splitlines()[-1] == (
        'benchmark.py: error: --batch-size 1 cannot train BatchNorm layers: '
        'use 2 or more, or --modes infer')
{%- endif %}
