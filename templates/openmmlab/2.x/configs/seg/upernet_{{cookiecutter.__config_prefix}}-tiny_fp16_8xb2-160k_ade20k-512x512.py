{%- from 'configs/long_names.jinja' import import_backbone_module -%}
{%- set cls_config = cookiecutter.__config_prefix ~ '-tiny_8xb128_in1k' -%}
{%- set cls_checkpoint = 'epoch_300.pth' -%}
# UperNet, {{ cookiecutter.backbone_name }}-tiny backbone, mixed precision,
# 160k iterations on ADE20K at 512x512 (8 GPUs x 2 images).
_base_ = [
    './_base_/models/upernet.py',
    './_base_/datasets/ade20k.py',
    './_base_/schedules/schedule_160k.py',
    './_base_/default_runtime.py',
]
# mmengine would read this config as a new-style (lazy import) one if the
# import came before _base_.
{{ import_backbone_module(cookiecutter.__backbone_module) }}

custom_imports = dict(
    imports=['models', 'upstream_fixes'], allow_failed_imports=False)
{% include 'configs/pretrained.py' %}

crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
backbone_arch = 'tiny'
arch_settings = backbone_module.{{ cookiecutter.backbone_name }}.arch_settings
backbone_channels = arch_settings[backbone_arch]['channels']
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmpretrain.{{ cookiecutter.backbone_name }}',
        arch=backbone_arch,
        out_indices=[0, 1, 2, 3],
{%- if cookiecutter.__backbone_source == 'convnext' %}
        drop_path_rate=0.4,
        layer_scale_init_value=1.0,
{%- endif %}
        gap_before_final_norm=False),
    decode_head=dict(in_channels=backbone_channels, num_classes=150),
    auxiliary_head=dict(in_channels=backbone_channels[2], num_classes=150),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)),
)

{% include 'configs/backbone_init.py' %}
# Mixed precision (AmpOptimWrapper, dynamic loss scale), and a learning rate
# that decays stage by stage from the heads down to the stem.
optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',
    constructor='BackboneLayerDecayOptimizerConstructor',
    paramwise_cfg=dict(decay_rate=0.9, decay_type='stage_wise'),
    optimizer=dict(
        type='AdamW', lr=0.0001, betas=(0.9, 0.999), weight_decay=0.05))

param_scheduler = [
    dict(
        type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(
        type='PolyLR',
        power=1.0,
        begin=1500,
        end=160000,
        eta_min=0.0,
        by_epoch=False,
    )
]

# By default, models are trained on 8 GPUs with 2 images per GPU
train_dataloader = dict(batch_size=2)
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
