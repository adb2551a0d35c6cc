{%- from 'configs/long_names.jinja' import import_backbone_module, noqa_if_long -%}
# The real UperNet config, shrunk to what the toy shapes (64 px, 4 classes,
# 64 images; `python tools/make_toy_data.py`) and a CPU need. Only data,
# image scale, {{ 'model' if cookiecutter.__toy_arch != 'tiny' else 'head' }} width, batch, schedule and fp16
# change.
{% call noqa_if_long() %}_base_ = './upernet_{{ cookiecutter.__config_prefix }}-tiny_fp16_8xb2-160k_ade20k-512x512.py'{% endcall %}
# mmengine would read this config as a new-style (lazy import) one if the
# import came before _base_.
{{ import_backbone_module(cookiecutter.__backbone_module) }}

{% if cookiecutter.__toy_arch == 'atto' -%}
# ConvNeXt-atto (timm's smallest ConvNeXt): the design at a width that a CPU
# trains in seconds.
{% endif -%}
backbone_arch = '{{ cookiecutter.__toy_arch }}'
arch_settings = backbone_module.{{ cookiecutter.backbone_name }}.arch_settings
backbone_channels = arch_settings[backbone_arch]['channels']

metainfo = dict(
    classes=('background', 'square', 'circle', 'triangle'),
    palette=[[0, 0, 0], [220, 20, 60], [0, 130, 200], [255, 200, 0]])
num_classes = len(metainfo['classes'])
crop_size = (64, 64)
data_preprocessor = dict(size=crop_size)
{%- if 'cls' in cookiecutter.__tasks.split(',') %}
# Start from the toy classification run of the README (its last epoch).
{% call noqa_if_long() %}pretrained = 'work_dirs/{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_toy-digits/epoch_6.pth'{% endcall %}
{%- else %}
pretrained = None
{%- endif %}
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(arch=backbone_arch),
    decode_head=dict(
        in_channels=backbone_channels, num_classes=num_classes, channels=128),
    auxiliary_head=dict(
        in_channels=backbone_channels[2], num_classes=num_classes,
        channels=64),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(43, 43)))
{%- set toy_config = true %}

{% include 'configs/backbone_init.py' %}
data_root = 'data/toy/ade/ADEChallengeData2016'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(
        type='RandomResize',
        scale=(64, 64),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs')
]
# ADE20KDataset only accepts subsets of ADE20K's 150 classes.
dataset = dict(
    type='BaseSegDataset',
    data_root=data_root,
    img_suffix='.jpg',
    seg_map_suffix='.png',
    reduce_zero_label=True,
    metainfo=metainfo)
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        **dataset,
        data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        **dataset,
        data_prefix=dict(
            img_path='images/validation',
            seg_map_path='annotations/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# A CPU has no mixed precision: the same optimizer in full precision.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=5),
    dict(
        type='PolyLR',
        power=1.0,
        begin=5,
        end=300,
        eta_min=0.0,
        by_epoch=False,
    )
]
train_cfg = dict(max_iters=300, val_interval=300)
default_hooks = dict(
    logger=dict(interval=25), checkpoint=dict(interval=30, max_keep_ckpts=2))
# Seeded, so that a toy run repeats its numbers.
randomness = dict(seed=0)
