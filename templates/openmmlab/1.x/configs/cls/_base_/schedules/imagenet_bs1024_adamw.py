# No weight decay on 1-D parameters, as in the ConvNeXt recipe (and
# mmcls 1.x's flat_decay_mult=0). mmcv 1.x has no such multiplier and
# decays depthwise convolutions' biases with their weights, so those and
# the layer scales (ConvNeXt's gamma) are named.
paramwise_cfg = dict(
    norm_decay_mult=0.0,
    bias_decay_mult=0.0,
    custom_keys={
        '.gamma': dict(decay_mult=0.0),
        '.depthwise_conv.bias': dict(decay_mult=0.0),
    })

# The learning rate follows the linear scaling rule: 1e-3 for a total batch
# of 1024; the configs rescale it for their own batch size.
optimizer = dict(
    type='AdamW',
    lr=1e-3,
    weight_decay=0.05,
    eps=1e-8,
    betas=(0.9, 0.999),
    paramwise_cfg=paramwise_cfg)
optimizer_config = dict(grad_clip=dict(max_norm=5.0))

lr_config = dict(
    policy='CosineAnnealing',
    by_epoch=False,
    min_lr_ratio=1e-2,
    warmup='linear',
    warmup_ratio=1e-3,
    warmup_iters=20,
    warmup_by_epoch=True)

runner = dict(type='EpochBasedRunner', max_epochs=300)
