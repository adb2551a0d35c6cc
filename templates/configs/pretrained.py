{%- from 'configs/long_names.jinja' import noqa_if_long -%}
{#- The checkpoint a downstream (det/seg) config's backbone starts from,
    included by those configs; the includer sets ``cls_config`` and, for a
    checkpoint file other than ``latest.pth``, ``cls_checkpoint``. #}
{%- if 'cls' in cookiecutter.__tasks.split(',') %}
# The classification checkpoint this project trains (see README): the
# backbone starts from it.
{% call noqa_if_long() %}pretrained = 'work_dirs/{{ cls_config }}/{{ cls_checkpoint | default('latest.pth') }}'{% endcall %}
{%- elif cookiecutter.__backbone_source == 'convnext' %}
# OpenMMLab's ImageNet-1k ConvNeXt-T checkpoint; its keys match this
# backbone's.
pretrained = 'https://download.openmmlab.com/mmclassification/v0/convnext/downstream/convnext-tiny_3rdparty_32xb128-noema_in1k_20220301-795e9634.pth'  # noqa: E501
{%- else %}
# Set a classification checkpoint of this backbone to start from it.
pretrained = None
{%- endif -%}
