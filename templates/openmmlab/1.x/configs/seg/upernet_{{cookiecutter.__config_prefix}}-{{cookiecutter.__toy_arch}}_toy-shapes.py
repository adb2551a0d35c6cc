{%- from 'configs/long_names.jinja' import noqa_if_long -%}
# The real UperNet config, shrunk to what the toy shapes (64 px, 4 classes,
# 64 images; `python tools/make_toy_data.py`) and a CPU need. Only data,
# image scale, {{ 'model' if cookiecutter.__toy_arch != 'tiny' else 'head' }} width, batch, schedule and fp16
# change.
import models.{{ cookiecutter.__backbone_module }} as backbone_module

{% call noqa_if_long() %}_base_ = './upernet_{{ cookiecutter.__config_prefix }}-tiny_fp16_8xb2-160k_ade20k-512x512.py'{% endcall %}

{%- if cookiecutter.__toy_arch == 'atto' %}
# ConvNeXt-atto (timm's smallest ConvNeXt): the design at a width that a CPU
# trains in seconds.
{%- endif %}
backbone_arch = '{{ cookiecutter.__toy_arch }}'
arch_settings = backbone_module.{{ cookiecutter.backbone_name }}.arch_settings
backbone_channels = arch_settings[backbone_arch]['channels']

classes = ('background', 'square', 'circle', 'triangle')
palette = [[0, 0, 0], [220, 20, 60], [0, 130, 200], [255, 200, 0]]
crop_size = (64, 64)
{%- if 'cls' in cookiecutter.__tasks.split(',') %}
# Start from the toy classification run of the README.
{% call noqa_if_long() %}pretrained = 'work_dirs/{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_toy-digits/latest.pth'{% endcall %}
{%- else %}
pretrained = None
{%- endif %}
model = dict(
    backbone=dict(arch=backbone_arch),
    decode_head=dict(
        in_channels=backbone_channels, num_classes=len(classes), channels=128),
    auxiliary_head=dict(
        in_channels=backbone_channels[2],
        num_classes=len(classes),
        channels=64),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(43, 43)))
{%- set toy_config = true %}

{% include 'configs/backbone_init.py' %}
data_root = 'data/toy/ade/ADEChallengeData2016'
img_norm_cfg = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=True),
    dict(type='Resize', img_scale=(64, 64), ratio_range=(0.75, 1.5)),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='Pad', size=crop_size, pad_val=0, seg_pad_val=255),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_semantic_seg']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiScaleFlipAug',
        img_scale=(64, 64),
        flip=False,
        transforms=[
            dict(type='Resize', keep_ratio=True),
            dict(type='RandomFlip'),
            dict(type='Normalize', **img_norm_cfg),
            dict(type='ImageToTensor', keys=['img']),
            dict(type='Collect', keys=['img']),
        ])
]
# ADE20KDataset only accepts subsets of ADE20K's 150 classes.
dataset = dict(
    type='CustomDataset',
    data_root=data_root,
    img_suffix='.jpg',
    seg_map_suffix='.png',
    reduce_zero_label=True,
    classes=classes,
    palette=palette)
data = dict(
    samples_per_gpu=4,
    workers_per_gpu=1,
    # One long epoch: mmcv's IterLoader sleeps 2 s at the end of each, which
    # with 64 images would be every 16 iterations.
    train=dict(
        _delete_=True,
        type='RepeatDataset',
        times=100,
        dataset=dict(
            **dataset,
            img_dir='images/training',
            ann_dir='annotations/training',
            pipeline=train_pipeline)),
    val=dict(
        **dataset,
        img_dir='images/validation',
        ann_dir='annotations/validation',
        pipeline=test_pipeline),
    test=dict(
        **dataset,
        img_dir='images/validation',
        ann_dir='annotations/validation',
        pipeline=test_pipeline))

optimizer = dict(lr=1e-3)
optimizer_config = dict(_delete_=True)
lr_config = dict(warmup_iters=5)
runner = dict(max_iters=300)
checkpoint_config = dict(interval=30, max_keep_ckpts=2)
evaluation = dict(interval=300, metric='mIoU')
log_config = dict(interval=25)
fp16 = None
