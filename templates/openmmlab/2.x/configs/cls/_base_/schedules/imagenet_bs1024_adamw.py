# The learning rate follows the linear scaling rule: 1e-3 for a total batch
# of 1024; the configs rescale it for their own batch size.
optim_wrapper = dict(
    optimizer=dict(
        type='AdamW', lr=1e-3, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    # No weight decay on 1-D parameters (norms, biases, layer scales), as
    # in the ConvNeXt recipe.
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0),
)

param_scheduler = [
    # linear warm-up over 20 epochs, updated every iteration
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        end=20,
        convert_to_iter_based=True),
    # cosine annealing over the remaining epochs
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=20)
]

train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# `--auto-scale-lr` rescales the learning rate from this total batch size.
auto_scale_lr = dict(base_batch_size=1024)
