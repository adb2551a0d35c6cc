{%- from 'configs/long_names.jinja' import import_backbone_module, noqa_if_long -%}
# The real Mask R-CNN config, shrunk to what the toy shapes (128 px, 3
# classes, 48 images; `python tools/make_toy_data.py`) and a CPU need. Only
# data, image scale,{% if cookiecutter.__toy_arch != 'tiny' %} model width,{% endif %} proposal counts, batch, schedule and fp16
# change.
{% call noqa_if_long() %}_base_ = './mask-rcnn_{{ cookiecutter.__config_prefix }}-tiny_fpn_fp16_ms-crop_3x_coco.py'{% endcall %}
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

{%- if 'cls' in cookiecutter.__tasks.split(',') %}
# Start from the toy classification run of the README (its last epoch).
{% call noqa_if_long() %}pretrained = 'work_dirs/{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_toy-digits/epoch_6.pth'{% endcall %}
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
data_root = 'data/toy/coco/'
metainfo = dict(classes=('square', 'circle', 'triangle'))
img_scale = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

# A CPU has no mixed precision: the same optimizer in full precision.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(lr=2e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(
        type='MultiStepLR',
        begin=0,
        end=4,
        by_epoch=True,
        milestones=[3],
        gamma=0.1)
]
train_cfg = dict(max_epochs=4, val_interval=4)
default_hooks = dict(
    logger=dict(interval=4), checkpoint=dict(max_keep_ckpts=2))
# Seeded, so that a toy run repeats its numbers.
randomness = dict(seed=0)
