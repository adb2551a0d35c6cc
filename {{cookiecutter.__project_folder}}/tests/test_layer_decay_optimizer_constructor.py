{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The layer-decay constructor follows the backbone's own depths."""
import copy

import pytest
import torch
from torch import nn

from models import {{ cookiecutter.backbone_name }}

ARCH = '{{ cookiecutter.__toy_arch }}'
OPTIMIZER_CFG = dict(
    type='AdamW',
    lr=1e-3,
    weight_decay=0.05,
    constructor='BackboneLayerDecayOptimizerConstructor',
    paramwise_cfg=dict(decay_rate=0.5))


class BackboneWithHead(nn.Module):

    def __init__(self, **kwargs):
        super().__init__()
        # Every stage out: the output norms have layer depths too.
        kwargs.setdefault('out_indices', (0, 1, 2, 3))
        self.backbone = {{ cookiecutter.backbone_name }}(arch=ARCH, **kwargs)
        self.head = nn.Linear(8, 2)


def with_decay_type(decay_type):
    cfg = copy.deepcopy(OPTIMIZER_CFG)
    cfg['paramwise_cfg']['decay_type'] = decay_type
    return cfg


def trainable_names(model):
    return {
        name
        for name, param in model.named_parameters() if param.requires_grad
    }


@pytest.mark.parametrize('toolbox', [
{%- if 'det' in tasks %}
    'mmdet.core',
{%- endif %}
{%- if 'seg' in tasks %}
    'mmseg.core',
{%- endif %}
])
@pytest.mark.parametrize('decay_type', ['layer_wise', 'stage_wise'])
def test_learning_rates_follow_layer_depth(toolbox, decay_type,
                                           param_groups_by_name):
    build_optimizer = __import__(toolbox, fromlist=['build_optimizer'])
    build_optimizer = build_optimizer.build_optimizer
    model = BackboneWithHead()
    optimizer = build_optimizer(model, with_decay_type(decay_type))
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
    from mmcv.runner import build_optimizer
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
    from mmcv.runner import build_optimizer
    with pytest.raises(ValueError) as error:
        build_optimizer(BackboneWithHead(), with_decay_type('block_wise'))
    assert str(error.value) == ("decay_type 'block_wise' is not one of "
                                "['layer_wise', 'stage_wise']")


def test_stage_wise_needs_the_backbones_stage_depth():
    from mmcv.runner import build_optimizer

    class WithoutStageDepth({{ cookiecutter.backbone_name }}):
        get_stage_depth = None

    model = BackboneWithHead()
    model.backbone = WithoutStageDepth(arch=ARCH)
    with pytest.raises(TypeError) as error:
        build_optimizer(model, with_decay_type('stage_wise'))
    assert str(error.value) == ("decay_type 'stage_wise' needs "
                                'WithoutStageDepth.get_stage_depth()')
