{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
norm_cfg = dict(type='SyncBN', requires_grad=True)
{%- if openmmlab.seg_data_preprocessor %}
data_preprocessor = {{ openmmlab.seg_data_preprocessor }}
{%- endif %}
model = dict(
    type='EncoderDecoder',
{%- if openmmlab.seg_data_preprocessor %}
    data_preprocessor=data_preprocessor,
{%- endif %}
    pretrained=None,
    # The backbone and the heads' in_channels are set by the configs from
    # the backbone's arch.
    backbone=dict(),
    decode_head=dict(
        type='UPerHead',
        in_channels=None,
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=None,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=150,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    # model training and testing settings
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
