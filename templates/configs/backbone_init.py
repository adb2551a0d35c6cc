{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
{#- The backbone's initialisation in a downstream (det/seg) config, included
    after ``model``; toy configs set ``toy_config``. Without a cls task the
    ConvNeXt code's real configs start from OpenMMLab's ConvNeXt-T
    checkpoint (see pretrained.py), which a toy run must not load. -#}
# Without a checkpoint the backbone keeps the initialisation its class
# defines.
if pretrained:
    model['backbone']['init_cfg'] = dict(
        type='Pretrained', checkpoint=pretrained, prefix='backbone.')
{%- if toy_config | default(false)
    and 'cls' not in cookiecutter.__tasks.split(',')
    and cookiecutter.__backbone_source == 'convnext' %}
else:
    # Not the real config's ConvNeXt-T checkpoint, which does not fit the
    # toy width: {{ openmmlab.convnext_toy_init }}
    model['backbone']['init_cfg'] = None
{%- endif %}
