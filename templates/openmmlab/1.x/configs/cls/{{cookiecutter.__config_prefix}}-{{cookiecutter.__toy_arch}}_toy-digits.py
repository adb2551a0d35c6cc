{%- from 'configs/long_names.jinja' import noqa_if_long -%}
# The real 1xb32 config, shrunk to what scikit-learn's digits (32 px, 10
# classes, ~1.4k images; `python tools/make_toy_data.py`) and a CPU need.
# Only data, image scale,{% if cookiecutter.__toy_arch != 'tiny' %} model width,{% endif %} batch and schedule change: the design,
# optimizer and runtime are those of the real config.
import models.{{ cookiecutter.__backbone_module }} as backbone_module

{% call noqa_if_long() %}_base_ = './{{ cookiecutter.__config_prefix }}-tiny_1xb32_in1k.py'{% endcall %}

{%- if cookiecutter.__toy_arch == 'atto' %}
# ConvNeXt-atto (timm's smallest ConvNeXt): the design at a width that a CPU
# trains in seconds.
{%- endif %}
backbone_arch = '{{ cookiecutter.__toy_arch }}'
arch_settings = backbone_module.{{ cookiecutter.backbone_name }}.arch_settings
backbone_channels = arch_settings[backbone_arch]['channels']
classes = [f'digit_{i}' for i in range(10)]
model = dict(
    backbone=dict(arch=backbone_arch),
    head=dict(
        in_channels=backbone_channels[-1],
        num_classes=len(classes),
        topk=(1, )),
    # Mixup and CutMix need many epochs to pay off; a smoke run has few.
    train_cfg=dict(_delete_=True))

data_root = 'data/toy/imagenet/'
img_norm_cfg = dict(
    mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', size=32, scale=(0.6, 1.0)),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='ImageToTensor', keys=['img']),
    dict(type='ToTensor', keys=['gt_label']),
    dict(type='Collect', keys=['img', 'gt_label'])
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', size=(32, 32)),
    dict(type='Normalize', **img_norm_cfg),
    dict(type='ImageToTensor', keys=['img']),
    dict(type='Collect', keys=['img'])
]
dataset = dict(type='CustomDataset', classes=classes)
data = dict(
    samples_per_gpu=64,
    workers_per_gpu=1,
    train=dict(
        **dataset,
        data_prefix=data_root + 'train',
        ann_file=data_root + 'meta/train.txt',
        pipeline=train_pipeline),
    val=dict(
        **dataset,
        data_prefix=data_root + 'val',
        ann_file=data_root + 'meta/val.txt',
        pipeline=test_pipeline),
    test=dict(
        **dataset,
        data_prefix=data_root + 'val',
        ann_file=data_root + 'meta/val.txt',
        pipeline=test_pipeline))

optimizer = dict(lr=2e-3)
lr_config = dict(warmup_iters=1)
runner = dict(max_epochs=6)
evaluation = dict(interval=6, metric='accuracy')
log_config = dict(interval=10)
custom_hooks = []
