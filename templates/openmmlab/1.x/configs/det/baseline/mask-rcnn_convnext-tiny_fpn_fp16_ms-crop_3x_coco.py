{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmcls's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../mask-rcnn_{{ cookiecutter.__config_prefix }}-tiny_fpn_fp16_ms-crop_3x_coco.py'{% endcall %}

backbone_arch = 'tiny'
backbone_channels = [96, 192, 384, 768]
{{ baseline.downstream_init('convnext-tiny_8xb128_in1k', 'latest.pth', false) }}
model = dict(
    {{ baseline.downstream_backbone('mmcls') }}
    neck=dict(in_channels=backbone_channels))
# Layer-wise decay by mmdet's rule for ConvNeXt, as in its ConvNeXt configs
# (this project's constructor asks the backbone for its depths, which
# mmcls's ConvNeXt does not give).
optimizer = dict(
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(num_layers=6))
