{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
"""Contract tests of the {{ cookiecutter.backbone_name }} backbone.

What configs, checkpoints and the layer-decay optimizer constructor rely on:
presets and custom archs, outputs per ``out_indices``, argument checks,
freezing, norm eval, checkpointing, stochastic depth, layer depths, loading a
classifier's checkpoint and the registration in {{ openmmlab.toolbox.cls }}.
"""
import doctest

import pytest
import torch
from {{ openmmlab.toolbox.cls }}.models import build_backbone

import models.{{ cookiecutter.__backbone_module }} as backbone_module
from models import {{ cookiecutter.backbone_name }}

#: The names of the backbone's arch presets.
PRESETS = sorted({{ cookiecutter.backbone_name }}.arch_settings)
# Small enough to run in milliseconds on a CPU.
SMALL_ARCH = dict(depths=[1, 1, 2, 1], channels=[8, 16, 24, 32])
#: Stage counts and depths that the forward and the layer-depth rules must
#: all handle.
ARCHS = [
    pytest.param(SMALL_ARCH, id='4-stages'),
    pytest.param(dict(depths=[1, 2, 1], channels=[8, 16, 24]), id='3-stages'),
    pytest.param(
        dict(depths=[1, 1, 1, 6, 1], channels=[8, 12, 16, 24, 32]),
        id='5-stages'),
]

NORM_LAYER_TYPES = (torch.nn.modules.batchnorm._BatchNorm, torch.nn.GroupNorm,
                    torch.nn.LayerNorm)


def build(**kwargs):
    kwargs.setdefault('arch', SMALL_ARCH)
    torch.manual_seed(0)
    return {{ cookiecutter.backbone_name }}(**kwargs)


def output_shapes(arch, out_indices, gap, size=64, batch=2):
    """(N, C) or the (N, C, H, W) of stride 4, 8, 16, ... feature maps."""
    if gap:
        return [(batch, arch['channels'][i]) for i in out_indices]
    return [(batch, arch['channels'][i], size // 2**(i + 2),
             size // 2**(i + 2)) for i in out_indices]


def batch_norm_means(module):
    return [
        m.running_mean.clone() for m in module.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]


@pytest.mark.parametrize('arch', PRESETS)
def test_presets(arch):
    settings = {{ cookiecutter.backbone_name }}.arch_settings[arch]
    # The meta device skips allocating the weights of the large presets.
    with torch.device('meta'):
        model = build(arch=arch, out_indices=(0, 1, 2, 3))
    assert model.depths == list(settings['depths'])
    assert model.channels == list(settings['channels'])
    assert [len(stage) for stage in model.stages] == model.depths
    for i, channels in enumerate(model.channels):
        assert getattr(model, f'norm{i}').weight.shape == (channels, )


@pytest.mark.parametrize('gap', [True, False])
@pytest.mark.parametrize('arch', [pytest.param('tiny', id='tiny')] + ARCHS[1:])
def test_forward_of_every_stage(arch, gap):
    settings = arch
    if isinstance(arch, str):
        settings = {{ cookiecutter.backbone_name }}.arch_settings[arch]
    all_stages = list(range(len(settings['depths'])))
    model = build(arch=arch, out_indices=all_stages, gap_before_final_norm=gap)
    outs = model(torch.randn(2, 3, 64, 64))
    assert [out.shape
            for out in outs] == output_shapes(settings, all_stages, gap)


@pytest.mark.parametrize('out_indices, expected', [
    (-1, [3]),
    (0, [0]),
    ((0, 1, 2, 3), [0, 1, 2, 3]),
    ([-4, -1], [0, 3]),
    ([1, -2], [1, 2]),
])
@pytest.mark.parametrize('gap', [True, False])
def test_out_indices(out_indices, expected, gap):
    model = build(out_indices=out_indices, gap_before_final_norm=gap)
    assert model.out_indices == expected
    outs = model(torch.randn(2, 3, 64, 64))
    assert [out.shape
            for out in outs] == output_shapes(SMALL_ARCH, expected, gap)
    assert [
        name for name, _ in model.named_children() if name.startswith('norm')
    ] == [f'norm{i}' for i in expected]


# AssertionError, as {{ openmmlab.toolbox.cls }}'s backbones raise for bad arguments.
@pytest.mark.parametrize('kwargs, message', [
    (dict(arch='giant'), "Unknown arch 'giant'"),
    (dict(arch=dict(depths=[1, 1])), r"lacks \['channels'\]"),
    (dict(arch=dict(depths=[1, 1], channels=[8])), 'same non-zero length'),
    (dict(arch=dict(depths=[], channels=[])), 'same non-zero length'),
    (dict(arch=dict(depths=[1, 0], channels=[8, 16])), 'positive integers'),
    (dict(arch=dict(depths=[1, 1], channels=[8, 16.])), 'positive integers'),
    (dict(arch=['tiny']), r"a str or a dict, got \['tiny'\]"),
    (dict(out_indices=4), r'Invalid out_indices \[4\]'),
    (dict(out_indices=-5), r'Invalid out_indices \[-5\]'),
    (dict(out_indices=[0, 4]), r'Invalid out_indices \[0, 4\]'),
    (dict(out_indices=[1.]), r'Invalid out_indices \[1.0\]'),
    (dict(out_indices='1'), "sequence of ints, got '1'"),
    (dict(out_indices=None), 'sequence of ints, got None'),
    (dict(frozen_stages=-2), r'Invalid frozen_stages -2.*\[-1, 4\]'),
    (dict(frozen_stages=5), r'Invalid frozen_stages 5.*\[-1, 4\]'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(AssertionError, match=message):
        build(**kwargs)


@pytest.mark.parametrize('frozen_stages', [-1, 0, 2, 4])
def test_frozen_stages(frozen_stages):
    model = build(
        frozen_stages=frozen_stages,
        norm_cfg=dict(type='BN'),
        out_indices=(0, 1, 2, 3))
    model.train()
    for i in range(model.num_stages):
        frozen = i < frozen_stages
        for module in (model.downsample_layers[i], model.stages[i]):
            assert all(m.training != frozen for m in module.modules())
            assert all(p.requires_grad != frozen for p in module.parameters())
    assert all(p.requires_grad for p in model.norm0.parameters())
    # Frozen BatchNorms keep their statistics through a training step.
    before = batch_norm_means(model.downsample_layers[0])
    model(torch.randn(2, 3, 64, 64))
    after = batch_norm_means(model.downsample_layers[0])
    assert all(
        torch.equal(a, b) == (frozen_stages > 0)
        for a, b in zip(before, after))


@pytest.mark.parametrize('norm_eval', [True, False])
def test_norm_eval(norm_eval):
    model = build(norm_cfg=dict(type='BN'), norm_eval=norm_eval)
    model.train()
    norms = [m for m in model.modules() if isinstance(m, NORM_LAYER_TYPES)]
    assert all(norm.training != norm_eval for norm in norms)
    assert model.stages[0].training
    before = batch_norm_means(model)
    assert before
    model(torch.randn(2, 3, 64, 64))
    unchanged = [
        torch.equal(a, b) for a, b in zip(before, batch_norm_means(model))
    ]
    assert all(unchanged) if norm_eval else not any(unchanged)
    model.eval()
    assert not any(norm.training for norm in norms)


def test_with_cp(monkeypatch):
    inputs = torch.randn(2, 3, 64, 64)
    checkpoint = backbone_module.cp.checkpoint
    checkpointed = []

    def spy(*args, **kwargs):
        checkpointed.append(args[0])
        return checkpoint(*args, **kwargs)

    monkeypatch.setattr(backbone_module.cp, 'checkpoint', spy)
    outputs, grads = [], []
    for with_cp in (False, True):
        checkpointed.clear()
        model = build(with_cp=with_cp, gap_before_final_norm=False)
        model.train()
        out = model(inputs.clone().requires_grad_())[0]
        out.sum().backward()
        assert len(checkpointed) == (sum(model.depths) if with_cp else 0)
        outputs.append(out.detach())
        grads.append([param.grad for param in model.parameters()])
    torch.testing.assert_close(outputs[1], outputs[0])
    torch.testing.assert_close(grads[1], grads[0])


def test_drop_path():
    model = build(drop_path_rate=0.5, gap_before_final_norm=False)
    rates = [
        block.drop_path.drop_prob for stage in model.stages for block in stage
        if hasattr(block.drop_path, 'drop_prob')
    ]
    # Linear from 0 (the first block has none) to 0.5 over the blocks.
    assert rates == pytest.approx(
        torch.linspace(0, 0.5, sum(SMALL_ARCH['depths'])).tolist()[1:])
    inputs = torch.randn(4, 3, 64, 64)
    model.train()
    torch.manual_seed(1)
    first = model(inputs)[0]
    torch.manual_seed(2)
    assert not torch.allclose(model(inputs)[0], first)
    # In eval mode it is the same network as without drop path.
    reference = build(drop_path_rate=0., gap_before_final_norm=False)
    reference.load_state_dict(model.state_dict())
    model.eval()
    reference.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(inputs)[0], reference(inputs)[0])
{%- if cookiecutter.__backbone_source == 'convnext' %}


@pytest.mark.parametrize('value', [0., 1e-6])
def test_layer_scale(value):
    model = build(layer_scale_init_value=value)
    gammas = [block.gamma for stage in model.stages for block in stage]
    if value:
        assert all(torch.equal(g, torch.full_like(g, value)) for g in gammas)
    else:
        assert all(gamma is None for gamma in gammas)
        assert not any('gamma' in name for name in model.state_dict())


@pytest.mark.parametrize('linear_pw_conv', [True, False])
def test_grn_starts_as_the_identity(linear_pw_conv):
    # ConvNeXt V2's GRN starts with zero parameters: it changes nothing
    # until trained.
    kwargs = dict(linear_pw_conv=linear_pw_conv, gap_before_final_norm=False)
    model = build(use_grn=True, **kwargs)
    reference = build(**kwargs)
    grn_keys = {
        f'stages.{i}.{j}.grn.{name}'
        for i, depth in enumerate(SMALL_ARCH['depths'])
        for j in range(depth)
        for name in ('gamma', 'beta')
    }
    assert set(model.state_dict()) - set(reference.state_dict()) == grn_keys
    missing, unexpected = model.load_state_dict(
        reference.state_dict(), strict=False)
    assert set(missing) == grn_keys and not unexpected
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(inputs)[0], reference(inputs)[0])


@pytest.mark.parametrize('use_grn', [False, True])
def test_pointwise_linear_and_conv_are_the_same_network(use_grn):
    kwargs = dict(
        use_grn=use_grn, out_indices=(0, 1, 2, 3), gap_before_final_norm=False)
    linear = build(**kwargs)
    # GRN parameters away from zero, so that GRN takes part.
    with torch.no_grad():
        for name, param in linear.named_parameters():
            if '.grn.' in name:
                param.uniform_(-1, 1)
    conv = build(linear_pw_conv=False, **kwargs)
    # The weights of nn.Linear, as those of 1x1 convolutions.
    conv.load_state_dict({
        key: value.reshape(conv.state_dict()[key].shape)
        for key, value in linear.state_dict().items()
    })
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        for expected, actual in zip(linear(inputs), conv(inputs)):
            torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)
{%- endif %}


@pytest.mark.parametrize('arch', ARCHS)
def test_get_layer_depth(arch):
    model = build(arch=arch)
    depths = {
        name: model.get_layer_depth('backbone.' + name, prefix='backbone.')
        for name, _ in model.named_parameters()
    }
    num_layers = {num for _, num in depths.values()}
    assert len(num_layers) == 1
    num_layers = num_layers.pop()
    # The stem comes first, the output norm and the head last.
    assert {
        depth
        for name, (depth, _) in depths.items()
        if name.startswith('downsample_layers.0.')
    } == {0}
    assert depths[f'norm{model.num_stages - 1}.weight'][0] == num_layers - 1
    assert model.get_layer_depth('head.fc.weight',
                                 'backbone.') == (num_layers - 1, num_layers)
    # Each downsample layer shares the depth of the stage it starts, and the
    # depth never decreases along the network.
    in_network_order = []
    for i in range(model.num_stages):
        downsample = {
            depth
            for name, (depth, _) in depths.items()
            if name.startswith(f'downsample_layers.{i}.')
        }
        stage = sorted(depth for name, (depth, _) in depths.items()
                       if name.startswith(f'stages.{i}.'))
        assert len(downsample) == 1
        if i > 0:
            assert downsample == {stage[0]}
        in_network_order += sorted(downsample) + stage
    assert in_network_order == sorted(in_network_order)
    # Every layer id is used.
    assert set(in_network_order) | {num_layers - 1} == set(range(num_layers))
    # The prefix is honoured.
    assert model.get_layer_depth('stages.0.0.foo')[0] == 1


@pytest.mark.parametrize('arch', ARCHS)
def test_get_stage_depth(arch):
    model = build(arch=arch)
    _, num_layers = model.get_layer_depth('head.fc.weight', 'backbone.')
    # The stem and all downsample layers first, as in ConvNeXt's stage-wise
    # recipe; then the stages; the output norms last.
    expected = {}
    for name, _ in model.named_parameters():
        part, index = name.split('.')[:2]
        if part == 'downsample_layers':
            expected[name] = 0, num_layers
        elif part == 'stages':
            expected[name] = int(index) + 1, num_layers
        else:
            expected[name] = num_layers - 1, num_layers
    assert {
        name: model.get_stage_depth('backbone.' + name, prefix='backbone.')
        for name in expected
    } == expected
    assert model.get_stage_depth('head.fc.weight',
                                 'backbone.') == (num_layers - 1, num_layers)
    assert model.get_stage_depth('stages.1.0.foo') == (2, num_layers)


def test_registered_in_{{ openmmlab.toolbox.cls }}():
    cfg = dict(type='{{ cookiecutter.backbone_name }}', arch=SMALL_ARCH)
    model = build_backbone(cfg)
    assert type(model) is {{ cookiecutter.backbone_name }}


def test_init_cfg_loads_a_classifier_checkpoint(tmp_path):
    # What the det/seg configs do with the classification checkpoint.
    trained = build()
    with torch.no_grad():
        for param in trained.parameters():
            param.add_(torch.randn_like(param))
    state_dict = {
        f'backbone.{key}': value
        for key, value in trained.state_dict().items()
    }
    torch.save(dict(state_dict=state_dict), tmp_path / 'classifier.pth')
    model = build(
        init_cfg=dict(
            type='Pretrained',
            checkpoint=str(tmp_path / 'classifier.pth'),
            prefix='backbone.'))
    model.init_weights()
    assert list(model.state_dict()) == list(trained.state_dict())
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value, msg=key)


def test_docstring_examples_show_what_they_print():
    # A changed preset or output must not leave a stale example behind.
    results = doctest.testmod(backbone_module, verbose=False)
    assert results.attempted > 0
    assert results.failed == 0, 'the doctest report: captured stdout below'
