model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmpretrain.{{ cookiecutter.backbone_name }}',
        arch='tiny',
        out_indices=(-1, ),
{%- if cookiecutter.__backbone_source == 'convnext' %}
        drop_path_rate=0.1,
{%- endif %}
        gap_before_final_norm=True),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=None,  # filled in by the configs from the backbone arch
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=None,
    ),
    init_cfg=dict(
        type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]),
)
