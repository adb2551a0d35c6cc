{%- set cls_config = cookiecutter.__config_prefix ~ '-tiny_8xb128_in1k' -%}
# UperNet, {{ cookiecutter.backbone_name }}-tiny backbone, mixed precision,
# 160k iterations on ADE20K at 512x512 (8 GPUs x 2 images).
import models.{{ cookiecutter.__backbone_module }} as backbone_module

_base_ = [
    './_base_/models/upernet.py',
    './_base_/datasets/ade20k.py',
    './_base_/schedules/schedule_160k.py',
    './_base_/default_runtime.py',
]
custom_imports = dict(
    imports=['models', 'upstream_fixes'], allow_failed_imports=False)
{% include 'configs/pretrained.py' %}

crop_size = (512, 512)
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
    decode_head=dict(in_channels=backbone_channels, num_classes=150),
    auxiliary_head=dict(in_channels=backbone_channels[2], num_classes=150),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)),
)

{% include 'configs/backbone_init.py' %}
optimizer = dict(
    constructor='BackboneLayerDecayOptimizerConstructor',
    _delete_=True,
    type='AdamW',
    lr=0.0001,
    betas=(0.9, 0.999),
    weight_decay=0.05,
    paramwise_cfg=dict(decay_rate=0.9, decay_type='stage_wise'))

lr_config = dict(
    _delete_=True,
    policy='poly',
    warmup='linear',
    warmup_iters=1500,
    warmup_ratio=1e-6,
    power=1.0,
    min_lr=0.0,
    by_epoch=False)

data = dict(samples_per_gpu=2)
optimizer_config = dict(type='Fp16OptimizerHook', loss_scale='dynamic')
fp16 = dict()
