{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmcls's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../upernet_{{ cookiecutter.__config_prefix }}-tiny_fp16_8xb2-160k_ade20k-512x512.py'{% endcall %}

backbone_arch = 'tiny'
backbone_channels = [96, 192, 384, 768]
{{ baseline.downstream_init('convnext-tiny_8xb128_in1k', 'latest.pth', false) }}
model = dict(
    {{ baseline.downstream_backbone('mmcls') }}
    decode_head=dict(in_channels=backbone_channels),
    auxiliary_head=dict(in_channels=backbone_channels[2]))
# Stage-wise decay by mmseg's rule for ConvNeXt, as in its ConvNeXt configs
# (this project's constructor asks the backbone for its depths, which
# mmcls's ConvNeXt does not give).
optimizer = dict(
    constructor='LearningRateDecayOptimizerConstructor',
    paramwise_cfg=dict(num_layers=6))
