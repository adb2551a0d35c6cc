"""Contract tests of the {{ cookiecutter.backbone_name }} backbone.

What configs, checkpoints and the layer-decay optimizer constructor rely on:
presets and custom archs, outputs per ``out_indices``, freezing, norm eval,
checkpointing, memory formats, stochastic depth and layer depths.
"""
import doctest

import pytest
import torch
from mmcls.models import build_backbone

import models.{{ cookiecutter.__backbone_module }} as backbone_module
from models import {{ cookiecutter.backbone_name }}

#: The names of the backbone's arch presets.
PRESETS = sorted({{ cookiecutter.backbone_name }}.arch_settings)
# Small enough to run in milliseconds on a CPU.
SMALL_ARCH = dict(depths=[1, 1, 2, 1], channels=[8, 16, 24, 32])

#: Stage counts and depths that the layer-depth rules must all handle.
DEPTH_ARCHS = [
    SMALL_ARCH,
    dict(depths=[1, 2, 1], channels=[8, 16, 24]),
    dict(depths=[1, 1, 1, 6, 1], channels=[8, 12, 16, 24, 32]),
]

NORM_LAYER_TYPES = (torch.nn.modules.batchnorm._BatchNorm, torch.nn.GroupNorm,
                    torch.nn.LayerNorm)


def build(**kwargs):
    kwargs.setdefault('arch', SMALL_ARCH)
    torch.manual_seed(0)
    return {{ cookiecutter.backbone_name }}(**kwargs)


def feature_shapes(arch, out_indices, size, batch=2):
    """The (N, C, H, W) shapes of stride 4, 8, 16, ... feature maps."""
    return [(batch, arch['channels'][i], size // 2**(i + 2),
             size // 2**(i + 2)) for i in out_indices]


@pytest.mark.parametrize('arch', PRESETS)
def test_presets(arch):
    settings = {{ cookiecutter.backbone_name }}.arch_settings[arch]
    assert len(settings['depths']) == len(settings['channels'])
    # The meta device skips allocating the weights of the large presets.
    with torch.device('meta'):
        model = build(arch=arch, out_indices=(0, 1, 2, 3))
    assert model.depths == list(settings['depths'])
    assert model.channels == list(settings['channels'])
    assert [len(stage) for stage in model.stages] == model.depths
    for i, channels in enumerate(model.channels):
        assert getattr(model, f'norm{i}').weight.shape == (channels, )


def test_tiny_preset_forward():
    model = {{ cookiecutter.backbone_name }}(arch='tiny').eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, 64, 64))
    assert len(outs) == 1
    assert outs[0].shape == (2, model.channels[-1])


@pytest.mark.parametrize(
    'arch', [
        dict(depths=[1, 2, 1], channels=[8, 16, 24]),
        dict(depths=[1, 1, 1, 2, 1], channels=[8, 12, 16, 24, 32]),
    ],
    ids=['3-stages', '5-stages'])
def test_custom_arch(arch):
    num_stages = len(arch['depths'])
    out_indices = list(range(num_stages))
    model = build(
        arch=arch, out_indices=out_indices, gap_before_final_norm=False)
    assert model.num_stages == num_stages
    outs = model(torch.randn(2, 3, 128, 128))
    assert [out.shape
            for out in outs] == feature_shapes(arch, out_indices, 128)
    outs = build(arch=arch, out_indices=-1)(torch.randn(2, 3, 128, 128))
    assert [out.shape for out in outs] == [(2, arch['channels'][-1])]


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
    if gap:
        assert [out.shape for out in outs] == [(2, SMALL_ARCH['channels'][i])
                                               for i in expected]
    else:
        assert [out.shape
                for out in outs] == feature_shapes(SMALL_ARCH, expected, 64)
    assert [
        name for name, _ in model.named_children() if name.startswith('norm')
    ] == [f'norm{i}' for i in expected]


@pytest.mark.parametrize('arch, message', [
    ('huge', 'Unknown arch'),
    (dict(depths=[1, 1]), 'lacks'),
    (dict(depths=[1, 1], channels=[8]), 'same'),
    (dict(depths=[], channels=[]), 'same'),
    (dict(depths=[1, 0], channels=[8, 16]), 'positive'),
    (dict(depths=[1, 1], channels=[8, 16.0]), 'positive'),
    (['tiny'], 'str or a dict'),
])
def test_bad_arch(arch, message):
    with pytest.raises(ValueError, match=message):
        {{ cookiecutter.backbone_name }}(arch=arch)


@pytest.mark.parametrize('out_indices', [4, -5, [0, 4], [1.0], '1', None])
def test_bad_out_indices(out_indices):
    with pytest.raises(ValueError, match='out_indices'):
        build(out_indices=out_indices)


