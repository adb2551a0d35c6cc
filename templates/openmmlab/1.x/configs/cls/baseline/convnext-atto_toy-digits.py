{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmcls's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_toy-digits.py'{% endcall %}

# ConvNeXt-atto, the toy width. mmcls 0.25 has no 'atto' preset: the model
# takes its depths and channels.
backbone_arch = 'atto'
atto = dict(depths=[2, 2, 6, 2], channels=[40, 80, 160, 320])
backbone_channels = atto['channels']
{{ baseline.cls_model('mmcls', 'atto') }}
