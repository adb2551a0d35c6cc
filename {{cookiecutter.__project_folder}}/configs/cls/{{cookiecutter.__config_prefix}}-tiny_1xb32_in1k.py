# {{ cookiecutter.backbone_name }}-tiny on ImageNet-1k: 32 images per GPU on 1 GPU.
import models.{{ cookiecutter.__backbone_module }} as backbone_module

_base_ = [
    './_base_/models/{{ cookiecutter.__config_prefix }}-tiny.py',
    './_base_/datasets/imagenet_bs64_224.py',
    './_base_/schedules/imagenet_bs1024_adamw.py',
    './_base_/default_runtime.py',
]
custom_imports = dict(imports=['models'], allow_failed_imports=False)

backbone_arch = 'tiny'
backbone_channels = (
    backbone_module.{{ cookiecutter.backbone_name }}.arch_settings[backbone_arch]['channels'])
model = dict(
    backbone=dict(arch=backbone_arch),
    head=dict(in_channels=backbone_channels[-1]))

data = dict(samples_per_gpu=32)
optimizer = dict(lr=3.125e-5)  # 1e-3 * total batch / 1024

custom_hooks = [dict(type='EMAHook', momentum=4e-5, priority='ABOVE_NORMAL')]
