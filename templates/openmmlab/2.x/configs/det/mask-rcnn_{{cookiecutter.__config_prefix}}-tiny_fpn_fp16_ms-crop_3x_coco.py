{%- from 'configs/long_names.jinja' import import_backbone_module -%}
{%- set cls_config = cookiecutter.__config_prefix ~ '-tiny_8xb128_in1k' -%}
{%- set cls_checkpoint = 'epoch_300.pth' -%}
# Mask R-CNN with FPN, {{ cookiecutter.backbone_name }}-tiny backbone, mixed
# precision, multi-scale crop augmentation, 36 epochs on COCO (8 GPUs x 2).
_base_ = [
    './_base_/models/mask-rcnn_fpn.py',
    './_base_/datasets/coco_instance.py',
    './_base_/schedules/schedule_1x.py',
    './_base_/default_runtime.py',
]
# mmengine would read this config as a new-style (lazy import) one if the
# import came before _base_.
{{ import_backbone_module(cookiecutter.__backbone_module) }}

custom_imports = dict(
    imports=['models', 'upstream_fixes'], allow_failed_imports=False)
{% include 'configs/pretrained.py' %}

backbone_arch = 'tiny'
arch_settings = backbone_module.{{ cookiecutter.backbone_name }}.arch_settings
backbone_channels = arch_settings[backbone_arch]['channels']
model = dict(
    backbone=dict(
        type='mmpretrain.{{ cookiecutter.backbone_name }}',
        arch=backbone_arch,
        out_indices=[0, 1, 2, 3],
{%- if cookiecutter.__backbone_source == 'convnext' %}
        drop_path_rate=0.4,
        layer_scale_init_value=1.0,
{%- endif %}
        gap_before_final_norm=False),
    neck=dict(in_channels=backbone_channels))

{% include 'configs/backbone_init.py' %}
# The augmentation follows DETR / Sparse R-CNN, as in OpenMMLab's ConvNeXt
# detection recipe.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=_base_.backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[[
            dict(
                type='RandomChoiceResize',
                scales=[(480, 1333), (512, 1333), (544, 1333), (576, 1333),
                        (608, 1333), (640, 1333), (672, 1333), (704, 1333),
                        (736, 1333), (768, 1333), (800, 1333)],
                keep_ratio=True)
        ],
                    [
                        dict(
                            type='RandomChoiceResize',
                            scales=[(400, 1333), (500, 1333), (600, 1333)],
                            keep_ratio=True),
                        dict(
                            type='RandomCrop',
                            crop_type='absolute_range',
                            crop_size=(384, 600),
                            allow_negative_crop=True),
                        dict(
                            type='RandomChoiceResize',
                            scales=[(480, 1333), (512, 1333), (544, 1333),
                                    (576, 1333), (608, 1333), (640, 1333),
                                    (672, 1333), (704, 1333), (736, 1333),
                                    (768, 1333), (800, 1333)],
                            keep_ratio=True)
                    ]]),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_epochs = 36
train_cfg = dict(max_epochs=max_epochs)

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[27, 33],
        gamma=0.1)
]

# Mixed precision (AmpOptimWrapper, dynamic loss scale), and a learning rate
# that decays layer by layer from the heads down to the stem.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    constructor='BackboneLayerDecayOptimizerConstructor',
    paramwise_cfg=dict(decay_rate=0.95, decay_type='layer_wise'),
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=0.0001,
        betas=(0.9, 0.999),
        weight_decay=0.05))
