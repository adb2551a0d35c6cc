{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmpretrain's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../{{ cookiecutter.__config_prefix }}-{{ cookiecutter.__toy_arch }}_toy-digits.py'{% endcall %}

# ConvNeXt-atto, the toy width.
backbone_arch = 'atto'
backbone_channels = [40, 80, 160, 320]
{{ baseline.cls_model('mmpretrain') }}
