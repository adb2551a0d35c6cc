{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set downstream = 'det' in tasks or 'seg' in tasks -%}
{%- set helpers = ['PROJECT_ROOT']
    + (['docs_text'] if downstream and 'cls' in tasks else [])
    + (['readme_code'] if downstream else []) -%}
"""The configs' recipes are OpenMMLab's and what the docs say of them."""
{%- if downstream %}
import argparse
import importlib
import inspect
{%- endif %}
import re
from pathlib import Path

{% if downstream -%}
import numpy as np
{% endif -%}
import pytest
{%- if downstream %}
import torch
{%- endif %}
from mmcv import Config{% if downstream %}, DictAction{% endif %}
from project_docs import {{ helpers|join(', ') }}

CONFIG_ROOT = PROJECT_ROOT / 'configs'


def configs_of(task):
    return sorted((CONFIG_ROOT / task).glob('*.py'))


def all_configs():
    return [
        config for task_dir in sorted(CONFIG_ROOT.iterdir())
        if task_dir.is_dir() for config in configs_of(task_dir.name)
    ]


def load(config):
    return Config.fromfile(str(config))
{%- if downstream %}


#: The tasks whose real recipes run in fp16 and whose backbones start from
#: a classification checkpoint.
DOWNSTREAM_TASKS = {{ tasks | reject('equalto', 'cls') | list }}
TOOLBOXES = dict(det='mmdet', seg='mmseg')


def downstream_configs():
    return [config for task in DOWNSTREAM_TASKS for config in configs_of(task)]


def fp16_task_configs(toy):
    return [
        config for config in downstream_configs()
        if ('_toy-' in config.name) == toy
    ]


def readme_cpu_overrides():
    """The README's CPU commands for the fp16 recipes: their --cfg-options.

    Returns:
        dict: ``{(toolbox, 'train' or 'test'): options}``, the options parsed
        as the toolboxes' scripts parse them.
    """
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    overrides = {}
    for line in readme_code('cpu-fp32'):
        if line.startswith('mim '):
            _, tool, toolbox, *args = line.split()
            options = args[args.index('--cfg-options'):]
            overrides[toolbox, tool] = parser.parse_args(options).cfg_options
    return overrides


def uses_fp16(cfg, tool='train'):
    """Whether mmdet's or mmseg's ``tool`` script would run ``cfg`` in fp16.

    Both scripts read ``fp16``; training also builds the optimizer hook,
    which can be mmcv's fp16 one.
    """
    if cfg.get('fp16') is not None:
        return True
    optimizer_hook = cfg.get('optimizer_config') or {}
    return tool == 'train' and 'Fp16' in optimizer_hook.get('type', '')


@pytest.mark.parametrize(
    'config', fp16_task_configs(toy=False), ids=lambda p: p.name)
@pytest.mark.parametrize('tool', ['train', 'test'])
def test_readme_cpu_commands_turn_fp16_off(config, tool):
    cfg = load(config)
    assert uses_fp16(cfg, tool), 'the README says this recipe runs in fp16'
    toolbox = TOOLBOXES[config.parent.name]
    cfg.merge_from_dict(readme_cpu_overrides()[toolbox, tool])
    assert not uses_fp16(cfg, tool)


@pytest.mark.parametrize(
    'config', fp16_task_configs(toy=True), ids=lambda p: p.name)
def test_toy_configs_run_fp32(config):
    assert not uses_fp16(load(config))


@pytest.mark.parametrize('config', downstream_configs(), ids=lambda p: p.name)
def test_test_time_flip_flips_the_image(config):
    # MultiScaleFlipAug only marks its copies as flipped; a RandomFlip in its
    # transforms flips them. Without it, a flip test (mmseg's --aug-test)
    # flips back predictions of an image that was never flipped.
    toolbox = TOOLBOXES[config.parent.name]
    pipelines = importlib.import_module(f'{toolbox}.datasets.pipelines')
    load_image, test_time_aug = load(config).data.test.pipeline
    assert load_image.type == 'LoadImageFromFile'
    test_time_aug.flip = True
    # Square, so that every recipe resizes it to a multiple of 32 and no
    # padding falls on one side only.
    image = np.random.default_rng(0).integers(
        0, 256, (64, 64, 3), dtype=np.uint8)
    results = pipelines.Compose([test_time_aug])(
        dict(
            img=image,
            img_shape=image.shape,
            ori_shape=image.shape,
            pad_shape=image.shape,
            filename='image.png',
            ori_filename='image.png',
            img_fields=['img']))
    plain = flipped = None
    for img, meta in zip(results['img'], results['img_metas']):
        if meta.data['flip']:
            flipped = img
        else:
            plain = img
    assert plain is not None and flipped is not None
    assert torch.equal(flipped, plain.flip(-1))


