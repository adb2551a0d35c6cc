{%- from 'configs/long_names.jinja' import import_backbone_module -%}
# {{ cookiecutter.backbone_name }}-tiny on ImageNet-1k:
# 128 images per GPU on 8 GPUs.
_base_ = [
    './_base_/models/{{ cookiecutter.__config_prefix }}-tiny.py',
    './_base_/datasets/imagenet_bs64_224.py',
    './_base_/schedules/imagenet_bs1024_adamw.py',
    './_base_/default_runtime.py',
]
# mmengine would read this config as a new-style (lazy import) one if the
# import came before _base_.
{{ import_backbone_module(cookiecutter.__backbone_module) }}

custom_imports = dict(
    imports=['models', 'upstream_fixes'], allow_failed_imports=False)

backbone_arch = 'tiny'
arch_settings = backbone_module.{{ cookiecutter.backbone_name }}.arch_settings
backbone_channels = arch_settings[backbone_arch]['channels']
model = dict(
    backbone=dict(arch=backbone_arch),
    head=dict(in_channels=backbone_channels[-1]))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=1e-3))  # 1e-3 * total batch / 1024

custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
