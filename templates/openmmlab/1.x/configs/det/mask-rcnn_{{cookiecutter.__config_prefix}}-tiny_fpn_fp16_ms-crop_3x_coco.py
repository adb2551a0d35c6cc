{%- set cls_config = cookiecutter.__config_prefix ~ '-tiny_8xb128_in1k' -%}
# Mask R-CNN with FPN, {{ cookiecutter.backbone_name }}-tiny backbone, mixed
# precision, multi-scale crop augmentation, 36 epochs on COCO (8 GPUs x 2).
import models.{{ cookiecutter.__backbone_module }} as backbone_module

_base_ = [
    './_base_/models/mask-rcnn_fpn.py',
    './_base_/datasets/coco_instance.py',
    './_base_/schedules/schedule_1x.py',
    './_base_/default_runtime.py',
]
custom_imports = dict(
    imports=['models', 'upstream_fixes'], allow_failed_imports=False)
{% include 'configs/pretrained.py' %}

backbone_arch = 'tiny'
arch_settings = backbone_module.{{ cookiecutter.backbone_name }}.arch_settings
backbone_channels = arch_settings[backbone_arch]['channels']
model = dict(
    backbone=dict(
        type='mmcls.{{ cookiecutter.backbone_name }}',
        arch=backbone_arch,
        out_indices=[0, 1, 2, 3],
{%- if cookiecutter.__backbone_source == 'convnext' %}
        drop_path_rate=0.4,
        layer_scale_init_value=1.0,
{%- endif %}
        gap_before_final_norm=False),
    neck=dict(in_channels=backbone_channels))

{% include 'configs/backbone_init.py' %}
img_norm_cfg = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)

# The augmentation follows DETR / Sparse R-CNN, as in OpenMMLab's ConvNeXt
# detection recipe.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', flip_ratio=0.5),
    dict(
        type='AutoAugment',
        policies=[[
            dict(
                type='Resize',
                img_scale=[(480, 1333), (512, 1333), (544, 1333), (576, 1333),
                           (608, 1333), (640, 1333), (672, 1333), (704, 1333),
                           (736, 1333), (768, 1333), (800, 1333)],
                multiscale_mode='value',
                keep_ratio=True)
        ],
                  [
                      dict(
                          type='Resize',
                          img_scale=[(400, 1333), (500, 1333), (600, 1333)],
                          multiscale_mode='value',
                          keep_ratio=True),
                      dict(
                          type='RandomCrop',
                          crop_type='absolute_range',
                          crop_size=(384, 600),
                          allow_negative_crop=True),
                      dict(
                          type='Resize',
                          img_scale=[(480, 1333), (512, 1333), (544, 1333),
                                     (576, 1333), (608, 1333), (640, 1333),
                                     (672, 1333), (704, 1333), (736, 1333),
                                     (768, 1333), (800, 1333)],
                          multiscale_mode='value',
                          override=True,
                          keep_ratio=True)
                  ]]),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='Pad', size_divisor=32),
    dict(type='DefaultFormatBundle'),
    dict(type='Collect', keys=['img', 'gt_bboxes', 'gt_labels', 'gt_masks']),
]
data = dict(train=dict(pipeline=train_pipeline), persistent_workers=True)

optimizer = dict(
    _delete_=True,
    constructor='BackboneLayerDecayOptimizerConstructor',
    type='AdamW',
    lr=0.0001,
    betas=(0.9, 0.999),
    weight_decay=0.05,
    paramwise_cfg=dict(decay_rate=0.95, decay_type='layer_wise'))

lr_config = dict(warmup_iters=1000, step=[27, 33])
runner = dict(max_epochs=36)

fp16 = dict(loss_scale=dict(init_scale=512))
