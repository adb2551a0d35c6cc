{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmpretrain's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../mask-rcnn_{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_fpn_toy-shapes.py'{% endcall %}

# ConvNeXt-atto, the toy width.
backbone_arch = 'atto'
backbone_channels = [40, 80, 160, 320]
{{ baseline.downstream_init('convnext-atto_toy-digits', 'epoch_6.pth', true) }}
model = dict(
    {{ baseline.downstream_backbone('mmpretrain') }}
    neck=dict(in_channels=backbone_channels))
# Layer-wise decay by mmdet's own rule for ConvNeXt, as in its ConvNeXt
# configs, which OpenMMLab's published ConvNeXt numbers come from.
optim_wrapper = dict(
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(num_layers=6))
