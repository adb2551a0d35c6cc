{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
import json

{{ openmmlab.layer_decay_imports }}


# Registered in {{ openmmlab.layer_decay_root }}'s root registry, which the optimizer builders of both
# mmdet and mmseg fall back to.
@{{ openmmlab.layer_decay_registry }}.register_module()
class BackboneLayerDecayOptimizerConstructor({{ openmmlab.layer_decay_base }}):
    """Layer-wise learning-rate decay that asks the backbone for depths.

    The learning rate of a parameter at depth ``d`` of ``D`` layers is
    ``base_lr * decay_rate ** (D - d - 1)``: the deepest layers and the
    task heads train at the full rate, the stem at the smallest. The depth
    comes from the backbone's own ``get_layer_depth(name, prefix)``
    (``decay_type='layer_wise'``) or ``get_stage_depth(name, prefix)``
    (``'stage_wise'``), so the rule follows the backbone's parameter names
    rather than hard-coding them here. Parameters outside the backbone
    (neck, heads) count as the deepest layer.

    Weight decay is switched off for 1-D parameters (norms, biases,
    layer scales), as in the ConvNeXt recipes.

    Args:
        {{ openmmlab.layer_decay_cfg_doc|indent(8) }}
        paramwise_cfg (dict): ``decay_rate`` (float, required) and
            ``decay_type`` (``'layer_wise'``, the default, or
            ``'stage_wise'``).
    """

    #: The backbone method that gives the depths of each ``decay_type``.
    DEPTH_METHODS = dict(
        layer_wise='get_layer_depth', stage_wise='get_stage_depth')

    def add_params(self, params, module, **kwargs):
        """Add the parameters of ``module`` to ``params`` in decay groups.

        Args:
            params (list[dict]): The param groups, extended in place.
            module (nn.Module): The model; it must have a ``backbone`` with
                the depth method of the ``decay_type``.
        """
        decay_rate = self.paramwise_cfg['decay_rate']
        backbone = module.backbone
        decay_type = self.paramwise_cfg.get('decay_type', 'layer_wise')
        if decay_type not in self.DEPTH_METHODS:
            raise ValueError(f'decay_type {decay_type!r} is not one of '
                             f'{sorted(self.DEPTH_METHODS)}')
        method = self.DEPTH_METHODS[decay_type]
        get_depth = getattr(backbone, method, None)
        if not callable(get_depth):
            raise TypeError(f'decay_type {decay_type!r} needs '
                            f'{type(backbone).__name__}.{method}()')
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            if name.startswith('backbone.'):
                layer_id, num_layers = get_depth(name, prefix='backbone.')
            else:
                layer_id, num_layers = None, None
            no_decay = param.ndim == 1 or name.endswith('.bias')
            group_key = (layer_id, num_layers, no_decay)
            groups.setdefault(group_key, []).append((name, param))

        max_layers = max((n for _, n, _ in groups if n is not None), default=1)
        summary = {}
        for (layer_id, num_layers, no_decay), named in groups.items():
            if layer_id is None:
                layer_id, num_layers = max_layers - 1, max_layers
            scale = decay_rate**(num_layers - layer_id - 1)
            decay = 'no_decay' if no_decay else 'decay'
            group_name = f'layer_{layer_id}_{decay}'
            params.append(
                dict(
                    params=[param for _, param in named],
                    lr=self.base_lr * scale,
                    weight_decay=0. if no_decay else (self.base_wd or 0.),
                    lr_scale=scale,
                    group_name=group_name))
            summary.setdefault(group_name, dict(lr_scale=scale, params=[]))
            summary[group_name]['params'] += [name for name, _ in named]
        rank, _ = get_dist_info()
        if rank == 0:
            {{ openmmlab.layer_decay_log|indent(12) }}
