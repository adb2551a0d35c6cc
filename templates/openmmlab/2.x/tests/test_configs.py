{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""Every config loads, builds its model and optimizer, and runs forward."""
from pathlib import Path

{% if 'det' in tasks -%}
import numpy as np
{% endif -%}
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

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


def check_optimizer(model, cfg):
    """The config's optim wrapper builds and holds every trainable parameter.

    Mixed precision (``AmpOptimWrapper``) needs a GPU; without one the same
    optimizer and parameter groups are built in full precision.
    """
    optim_wrapper = cfg.optim_wrapper.copy()
    if (optim_wrapper.get('type') == 'AmpOptimWrapper'
            and not torch.cuda.is_available()):
        optim_wrapper.pop('loss_scale', None)
        optim_wrapper['type'] = 'OptimWrapper'
    optimizer = build_optim_wrapper(model, optim_wrapper).optimizer
    held = sum(param.numel() for group in optimizer.param_groups
               for param in group['params'])
    assert held == sum(param.numel() for param in model.parameters()
                       if param.requires_grad)


def load(config):
    cfg = Config.fromfile(str(config))
    backbone = cfg.model.backbone
    # A baseline config trains mmpretrain's own ConvNeXt.
    if config.parent.name == 'baseline':
        assert backbone.type == 'mmpretrain.ConvNeXt'
    else:
        assert backbone.type == 'mmpretrain.{{ cookiecutter.backbone_name }}'
    return cfg


def build_model(cfg, registry):
    """Build the config's model from ``registry`` as the runner does.

    Args:
        cfg (Config): The config.
        registry (Registry): The toolbox's ``MODELS``, in its default scope.

    Returns:
        nn.Module: The model; ``model.data_preprocessor`` makes its inputs.
    """
    model = cfg.model.copy()
    # The runner hands a top-level data_preprocessor to the model.
    if cfg.get('data_preprocessor') is not None:
        model.setdefault('data_preprocessor', cfg.data_preprocessor)
    return registry.build(model)


{%- if cookiecutter.backbone_name != 'ConvNeXt' %}


def baseline_configs():
    return [
        config for config in all_configs() if config.parent.name == 'baseline'
    ]


#: What a baseline config may change in the config it inherits: the
#: backbone, the channels that the necks and heads take from it, where the
#: backbone starts from, and the toolbox's layer-decay constructor, which
#: knows mmpretrain's ConvNeXt.
BASELINE_CHANGES = ('backbone_arch', 'backbone_channels', 'pretrained',
                    'init_cfg', 'model.backbone', 'model.neck.in_channels',
                    'model.head.in_channels', 'model.decode_head.in_channels',
                    'model.auxiliary_head.in_channels',
                    'optim_wrapper.constructor',
                    'optim_wrapper.paramwise_cfg.num_layers')


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
    # mmengine evaluates each file of a config on its own: one that inherits
    # a config and sets only ``backbone_arch`` keeps the inherited model.
    cfg = load(config)
    # A config of one's own may name the arch in the model alone.
    named = cfg.get('backbone_arch', cfg.model.backbone.arch)
    assert cfg.model.backbone.arch == named, (
        f'{config.name} sets backbone_arch = {named!r} but its model has '
        f'arch={cfg.model.backbone.arch!r}: restate the lines that use '
        'backbone_arch, as the toy configs do')
{%- if 'cls' in tasks %}


@pytest.mark.parametrize('config', configs_of('cls'), ids=config_id)
def test_cls_config(config):
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = load(config)
    assert cfg.default_scope == 'mmpretrain'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = build_model(cfg, MODELS)
        check_optimizer(model, cfg)
    imgs = [torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)] * 2
    samples = [DataSample().set_gt_label(label) for label in (0, 1)]
    # The training batch goes through the data preprocessor, which also
    # mixes images and labels (Mixup, CutMix) where the config says so.
    data = model.data_preprocessor(
        dict(inputs=imgs, data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=imgs), training=False)
        predictions = model(**data, mode='predict')
    assert len(predictions) == 2
    assert len(predictions[0].pred_score) == cfg.model.head.num_classes

{%- endif %}
{%- if 'det' in tasks %}


@pytest.mark.parametrize('config', configs_of('det'), ids=config_id)
def test_det_config(config):
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmdet.utils import register_all_modules
    from mmengine.structures import InstanceData
    register_all_modules(init_default_scope=False)
    cfg = load(config)
    assert cfg.default_scope == 'mmdet'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = build_model(cfg, MODELS)
        check_optimizer(model, cfg)
    img = torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8)
    img_meta = dict(
        img_shape=(128, 128), ori_shape=(128, 128), scale_factor=(1., 1.))
    mask = np.zeros((1, 128, 128), dtype=np.uint8)
    mask[:, 16:64, 24:96] = 1
    sample = DetDataSample(metainfo=img_meta)
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[24., 16., 96., 64.]]),
        labels=torch.tensor([0]),
        masks=BitmapMasks(mask, 128, 128))
    data = model.data_preprocessor(
        dict(inputs=[img], data_samples=[sample]), training=True)
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    model.eval()
    with torch.no_grad():
        sample = DetDataSample(metainfo=img_meta)
        data = model.data_preprocessor(
            dict(inputs=[img], data_samples=[sample]), training=False)
        [result] = model(**data, mode='predict')
    predicted = result.pred_instances
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    assert len(predicted.bboxes) == len(predicted.masks)
    assert (predicted.labels < num_classes).all()
    assert predicted.masks.shape[1:] == (128, 128)
{%- endif %}
{%- if 'seg' in tasks %}


@pytest.mark.parametrize('config', configs_of('seg'), ids=config_id)
def test_seg_config(config):
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = load(config)
    assert cfg.default_scope == 'mmseg'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = build_model(cfg, MODELS)
        check_optimizer(model, cfg)
    num_classes = cfg.model.decode_head.num_classes
    img_meta = dict(img_shape=(64, 64), ori_shape=(64, 64))
    imgs = [torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)] * 2
    samples = []
    for _ in imgs:
        sample = SegDataSample(metainfo=img_meta)
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, num_classes, (1, 64, 64)))
        samples.append(sample)
    # The configs pad each training image to their crop, which at the real
    # configs' 512x512 costs a CPU half a minute here: pad to the test's.
    model.data_preprocessor.size = img_meta['img_shape']
    data = model.data_preprocessor(
        dict(inputs=imgs, data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    loss, _ = model.parse_losses(losses)
    assert torch.isfinite(loss)
    # The auxiliary head runs only in training: its input channels are
    # checked here or not at all.
    assert ('aux.loss_ce' in losses) == bool(cfg.model.get('auxiliary_head'))
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(
                inputs=imgs[:1],
                data_samples=[SegDataSample(metainfo=img_meta)]),
            training=False)
        [result] = model(**data, mode='predict')
    assert result.seg_logits.data.shape == (num_classes, 64, 64)
{%- endif %}
