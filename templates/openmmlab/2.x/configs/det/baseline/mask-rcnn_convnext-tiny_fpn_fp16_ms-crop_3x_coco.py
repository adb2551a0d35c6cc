{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmpretrain's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../mask-rcnn_{{ cookiecutter.__config_prefix }}-tiny_fpn_fp16_ms-crop_3x_coco.py'{% endcall %}

backbone_arch = 'tiny'
backbone_channels = [96, 192, 384, 768]
{{ baseline.downstream_init('convnext-tiny_8xb128_in1k', 'epoch_300.pth', false) }}
model = dict(
    {{ baseline.downstream_backbone('mmpretrain') }}
    neck=dict(in_channels=backbone_channels))
# Layer-wise decay by mmdet's own rule for ConvNeXt, as in its ConvNeXt
# configs, which OpenMMLab's published ConvNeXt numbers come from.
optim_wrapper = dict(
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(num_layers=6))
