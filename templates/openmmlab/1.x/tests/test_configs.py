{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""Every config loads, builds its model and optimizer, and runs forward."""
import importlib
from pathlib import Path

{% if 'det' in tasks -%}
import numpy as np
{% endif -%}
import pytest
import torch
from mmcv import Config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIG_ROOT = PROJECT_ROOT / 'configs'


def configs_of(task):
    """The configs of ``task``: the project's, then its baselines'."""
    folder = CONFIG_ROOT / task
    configs = sorted(folder.glob('*.py')) + sorted(
        (folder / 'baseline').glob('*.py'))
    assert configs, f'no configs in configs/{task}'
    return configs


def all_configs():
    return [
        config for task_dir in sorted(CONFIG_ROOT.iterdir())
        if task_dir.is_dir() for config in configs_of(task_dir.name)
    ]


def config_id(config):
    return config.relative_to(CONFIG_ROOT).as_posix()


def check_optimizer(model, cfg, toolbox=None):
    """The config's optimizer builds and holds every trainable parameter.

    ``toolbox`` ('mmdet' or 'mmseg') builds it with that toolbox's builder,
    which also knows the toolbox's own constructors; None with mmcv's.
    """
    module = 'mmcv.runner' if toolbox is None else f'{toolbox}.core'
    optimizer = importlib.import_module(module).build_optimizer(
        model, cfg.optimizer)
    held = sum(param.numel() for group in optimizer.param_groups
               for param in group['params'])
    assert held == sum(param.numel() for param in model.parameters()
                       if param.requires_grad)


def load(config):
    cfg = Config.fromfile(str(config))
    backbone = cfg.model.backbone
    # A baseline config trains mmcls's own ConvNeXt.
    if config.parent.name == 'baseline':
        assert backbone.type == 'mmcls.ConvNeXt'
    else:
        assert backbone.type == 'mmcls.{{ cookiecutter.backbone_name }}'
    return cfg


{%- if cookiecutter.backbone_name != 'ConvNeXt' %}


def baseline_configs():
    return [
        config for config in all_configs() if config.parent.name == 'baseline'
    ]


#: What a baseline config may change in the config it inherits: the
#: backbone, the channels that the necks and heads take from it, where the
#: backbone starts from, and the toolbox's layer-decay constructor, which
#: knows mmcls's ConvNeXt.
BASELINE_CHANGES = ('backbone_arch', 'atto', 'backbone_channels', 'pretrained',
                    'init_cfg', 'model.backbone', 'model.neck.in_channels',
                    'model.head.in_channels', 'model.decode_head.in_channels',
                    'model.auxiliary_head.in_channels',
                    'optimizer.constructor',
                    'optimizer.paramwise_cfg.num_layers')


def without_baseline_changes(cfg):
    """``cfg`` as a dict, less what :data:`BASELINE_CHANGES` names."""
    flat = cfg._cfg_dict.to_dict()
    for key in BASELINE_CHANGES:
        *parents, name = key.split('.')
        node = flat
        for parent in parents:
            node = node.get(parent, {})
        node.pop(name, None)
    return flat


@pytest.mark.parametrize('config', baseline_configs(), ids=config_id)
def test_baseline_differs_only_in_the_backbone(config):
    base = next(line for line in config.read_text().splitlines()
                if line.startswith('_base_ = ')).split("'")[1]
    ours = Config.fromfile(str(config.parent / base))
    assert without_baseline_changes(load(config)) == (
        without_baseline_changes(ours))
{%- endif %}


@pytest.mark.parametrize('config', all_configs(), ids=config_id)
def test_model_has_the_backbone_arch_the_config_names(config):
    # mmcv evaluates each file of a config on its own: one that inherits a
    # config and sets only ``backbone_arch`` keeps the inherited model.
    cfg = load(config)
    # A config of one's own may name the arch in the model alone.
    named = cfg.get('backbone_arch', cfg.model.backbone.arch)
    # A preset the toolbox lacks is given by its settings, in a variable of
    # its name (the baselines' ``atto``).
    assert cfg.model.backbone.arch in (named, cfg.get(named)), (
        f'{config.name} sets backbone_arch = {named!r} but its model has '
        f'arch={cfg.model.backbone.arch!r}: restate the lines that use '
        'backbone_arch, as the toy configs do')
{%- if 'cls' in tasks %}


@pytest.mark.parametrize('config', configs_of('cls'), ids=config_id)
def test_cls_config(config):
    from mmcls.models import build_classifier
    cfg = load(config)
    model = build_classifier(cfg.model)
    check_optimizer(model, cfg)
    imgs = torch.rand(2, 3, 64, 64)
    losses = model.forward_train(imgs, torch.tensor([0, 1]))
    assert torch.isfinite(losses['loss'])
    model.eval()
    with torch.no_grad():
        scores = model.simple_test(imgs)
    assert len(scores) == 2
    assert len(scores[0]) == cfg.model.head.num_classes

{%- endif %}
{%- if 'det' in tasks %}


@pytest.mark.parametrize('config', configs_of('det'), ids=config_id)
def test_det_config(config):
    from mmdet.core import BitmapMasks
    from mmdet.models import build_detector
    cfg = load(config)
    model = build_detector(cfg.model)
    check_optimizer(model, cfg, 'mmdet')
    img = torch.rand(1, 3, 128, 128)
    img_metas = [
        dict(
            img_shape=(128, 128, 3),
            ori_shape=(128, 128, 3),
            pad_shape=(128, 128, 3),
            scale_factor=np.ones(4, dtype=np.float32),
            flip=False)
    ]
    mask = np.zeros((1, 128, 128), dtype=np.uint8)
    mask[:, 16:64, 24:96] = 1
    losses = model.forward_train(
        img,
        img_metas,
        gt_bboxes=[torch.tensor([[24., 16., 96., 64.]])],
        gt_labels=[torch.tensor([0])],
        gt_masks=[BitmapMasks(mask, 128, 128)])
    loss, _ = model._parse_losses(losses)
    assert torch.isfinite(loss)
    model.eval()
    with torch.no_grad():
        [(bbox_results, mask_results)] = model.simple_test(img, img_metas)
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    assert len(bbox_results) == len(mask_results) == num_classes
{%- endif %}
{%- if 'seg' in tasks %}


@pytest.mark.parametrize('config', configs_of('seg'), ids=config_id)
def test_seg_config(config):
    from mmseg.models import build_segmentor
    cfg = load(config)
    model = build_segmentor(cfg.model)
    check_optimizer(model, cfg, 'mmseg')
    num_classes = cfg.model.decode_head.num_classes
    img_metas = [
        dict(
            img_shape=(64, 64, 3),
            ori_shape=(64, 64, 3),
            pad_shape=(64, 64, 3),
            flip=False)
    ] * 2
    losses = model.forward_train(
        torch.rand(2, 3, 64, 64), img_metas,
        torch.randint(0, num_classes, (2, 1, 64, 64)))
    loss, _ = model._parse_losses(losses)
    assert torch.isfinite(loss)
    # The auxiliary head runs only in training: its input channels are
    # checked here or not at all.
    assert ('aux.loss_ce' in losses) == bool(cfg.model.get('auxiliary_head'))
    model.eval()
    with torch.no_grad():
        logits = model.forward_dummy(torch.rand(1, 3, 64, 64))
    assert logits.shape == (1, num_classes, 64, 64)
{%- endif %}
