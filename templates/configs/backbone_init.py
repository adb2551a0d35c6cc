{#- The backbone's initialisation in a downstream (det/seg) config, included
    after ``model``; a toy config whose base config starts from a
    checkpoint that the toy run must not load sets
    ``drops_base_checkpoint``. -#}
# Without a checkpoint the backbone keeps the initialisation its class
# defines.
if pretrained:
    model['backbone']['init_cfg'] = dict(
        type='Pretrained', checkpoint=pretrained, prefix='backbone.')
{%- if drops_base_checkpoint | default(false) %}
else:
    # Not the real config's ConvNeXt-T checkpoint, which does not fit the
    # toy width: ConvNeXt's own initialisation (none, as in mmcls).
    model['backbone']['init_cfg'] = None
{%- endif %}