@pytest.mark.parametrize('config', downstream_configs(), ids=lambda p: p.name)
def test_backbone_loads_pretrained_or_keeps_its_own_init(config):
    from mmcls.models import build_backbone
    cfg = load(config)
    backbone = build_backbone(cfg.model.backbone)
    if cfg.pretrained:
        expected = dict(
            type='Pretrained', checkpoint=cfg.pretrained, prefix='backbone.')
    else:
        expected = inspect.signature(
            type(backbone)).parameters['init_cfg'].default
    assert backbone.init_cfg == expected
{%- if 'cls' in tasks %}


@pytest.mark.parametrize('config', downstream_configs(), ids=lambda p: p.name)
def test_readme_overrides_of_the_checkpoint_reach_the_backbone(config):
    # The config builds ``init_cfg`` from ``pretrained`` when it is read, so
    # the README's --cfg-options name ``init_cfg`` itself.
    from mmcls.models import build_backbone
    for option in ('model.backbone.init_cfg.checkpoint=PATH',
                   'model.backbone.init_cfg=None'):
        assert option in ' '.join(docs_text().split())
    cfg = load(config)
    pretrained = cfg.pretrained
    cfg.merge_from_dict({'pretrained': 'other.pth'})  # too late
    assert cfg.model.backbone.init_cfg.checkpoint == pretrained != 'other.pth'
    cfg.merge_from_dict({'model.backbone.init_cfg.checkpoint': 'other.pth'})
    assert build_backbone(cfg.model.backbone).init_cfg == dict(
        type='Pretrained', checkpoint='other.pth', prefix='backbone.')
    cfg.merge_from_dict({'model.backbone.init_cfg': None})
    assert build_backbone(cfg.model.backbone).init_cfg is None
{%- endif %}
{%- if cookiecutter.__backbone_source == 'convnext' %}


#: OpenMMLab's ConvNeXt-T recipes, which the real det/seg configs follow.
OPENMMLAB_RECIPES = dict(
{%- if 'det' in tasks %}
    det='convnext/mask_rcnn_convnext-t_p4_w7_fpn_fp16_ms-crop_3x_coco.py'
{%- if 'seg' in tasks %},{% endif %}
{%- endif %}
{%- if 'seg' in tasks %}
    seg='convnext/upernet_convnext_tiny_fp16_512x512_160k_ade20k.py'
{%- endif %})


def learning_rates(cfg, toolbox, param_groups_by_name):
    """Each parameter's learning rate and weight decay under ``cfg``.

    Args:
        cfg (Config): A det or seg config.
        toolbox (str): ``mmdet`` or ``mmseg``, whose builders train it.
        param_groups_by_name (callable): The project's fixture of that name.

    Returns:
        dict[str, tuple[float, float]]: ``(lr, weight_decay)`` by name.
    """
    # The registry that the toolbox's own model builders build from.
    models = importlib.import_module(f'{toolbox}.models.builder').MODELS
    model = models.build(cfg.model)
    core = importlib.import_module(f'{toolbox}.core')
    optimizer = core.build_optimizer(model, cfg.optimizer)
    return {
        name: (group['lr'], group['weight_decay'])
        for name, group in param_groups_by_name(model, optimizer).items()
    }


def openmmlab_recipe(config):
    """OpenMMLab's config that the real det/seg ``config`` follows."""
    task = config.parent.name
    toolbox = importlib.import_module(TOOLBOXES[task])
    return Config.fromfile(
        str(
            Path(toolbox.__file__).parent / '.mim/configs' /
            OPENMMLAB_RECIPES[task]))


@pytest.mark.parametrize(
    'config', fp16_task_configs(toy=False), ids=lambda p: p.name)
def test_real_recipe_trains_each_parameter_as_openmmlab(
        config, param_groups_by_name):
    toolbox = TOOLBOXES[config.parent.name]
    ours = learning_rates(load(config), toolbox, param_groups_by_name)
    openmmlab = learning_rates(
        openmmlab_recipe(config), toolbox, param_groups_by_name)
    assert ours.keys() == openmmlab.keys()
    differ = [
        f'{name}: {ours[name]} (OpenMMLab {openmmlab[name]})' for name in ours
        if not np.allclose(ours[name], openmmlab[name])
    ]
    assert not differ, f'{len(differ)} of {len(ours)}: ' + \
        '\n'.join(differ[:10])


