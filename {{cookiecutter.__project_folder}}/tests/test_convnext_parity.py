{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
{%- set convnext = openmmlab.convnext -%}
{%- set toolbox = openmmlab.toolbox.cls -%}
{%- set Reference = {'mmcls': 'MMClsConvNeXt', 'mmpretrain': 'MMPretrainConvNeXt'}[toolbox] -%}
{%- if convnext.get_layer_depth -%}
"""Parity of {{ cookiecutter.backbone_name }} with {{ convnext.reference }}'s ConvNeXt.

{{ toolbox }}'s checkpoints must load without missing or unexpected keys and
give the same features, so that published ConvNeXt and ConvNeXt V2 weights
can be used as is; layer-wise lr decay must give the layer depths of
{{ toolbox }}'s ConvNeXt, so that its fine-tuning recipes carry over.
"""
{%- else -%}
"""Parity of {{ cookiecutter.backbone_name }} with {{ convnext.reference }}'s ConvNeXt.

{{ toolbox }}'s checkpoints must load without missing or unexpected keys and give
the same features, so that published ConvNeXt weights can be used as is;
layer-wise lr decay must give the layer depths of mmcls 1.x's ConvNeXt, so
that its fine-tuning recipes carry over.
"""
{%- endif %}
import inspect

import pytest
import torch
# Imported from its module, not the registry: ours replaces the registry
# entry when it is called ConvNeXt.
from {{ toolbox }}.models.backbones.convnext import ConvNeXt as {{ Reference }}

from models import {{ cookiecutter.backbone_name }}

ALL_STAGES = (0, 1, 2, 3)
ATOL = 1e-5
{%- if convnext.use_grn %}
#: The options of each ConvNeXt version: V2 has GRN and no layer scale.
VERSIONS = dict(v1={}, v2=dict(use_grn=True, layer_scale_init_value=0.))
{%- endif %}


def layer_norm_eps(model):
    """The eps of each LayerNorm of ``model``, by module name."""
    return {
        name: module.eps
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.LayerNorm)
    }


def build_pair(**kwargs):
    """Build {{ toolbox }}'s model and ours, which gets its weights."""
    torch.manual_seed(0)
    reference = {{ Reference }}(**kwargs)
{%- if convnext.use_grn %}
    # Random layer scales and GRN parameters: the defaults (1e-6, zeros)
    # would hide the blocks' outputs.
    with torch.no_grad():
        for name, param in reference.named_parameters():
            if name.endswith('gamma'):
                param.uniform_(0.5, 1.5)
            elif name.endswith('grn.beta'):
                param.uniform_(-0.5, 0.5)
{%- else %}
    # Random layer scales: the default 1e-6 would hide the blocks' outputs.
    with torch.no_grad():
        for name, param in reference.named_parameters():
            if name.endswith('gamma'):
                param.uniform_(0.5, 1.5)
{%- endif %}
    # Built without a random init of its own (seconds for the large presets):
    # every tensor comes from the reference, shared rather than copied (the
    # tests only read them), and strict loading both ways checks that no key
    # is missing or unexpected.
    with torch.device('meta'):
        model = {{ cookiecutter.backbone_name }}(**kwargs)
    model.load_state_dict(reference.state_dict(), strict=True, assign=True)
    reference.load_state_dict(model.state_dict(), strict=True)
    assert layer_norm_eps(model) == layer_norm_eps(reference)
    return reference, model


def assert_same_outputs(reference, model, inputs):
    expected = reference(inputs)
    actual = model(inputs)
    assert len(actual) == len(expected)
    for exp, act in zip(expected, actual):
        assert act.shape == exp.shape
        torch.testing.assert_close(act, exp, rtol=0, atol=ATOL)
    return expected, actual


def test_arguments_match_{{ toolbox }}():
    # Its arguments with its defaults, in its order; ours may add some.
    ours = inspect.signature({{ cookiecutter.backbone_name }}).parameters
    theirs = inspect.signature({{ Reference }}).parameters
    assert [name for name in ours if name in theirs] == list(theirs)
    for name, parameter in theirs.items():
        assert ours[name].default == parameter.default, name

