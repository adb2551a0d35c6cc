model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmcls.{{ cookiecutter.backbone_name }}',
        arch='tiny',
        out_indices=(-1, ),
{%- if cookiecutter.__backbone_source == 'convnext' %}
        drop_path_rate=0.1,
{%- endif %}
        gap_before_final_norm=True,
        init_cfg=[
            dict(
                type='TruncNormal',
                layer=['Conv2d', 'Linear'],
                std=.02,
                bias=0.),
            dict(type='Constant', layer=['LayerNorm'], val=1., bias=0.),
        ]),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=None,  # filled in by the configs from the backbone arch
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5),
    ),
    train_cfg=dict(augments=[
        dict(type='BatchMixup', alpha=0.8, num_classes=1000, prob=0.5),
        dict(type='BatchCutMix', alpha=1.0, num_classes=1000, prob=0.5)
    ]))