#: What the real configs set otherwise than OpenMMLab's: where the backbone
#: comes from and starts, the layer-decay constructor (the test above
#: compares what it does), and this project's helper variables.
OWN_KEYS = ('custom_imports', 'pretrained', 'checkpoint_file', 'arch_settings',
            'backbone_arch', 'backbone_channels', 'model.backbone.type',
            'model.backbone.init_cfg', 'optimizer.constructor',
            'optimizer.paramwise_cfg')


def settings(cfg):
    """``cfg``'s values by dotted key (``data.train.pipeline[2].type``).

    Args:
        cfg (Config): A config.

    Returns:
        dict: The values, with the ``OWN_KEYS`` left out.
    """

    def walk(value, key):
        if isinstance(value, dict):
            for name, item in value.items():
                yield from walk(item, f'{key}.{name}' if key else name)
        elif isinstance(value, (list, tuple)) and any(
                isinstance(item, (dict, list, tuple)) for item in value):
            for index, item in enumerate(value):
                yield from walk(item, f'{key}[{index}]')
        else:
            yield key, value

    return {
        key: value
        for key, value in walk(cfg._cfg_dict.to_dict(), '')
        if not key.startswith(OWN_KEYS)
    }


@pytest.mark.parametrize(
    'config', fp16_task_configs(toy=False), ids=lambda p: p.name)
def test_real_recipe_is_openmmlab_s_otherwise(config):
    ours = settings(load(config))
    openmmlab = settings(openmmlab_recipe(config))
    missing = object()
    differ = [
        f'{key}: {ours.get(key)!r} (OpenMMLab {openmmlab.get(key)!r})'
        for key in sorted(ours.keys() | openmmlab.keys())
        if ours.get(key, missing) != openmmlab.get(key, missing)
    ]
    assert not differ, '\n'.join(differ)
{%- endif %}
{%- endif %}


#: How the README's recipe column names each config's training set.
DATASET_NAMES = {
    'ImageNet': 'ImageNet-1k',
    'CocoDataset': 'COCO',
    'ADE20KDataset': 'ADE20K',
}


def readme_recipes(readme='README.md'):
    """A README's config table: ``(config path, recipe)`` per row."""
    text = (PROJECT_ROOT / readme).read_text(encoding='utf-8')
    return re.findall(r'^\| [^|`]+ \| `(configs/[^`]+)` \| (.+) \|$', text,
                      re.M)


@pytest.mark.parametrize('readme', ['README.md', 'README_zh-CN.md'])
def test_readme_lists_every_real_config(readme):
    real = {
        str(config.relative_to(PROJECT_ROOT))
        for config in all_configs() if '_toy-' not in config.name
    }
    listed = {config for config, _ in readme_recipes(readme)}
    assert listed == real, (
        f'the config table of {readme} ("Configs") lacks '
        f'{sorted(real - listed)} and lists missing configs '
        f'{sorted(listed - real)}: add or remove rows in the form of its '
        'others (the recipe ends in "<G> GPUs x <B>")')


@pytest.mark.parametrize(
    'config, recipe', readme_recipes(), ids=lambda value: Path(value).name)
def test_readme_recipe_matches_the_config(config, recipe):
    cfg = load(PROJECT_ROOT / config)
    gpus_and_batch = re.search(r'(\d+) GPUs? x (\d+)$', recipe)
    assert gpus_and_batch, (
        f'the README recipe of {config} must end in "<G> GPUs x <B>" (GPUs '
        f'and samples per GPU): {recipe!r}')
    gpus, batch = gpus_and_batch.groups()
    assert cfg.data.samples_per_gpu == int(batch)
    # OpenMMLab's names spell the same as <gpus>x b<batch> (8xb2).
    named = re.search(r'_(\d+)xb(\d+)', config)
    assert named is None or named.groups() == (gpus, batch)
    if cfg.runner.type == 'IterBasedRunner':
        assert cfg.runner.max_iters % 1000 == 0
        assert f'{cfg.runner.max_iters // 1000}k iterations' in recipe
    else:
        assert f'{cfg.runner.max_epochs} epochs' in recipe
    train_set = cfg.data.train
    while 'dataset' in train_set:  # RepeatDataset and the like
        train_set = train_set.dataset
    assert DATASET_NAMES[train_set.type] in recipe
    for optimizer in re.findall(r'\b(AdamW|Adam|SGD)\b', recipe):
        assert optimizer == cfg.optimizer.type
