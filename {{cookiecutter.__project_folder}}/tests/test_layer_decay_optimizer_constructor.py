{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set toolboxes = [] -%}
{%- for task in ['det', 'seg'] if task in tasks -%}
{%- set _ = toolboxes.append({'det': 'mmdet', 'seg': 'mmseg'}[task]) -%}
{%- endfor -%}
"""The layer-decay constructor follows the backbone's own depths."""
{{ openmmlab.layer_decay_test_imports }}

from models import {{ cookiecutter.backbone_name }}

ARCH = '{{ cookiecutter.__toy_arch }}'
{{ openmmlab.layer_decay_optimizer_cfg }}


class BackboneWithHead(nn.Module):

    def __init__(self, **kwargs):
        super().__init__()
        # Every stage out: the output norms have layer depths too.
        kwargs.setdefault('out_indices', (0, 1, 2, 3))
        self.backbone = {{ cookiecutter.backbone_name }}(arch=ARCH, **kwargs)
        self.head = nn.Linear(8, 2)


{{ openmmlab.layer_decay_build_optimizer }}


def with_decay_type(decay_type):
    cfg = copy.deepcopy(OPTIMIZER_CFG)
    cfg['paramwise_cfg']['decay_type'] = decay_type
    return cfg


def trainable_names(model):
    return {
        name
        for name, param in model.named_parameters() if param.requires_grad
    }


@pytest.mark.parametrize('toolbox', {{ toolboxes }})
@pytest.mark.parametrize('decay_type', ['layer_wise', 'stage_wise'])
def test_learning_rates_follow_layer_depth(toolbox, decay_type,
                                           param_groups_by_name):
    model = BackboneWithHead()
    optimizer = build_optimizer(model, with_decay_type(decay_type), toolbox)
    get_depth = dict(
        layer_wise=model.backbone.get_layer_depth,
        stage_wise=model.backbone.get_stage_depth)[decay_type]
    groups = param_groups_by_name(model, optimizer)
    assert groups.keys() == trainable_names(model)

    depths = {}
    for name, param in model.named_parameters():
        group = groups[name]
        if name.startswith('backbone.'):
            layer_id, num_layers = get_depth(name, prefix='backbone.')
            depths[name] = layer_id
        else:
            layer_id, num_layers = num_layers - 1, num_layers
        assert group['lr'] == pytest.approx(
            1e-3 * 0.5**(num_layers - layer_id - 1)), name
        expected_decay = 0. if param.ndim == 1 else 0.05
        assert group['weight_decay'] == expected_decay, name

    # The stem learns slowest, the head at the full rate.
    assert min(depths.values()) == 0
    assert groups['head.weight']['lr'] == pytest.approx(1e-3)
    stem = next(name for name in depths if depths[name] == 0)
    assert groups[stem]['lr'] < groups['head.weight']['lr']


def test_frozen_parameters_are_left_out(param_groups_by_name):
    model = BackboneWithHead(frozen_stages=1)
    model.train()
    optimizer = build_optimizer(model, OPTIMIZER_CFG)
    trainable = trainable_names(model)
    assert param_groups_by_name(model, optimizer).keys() == trainable
    assert len(trainable) < len(list(model.parameters()))
    before = {
        name: param.detach().clone()
        for name, param in model.named_parameters()
    }
    loss = model.backbone(torch.rand(2, 3, 32, 32))[-1].mean()
    loss.backward()
    optimizer.step()
    changed = {
        name
        for name, param in model.named_parameters()
        if not torch.equal(param, before[name])
    }
    assert changed and changed <= trainable


def test_rejects_an_unknown_decay_type():
    with pytest.raises(ValueError) as error:
        build_optimizer(BackboneWithHead(), with_decay_type('block_wise'))
    assert str(error.value) == ("decay_type 'block_wise' is not one of "
                                "['layer_wise', 'stage_wise']")


def test_stage_wise_needs_the_backbones_stage_depth():

    class WithoutStageDepth({{ cookiecutter.backbone_name }}):
        get_stage_depth = None

    model = BackboneWithHead()
    model.backbone = WithoutStageDepth(arch=ARCH)
    with pytest.raises(TypeError) as error:
        build_optimizer(model, with_decay_type('stage_wise'))
    assert str(error.value) == ("decay_type 'stage_wise' needs "
                                'WithoutStageDepth.get_stage_depth()')
{%- if cookiecutter.__backbone_source == 'convnext' %}


@pytest.mark.parametrize('toolbox', {{ toolboxes }})
@pytest.mark.parametrize('decay_type', ['layer_wise', 'stage_wise'])
# num_layers as in OpenMMLab's ConvNeXt recipes.
@pytest.mark.parametrize('arch, num_layers', [('tiny', 6), ('base', 12)])
def test_convnext_learning_rates_match_openmmlab(toolbox, decay_type, arch,
                                                 num_layers,
                                                 param_groups_by_name):
    # The toolbox's constructor tells a ConvNeXt by its class name.
    convnext_type = type('ConvNeXt', ({{ cookiecutter.backbone_name }}, ), {})
    model = BackboneWithHead()
    with torch.device('meta'):
        model.backbone = convnext_type(arch=arch, out_indices=(0, 1, 2, 3))
    cfg = with_decay_type(decay_type)
    ours = build_optimizer(model, cfg, toolbox)
    cfg['constructor'] = 'LearningRateDecayOptimizerConstructor'
    cfg['paramwise_cfg']['num_layers'] = num_layers
    theirs = build_optimizer(model, cfg, toolbox)
    ours, theirs = (
        param_groups_by_name(model, optimizer) for optimizer in (ours, theirs))
    assert ours.keys() == theirs.keys() == trainable_names(model)
    for name, group in ours.items():
        assert group['lr'] == pytest.approx(theirs[name]['lr']), name
        assert group['weight_decay'] == theirs[name]['weight_decay'], name
{%- endif %}
