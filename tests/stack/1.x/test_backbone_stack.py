"""The {{ cookiecutter.backbone_name }} backbone under PyTorch's speed features.

torch.compile without graph breaks, bf16 autocast and channels_last inputs
are properties of PyTorch on this stack as much as of the backbone's code
(``tools/benchmark.py`` reports graph breaks to the user), so they are
checked here rather than in the project's contract tests.
"""
import pytest
import torch
import torch._dynamo

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