{% if convnext.use_grn %}
@pytest.mark.parametrize('version', VERSIONS)
@pytest.mark.parametrize('arch', sorted({{ Reference }}.arch_settings))
def test_presets_match_{{ toolbox }}(arch, version):
    assert {{ cookiecutter.backbone_name }}.arch_settings[arch] == \
        {{ Reference }}.arch_settings[arch]
    reference, model = build_pair(
        arch=arch, out_indices=list(ALL_STAGES), **VERSIONS[version])
{%- else %}
@pytest.mark.parametrize('arch', sorted({{ Reference }}.arch_settings))
def test_presets_match_{{ toolbox }}(arch):
    assert {{ cookiecutter.backbone_name }}.arch_settings[arch] == \
        {{ Reference }}.arch_settings[arch]
    reference, model = build_pair(arch=arch, out_indices=list(ALL_STAGES))
{%- endif %}
    assert list(model.state_dict()) == list(reference.state_dict())
    inputs = torch.randn(1, 3, 64, 64)
    # Both modes and both kinds of output in two forwards (seconds each for
    # the large presets): without drop path, the modes compute the same.
    for gap, train in ((True, False), (False, True)):
        reference.gap_before_final_norm = gap
        model.gap_before_final_norm = gap
        reference.train(train)
        model.train(train)
        with torch.no_grad():
            assert_same_outputs(reference, model, inputs)


@pytest.mark.parametrize('out_indices', [0, 3, -1, -2, [1, 2], [0, -1]])
@pytest.mark.parametrize('gap', [True, False])
def test_out_indices_match_{{ toolbox }}(out_indices, gap):
    # {{ toolbox }} rewrites the list in place, so each model gets its own copy.
    kwargs = dict(
        arch=dict(depths=[1, 1, 2, 1], channels=[16, 24, 32, 48]),
        gap_before_final_norm=gap)
    torch.manual_seed(0)
    reference = {{ Reference }}(
        out_indices=list(out_indices)
        if isinstance(out_indices, list) else out_indices,
        **kwargs)
    model = {{ cookiecutter.backbone_name }}(out_indices=out_indices, **kwargs)
    model.load_state_dict(reference.state_dict(), strict=True)
    assert model.out_indices == reference.out_indices
    with torch.no_grad():
        assert_same_outputs(reference, model, torch.randn(2, 3, 64, 64))


