{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmpretrain's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../upernet_{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_toy-shapes.py'{% endcall %}

# ConvNeXt-atto, the toy width.
backbone_arch = 'atto'
backbone_channels = [40, 80, 160, 320]
{{ baseline.downstream_init('convnext-atto_toy-digits', 'epoch_6.pth', true) }}
model = dict(
    {{ baseline.downstream_backbone('mmpretrain') }}
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
# Stage-wise decay by mmseg's rule for ConvNeXt, as in its ConvNeXt configs
# (this project's constructor asks the backbone for its depths, which
# mmpretrain's ConvNeXt does not give).
optim_wrapper = dict(
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(num_layers=6))
