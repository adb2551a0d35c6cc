{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{%- import 'configs/baseline.jinja' as baseline with context -%}
# The baseline: the config of _base_ with mmcls's own ConvNeXt, not this
# project's code. Only the backbone differs.
{% call noqa_if_long() %}_base_ = '../{{ cookiecutter.__config_prefix }}-tiny_8xb128_in1k.py'{% endcall %}

backbone_arch = 'tiny'
backbone_channels = [96, 192, 384, 768]
{{ baseline.cls_model('mmcls') }}
