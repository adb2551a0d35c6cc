{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmcls's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../upernet_{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_toy-shapes.py'{% endcall %}

# ConvNeXt-atto, the toy width. mmcls 0.25 has no 'atto' preset: the model
# takes its depths and channels.
backbone_arch = 'atto'
atto = dict(depths=[2, 2, 6, 2], channels=[40, 80, 160, 320])
backbone_channels = atto['channels']
{{ baseline.downstream_init('convnext-atto_toy-digits', 'latest.pth', true) }}
model = dict(
    {{ baseline.downstream_backbone('mmcls', 'atto') }}
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
# Stage-wise decay by mmseg's rule for ConvNeXt, as in its ConvNeXt configs
# (this project's constructor asks the backbone for its depths, which
# mmcls's ConvNeXt does not give).
optimizer = dict(
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(num_layers=6))
