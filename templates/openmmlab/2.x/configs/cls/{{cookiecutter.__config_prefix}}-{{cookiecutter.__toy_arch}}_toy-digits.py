{%- from 'configs/long_names.jinja' import import_backbone_module, noqa_if_long -%}
# The real 1xb32 config, shrunk to what scikit-learn's digits (32 px, 10
# classes, ~1.4k images; `python tools/make_toy_data.py`) and a CPU need.
# Only data, image scale,{% if cookiecutter.__toy_arch != 'tiny' %} model width,{% endif %} batch and schedule change: the design,
# optimizer and runtime are those of the real config.
{% call noqa_if_long() %}_base_ = './{{ cookiecutter.__config_prefix }}-tiny_1xb32_in1k.py'{% endcall %}
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
classes = [f'digit_{i}' for i in range(10)]
model = dict(
    backbone=dict(arch=backbone_arch),
    head=dict(in_channels=backbone_channels[-1], num_classes=len(classes)),
    # Mixup and CutMix need many epochs to pay off; a smoke run has few.
    train_cfg=dict(_delete_=True))

data_root = 'data/toy/imagenet/'
data_preprocessor = dict(
    num_classes=len(classes), mean=[127.5] * 3, std=[127.5] * 3)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.6, 1.0)),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]
dataset = dict(type='CustomDataset', data_root=data_root, classes=classes)
train_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        _delete_=True,
        **dataset,
        data_prefix='train',
        ann_file='meta/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    dataset=dict(
        _delete_=True,
        **dataset,
        data_prefix='val',
        ann_file='meta/val.txt',
        pipeline=test_pipeline))
# The real config's test set is its own validation set.
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        end=1,
        convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=1)
]
train_cfg = dict(max_epochs=6, val_interval=6)
default_hooks = dict(logger=dict(interval=10))
custom_hooks = []
# Seeded, so that a toy run repeats its numbers.
randomness = dict(seed=0)
