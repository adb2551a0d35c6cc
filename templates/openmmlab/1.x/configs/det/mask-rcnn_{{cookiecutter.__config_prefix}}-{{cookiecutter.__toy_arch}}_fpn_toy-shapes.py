{%- from 'configs/long_names.jinja' import noqa_if_long -%}
# The real Mask R-CNN config, shrunk to what the toy shapes (128 px, 3
# classes, 48 images; `python tools/make_toy_data.py`) and a CPU need. Only
# data, image scale,{% if cookiecutter.__toy_arch != 'tiny' %} model width,{% endif %} proposal counts, batch, schedule and fp16
# change.
import models.{{ cookiecutter.__backbone_module }} as backbone_module

{% call noqa_if_long() %}_base_ = './mask-rcnn_{{ cookiecutter.__config_prefix }}-tiny_fpn_fp16_ms-crop_3x_coco.py'{% endcall %}

{%- if cookiecutter.__toy_arch == 'atto' %}
# ConvNeXt-atto (timm's smallest ConvNeXt): the design at a width that a CPU
# trains in seconds.
{%- endif %}
backbone_arch = '{{ cookiecutter.__toy_arch }}'
arch_settings = backbone_module.{{ cookiecutter.backbone_name }}.arch_settings
backbone_channels = arch_settings[backbone_arch]['channels']

{%- if 'cls' in cookiecutter.__tasks.split(',') %}
# Start from the toy classification run of the README.
{% call noqa_if_long() %}pretrained = 'work_dirs/{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_toy-digits/latest.pth'{% endcall %}
{%- else %}
pretrained = None
{%- endif %}
model = dict(
    backbone=dict(arch=backbone_arch),
    neck=dict(in_channels=backbone_channels),
    roi_head=dict(
        bbox_head=dict(num_classes=3), mask_head=dict(num_classes=3)),
    # An image holds 1 to 3 shapes: a few proposals and sampled RoIs do.
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=200, max_per_img=100),
        rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=200, max_per_img=100), rcnn=dict(max_per_img=20)))
{%- set toy_config = true %}

{% include 'configs/backbone_init.py' %}
classes = ('square', 'circle', 'triangle')
data_root = 'data/toy/coco/'
img_norm_cfg = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
img_scale = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', img_scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', flip_ratio=0.5),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='Pad', size_divisor=32),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels', 'gt_masks']),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='MultiScaleFlipAug',
        img_scale=img_scale,
        flip=False,
        transforms=[
            dict(type='Resize', keep_ratio=True),
            dict(type='RandomFlip'),
            dict(type='Normalize', **img_norm_cfg),
            dict(type='Pad', size_divisor=32),
            dict(type='ImageToTensor', keys=['img']),
            dict(type='Collect', keys=['img']),
        ])
]
data = dict(
    samples_per_gpu=4,
    workers_per_gpu=1,
    train=dict(
        classes=classes,
        ann_file=data_root + 'annotations/instances_train2017.json',
        img_prefix=data_root + 'train2017/',
        pipeline=train_pipeline),
    val=dict(
        classes=classes,
        ann_file=data_root + 'annotations/instances_val2017.json',
        img_prefix=data_root + 'val2017/',
        pipeline=test_pipeline),
    test=dict(
        classes=classes,
        ann_file=data_root + 'annotations/instances_val2017.json',
        img_prefix=data_root + 'val2017/',
        pipeline=test_pipeline))

optimizer = dict(lr=2e-4)
lr_config = dict(warmup_iters=10, step=[3])
runner = dict(max_epochs=4)
checkpoint_config = dict(interval=1, max_keep_ckpts=2)
evaluation = dict(interval=4, metric=['bbox', 'segm'])
log_config = dict(interval=4)
fp16 = None