@pytest.mark.parametrize('frozen_stages', [-2, 5])
def test_bad_frozen_stages(frozen_stages):
    with pytest.raises(ValueError, match='frozen_stages'):
        build(frozen_stages=frozen_stages)


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
    stem_stats = [
        m.running_mean.clone() for m in model.downsample_layers[0].modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    model(torch.randn(2, 3, 64, 64))
    after = [
        m.running_mean for m in model.downsample_layers[0].modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    assert all(
        torch.equal(a, b) == (frozen_stages > 0)
        for a, b in zip(stem_stats, after))


@pytest.mark.parametrize('norm_eval', [True, False])
def test_norm_eval(norm_eval):
    model = build(norm_cfg=dict(type='BN'), norm_eval=norm_eval)
    model.train()
    norms = [m for m in model.modules() if isinstance(m, NORM_LAYER_TYPES)]
    assert all(norm.training != norm_eval for norm in norms)
    assert model.stages[0].training
    batch_norms = [m for m in norms if isinstance(m, torch.nn.BatchNorm2d)]
    assert batch_norms
    running_means = [norm.running_mean.clone() for norm in batch_norms]
    model(torch.randn(2, 3, 64, 64))
    unchanged = [
        torch.equal(norm.running_mean, mean)
        for norm, mean in zip(batch_norms, running_means)
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


def test_channels_last_input():
    model = build(out_indices=(0, 1, 2, 3), gap_before_final_norm=False)
    model.eval()
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


def test_bf16_autocast():
    model = build(gap_before_final_norm=False).eval()
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
    blocks = [block for stage in model.stages for block in stage]
    if value:
        assert all(
            torch.equal(block.gamma, torch.full_like(block.gamma, value))
            for block in blocks)
    else:
        assert all(block.gamma is None for block in blocks)
        assert not any('gamma' in name for name in model.state_dict())
    assert model(torch.randn(2, 3, 64, 64))[0].shape == (2, 32)


@pytest.mark.parametrize('linear_pw_conv', [True, False])
def test_pointwise_conv_kinds_agree(linear_pw_conv):
    model = build(
        linear_pw_conv=linear_pw_conv,
        layer_scale_init_value=0.5,
        gap_before_final_norm=False)
    other = build(
        linear_pw_conv=not linear_pw_conv,
        layer_scale_init_value=0.5,
        gap_before_final_norm=False)
    # The same weights, as (out, in) matrices or (out, in, 1, 1) kernels.
    other.load_state_dict({
        name: tensor.reshape(other.state_dict()[name].shape)
        for name, tensor in model.state_dict().items()
    })
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(other(inputs)[0], model(inputs)[0])


@pytest.mark.parametrize('arch, expected', [
    ('tiny', {
        'downsample_layers.0.0.weight': 0,
        'stages.0.2.gamma': 1,
        'downsample_layers.1.0.weight': 2,
        'stages.1.0.norm.weight': 2,
        'downsample_layers.2.1.bias': 3,
        'stages.2.0.depthwise_conv.weight': 3,
        'stages.2.8.pointwise_conv2.weight': 5,
        'downsample_layers.3.1.weight': 6,
        'stages.3.2.gamma': 6,
        'norm3.weight': 7,
        'num_layers': 8,
    }),
    ('base', {
        'stages.2.26.gamma': 11,
        'stages.3.0.gamma': 12,
        'norm3.bias': 13,
        'num_layers': 14,
    }),
])
def test_get_layer_depth_matches_mmcls_1x(arch, expected):
    # The numbers of mmcls 1.x's ConvNeXt.get_layer_depth for the presets.
    with torch.device('meta'):
        model = {{ cookiecutter.backbone_name }}(arch=arch)
    num_layers = expected.pop('num_layers')
    for name, layer_id in expected.items():
        assert model.get_layer_depth('backbone.' + name,
                                     'backbone.') == (layer_id, num_layers)
    assert model.get_layer_depth('head.fc.weight',
                                 'backbone.') == (num_layers - 1, num_layers)
{%- endif %}


@pytest.mark.parametrize('arch', DEPTH_ARCHS)
def test_get_layer_depth(arch):
    model = build(arch=arch, out_indices=-1)
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


@pytest.mark.parametrize('arch', DEPTH_ARCHS)
def test_get_stage_depth(arch):
    model = build(arch=arch, out_indices=-1)
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


def test_registered_in_mmcls():
    cfg = dict(type='{{ cookiecutter.backbone_name }}', arch=SMALL_ARCH)
    model = build_backbone(cfg)
    assert type(model) is {{ cookiecutter.backbone_name }}


def test_init_weights_and_state_dict_round_trip():
    model = build(init_cfg=dict(type='TruncNormal', layer='Conv2d', std=.02))
{%- if cookiecutter.__backbone_source == 'convnext' %}
    conv_weights = [
        module.weight for module in model.modules()
        if isinstance(module, torch.nn.Conv2d)
    ]
    before = [weight.std().item() for weight in conv_weights]
    model.init_weights()
    after = torch.cat([weight.detach().flatten() for weight in conv_weights])
    assert abs(after.std().item() - .02) < .002, 'init_cfg was not applied'
    assert all(abs(std - .02) > .005 for std in before)
{%- else %}
    # mmcv's ConvModule re-initializes its conv after the parent's init_cfg
    # (as in mmcls's ResNet), so only the round trip is checked here.
    model.init_weights()
{%- endif %}
    other = build()
    other.load_state_dict(model.state_dict(), strict=True)
    inputs = torch.randn(2, 3, 64, 64)
    model.eval()
    other.eval()
    with torch.no_grad():
        torch.testing.assert_close(other(inputs)[0], model(inputs)[0])


def test_init_weights_loads_a_classifier_checkpoint(tmp_path):
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
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value, msg=key)


@pytest.mark.parametrize('gap', [True, False])
def test_compiles_without_graph_breaks(gap):
    import torch._dynamo
    model = build(gap_before_final_norm=gap, out_indices=(1, 3)).eval()
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(torch.randn(2, 3, 64, 64))
    assert explanation.graph_break_count == 0, explanation.break_reasons
    assert explanation.graph_count == 1


def test_docstring_examples_show_what_they_print():
    # A changed preset or output must not leave a stale example behind.
    results = doctest.testmod(backbone_module, verbose=False)
    assert results.attempted > 0
    assert results.failed == 0, 'the doctest report: captured stdout below'