{% if convnext.use_grn -%}
# Its blocks take no other norm than LN2d.
@pytest.mark.parametrize(
    'options', [
        dict(linear_pw_conv=False),
        dict(layer_scale_init_value=0.),
        dict(stem_patch_size=2, in_channels=1),
        dict(norm_cfg=dict(type='LN2d', eps=1e-3), act_cfg=dict(type='ReLU')),
        dict(arch=dict(depths=[2, 3, 1], channels=[8, 16, 32])),
        dict(use_grn=True),
        dict(use_grn=True, linear_pw_conv=False),
    ],
    ids=[
        'conv-pw', 'no-layer-scale', 'stem2-gray', 'ln-eps-relu', '3-stages',
        'grn', 'grn-conv-pw'
    ])
{%- else -%}
@pytest.mark.parametrize(
    'options', [
        dict(linear_pw_conv=False),
        dict(layer_scale_init_value=0.),
        dict(stem_patch_size=2, in_channels=1),
        dict(norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU')),
        dict(arch=dict(depths=[2, 3, 1], channels=[8, 16, 32])),
    ],
    ids=['conv-pw', 'no-layer-scale', 'stem2-gray', 'bn-relu', '3-stages'])
{%- endif %}
def test_options_match_{{ toolbox }}_with_gradients(options):
    kwargs = dict(
        arch=dict(depths=[1, 2, 3, 1], channels=[8, 16, 24, 32]),
        gap_before_final_norm=False)
    kwargs.update(options)
    # Every stage outputs, so that every parameter gets a gradient.
    kwargs['out_indices'] = list(range(len(kwargs['arch']['depths'])))
    reference, model = build_pair(**kwargs)
    reference.train()
    model.train()
    inputs = torch.randn(2, kwargs.get('in_channels', 3), 64, 64)
    expected, actual = assert_same_outputs(reference, model, inputs)
    # A random projection: the squares of normalized outputs would have
    # (nearly) constant sums and gradients made of rounding errors.
    weights = [torch.randn_like(out) for out in expected]
    sum((out * w).sum() for out, w in zip(expected, weights)).backward()
    sum((out * w).sum() for out, w in zip(actual, weights)).backward()
    # Summation order differs (memory layouts), so gradients that cancel
    # out (e.g. a bias before BN) only agree relative to the largest one.
    grads = {name: param.grad for name, param in model.named_parameters()}
    atol = 1e-4 * max(grad.abs().max() for grad in grads.values()).item()
    for name, param in reference.named_parameters():
        torch.testing.assert_close(
            grads[name],
            param.grad,
            rtol=1e-3,
            atol=atol,
            msg=lambda message, name=name: f'{name}: {message}')


# With and without layer scale: the block folds both into one factor.
@pytest.mark.parametrize('layer_scale_init_value', [1e-6, 0.])
def test_drop_path_matches_{{ toolbox }}_with_same_seed(layer_scale_init_value):
    reference, model = build_pair(
        arch=dict(depths=[2, 2, 2, 2], channels=[8, 16, 24, 32]),
        drop_path_rate=0.5,
        layer_scale_init_value=layer_scale_init_value)
    reference.train()
    model.train()
    inputs = torch.randn(4, 3, 64, 64)
    torch.manual_seed(1)
    expected = reference(inputs)
    torch.manual_seed(1)
    actual = model(inputs)
    torch.testing.assert_close(actual[0], expected[0], rtol=0, atol=ATOL)
    # The drop path is live: another seed gives another output.
    torch.manual_seed(2)
    assert not torch.allclose(model(inputs)[0], expected[0], atol=ATOL)


def test_channels_last_and_frozen_stages_match_{{ toolbox }}():
    reference, model = build_pair(
        arch='tiny',
        out_indices=list(ALL_STAGES),
        frozen_stages=2,
        gap_before_final_norm=False)
    reference.train()
    model.train()
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = reference(inputs)
        actual = model(inputs.contiguous(memory_format=torch.channels_last))
    for exp, act in zip(expected, actual):
        assert act.is_contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(act, exp, rtol=0, atol=ATOL)
    frozen = {
        name
        for name, param in reference.named_parameters()
        if not param.requires_grad
    }
    assert frozen == {
        name
        for name, param in model.named_parameters() if not param.requires_grad
    }


{% if convnext.get_layer_depth -%}
@pytest.mark.parametrize('arch', sorted({{ Reference }}.arch_settings))
def test_get_layer_depth_matches_{{ toolbox }}(arch):
    with torch.device('meta'):
        model = {{ cookiecutter.backbone_name }}(arch=arch)
    names = ['backbone.' + name for name, _ in model.named_parameters()]
    names.append('head.fc.weight')
    # Its rule, which reads only the depths (the same in ours), applied to
    # ours: its model cannot be built on the 'meta' device.
    expected = {
        name: {{ Reference }}.get_layer_depth(model, name, 'backbone.')
        for name in names
    }
    if model.depths[2] == 6:
        # atto, femto, pico: {{ toolbox }}'s rule, written for 9 or more
        # blocks in the third stage, leaves layer 5 unused; ours does not.
        expected = {
            name: (layer_id - (layer_id > 5), num_layers - 1)
            for name, (layer_id, num_layers) in expected.items()
        }
    assert {
        name: model.get_layer_depth(name, 'backbone.')
        for name in names
    } == expected
{%- else -%}
# The numbers of mmcls 1.x's ConvNeXt.get_layer_depth (it has no 0.25 twin).
@pytest.mark.parametrize('arch, expected', [
    ('tiny', {
        'downsample_layers.0.0.weight': 0,
        'stages.0.2.gamma': 1,
        'downsample_layers.1.0.weight': 2,
        'downsample_layers.2.1.bias': 3,
        'stages.2.8.pointwise_conv2.weight': 5,
        'downsample_layers.3.1.weight': 6,
        'stages.3.2.gamma': 6,
        'norm3.weight': 7,
    }),
    ('base', {
        'stages.2.26.gamma': 11,
        'stages.3.0.gamma': 12,
        'norm3.bias': 13,
    }),
])
def test_get_layer_depth_matches_mmcls_1x(arch, expected):
    with torch.device('meta'):
        model = {{ cookiecutter.backbone_name }}(arch=arch)
    # The output norms come last.
    num_layers = max(expected.values()) + 1
    for name, layer_id in expected.items():
        depth = model.get_layer_depth('backbone.' + name, 'backbone.')
        assert depth == (layer_id, num_layers), name
{%- endif %}
