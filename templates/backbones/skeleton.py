{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
"""{{ cookiecutter.backbone_name }}: a small 4-stage backbone to build on.

It already works end to end (classification, detection and segmentation
configs, checkpoints, layer-wise lr decay): a conv stem, then stages of plain
residual blocks, with output strides 4, 8, 16 and 32 like ResNet and
ConvNeXt. The places meant for your own design are marked "Your design".
"""
from itertools import chain
from typing import Sequence

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
{% call openmmlab.backbone_imports() -%}
from mmcv.cnn.bricks import (ConvModule, DropPath, build_activation_layer,
                             build_norm_layer)
{%- endcall %}

NORM_LAYER_TYPES = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


class ResidualBlock(BaseModule):
    """A basic residual block: two 3x3 convolutions and a shortcut.

    Your design: replace the body (``conv1``, ``conv2``) with your own block,
    keeping the contract: (N, C, H, W) in, the same shape out.

    Args:
        channels (int): The number of input and output channels.
        norm_cfg (dict): The config of the norm layers.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): The config of the activations.
            Defaults to ``dict(type='ReLU')``.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.
        with_cp (bool): Use gradient checkpointing to save memory at the cost
            of speed. Defaults to False.
        init_cfg (dict | list[dict], optional): The initialization config.
            Defaults to None.
    """

    def __init__(self,
                 channels,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 drop_path_rate=0.,
                 with_cp=False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.with_cp = with_cp
        self.conv1 = ConvModule(
            channels,
            channels,
            kernel_size=3,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.conv2 = ConvModule(
            channels,
            channels,
            kernel_size=3,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=None)
        self.drop_path = DropPath(
            drop_path_rate) if drop_path_rate > 0. else nn.Identity()
        self.act = build_activation_layer(act_cfg)

    def forward(self, x):
        """Forward an (N, C, H, W) tensor; the output has the same shape."""
        if self.with_cp and x.requires_grad:
            x = cp.checkpoint(self._forward, x, use_reentrant=False)
        else:
            x = self._forward(x)
        return self.act(x)

    def _forward(self, x):
        return x + self.drop_path(self.conv2(self.conv1(x)))


@{{ openmmlab.backbone_registry }}.register_module()
class {{ cookiecutter.backbone_name }}(BaseBackbone):
    """{{ cookiecutter.backbone_name }} backbone.

    A conv stem (two stride-2 3x3 convolutions), then one stage per entry of
    ``depths``; every stage but the first starts with a stride-2 3x3
    convolution that changes the channels. The stem and these convolutions
    are ``downsample_layers``, the blocks are ``stages``: the same names as
    ConvNeXt, so ``frozen_stages`` and layer-wise lr decay work the same way.

    Args:
        arch (str | dict): The architecture. A key of ``arch_settings``
            ('tiny', 'small') or a dict with:

            - depths (Sequence[int]): The number of blocks of each stage.
            - channels (Sequence[int]): The number of channels of each stage.

            Both must have one entry per stage. Defaults to 'tiny'.
        in_channels (int): The number of input image channels. Defaults to 3.
        norm_cfg (dict): The config of the norm layers.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): The config of the activations.
            Defaults to ``dict(type='ReLU')``.
        drop_path_rate (float): The stochastic depth rate of the last block;
            it grows linearly from 0 over the blocks. Defaults to 0.
        out_indices (int | Sequence[int]): The stages to output, negative
            indices counting from the last stage. Defaults to -1.
        frozen_stages (int): Freeze the stem, the first ``frozen_stages``
            stages and their downsample layers: no gradients, norm layers in
            eval mode. -1 or 0 freezes nothing. Defaults to 0.
        gap_before_final_norm (bool): Average-pool each output before its
            norm layer and return (N, C) tensors, as classification needs.
            False returns (N, C, H, W) maps, as detection and segmentation
            need. Defaults to True.
        norm_eval (bool): Keep all norm layers in eval mode during training,
            which freezes the running statistics of BatchNorm. Defaults to
            False.
        with_cp (bool): Use gradient checkpointing in the blocks to save
            memory at the cost of speed. Defaults to False.
        init_cfg (dict | list[dict], optional): The initialization config.
            Defaults to Kaiming init for convolutions and ones for norms.

    Example:
        >>> import torch
        >>> model = {{ cookiecutter.backbone_name }}(
        ...     arch='tiny', out_indices=(0, 1, 2, 3),
        ...     gap_before_final_norm=False)
        >>> outs = model(torch.rand(1, 3, 64, 64))
        >>> [tuple(out.shape) for out in outs]
        [(1, 32, 16, 16), (1, 64, 8, 8), (1, 128, 4, 4), (1, 256, 2, 2)]
    """
    # Your design: sizes of your model family. Configs read the channels of
    # the necks and heads from here.
    arch_settings = {
        'tiny': dict(depths=[1, 1, 2, 1], channels=[32, 64, 128, 256]),
        'small': dict(depths=[2, 2, 4, 2], channels=[64, 128, 256, 512]),
    }

    def __init__(self,
                 arch='tiny',
                 in_channels=3,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU'),
                 drop_path_rate=0.,
                 out_indices=-1,
                 frozen_stages=0,
                 gap_before_final_norm=True,
                 norm_eval=False,
                 with_cp=False,
                 init_cfg=[
                     dict(type='Kaiming', layer='Conv2d'),
                     dict(
                         type='Constant',
                         val=1,
                         layer=['_BatchNorm', 'GroupNorm', 'LayerNorm'])
                 ]):
        super().__init__(init_cfg=init_cfg)
        arch = self.parse_arch(arch)
        self.depths = list(arch['depths'])
        self.channels = list(arch['channels'])
        self.num_stages = len(self.depths)
        self.out_indices = self.parse_out_indices(out_indices, self.num_stages)
        self.frozen_stages = self.check_frozen_stages(frozen_stages,
                                                      self.num_stages)
        self.gap_before_final_norm = gap_before_final_norm
        self.norm_eval = norm_eval

        # Your design: the stem. It must reduce the resolution by 4.
        stem = Sequential(
            ConvModule(
                in_channels,
                self.channels[0] // 2,
                kernel_size=3,
                stride=2,
                padding=1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg),
            ConvModule(
                self.channels[0] // 2,
                self.channels[0],
                kernel_size=3,
                stride=2,
                padding=1,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg),
        )
        self.downsample_layers = ModuleList([stem])
        self.stages = ModuleList()
        # On the CPU explicitly, so that the model can also be built on the
        # 'meta' device (e.g. to load a checkpoint without a random init).
        block_drop_path_rates = torch.linspace(
            0, drop_path_rate, sum(self.depths), device='cpu').tolist()
        first_block = 0
        for i, (depth, channels) in enumerate(zip(self.depths, self.channels)):
            if i > 0:
                # Your design: how a stage halves the resolution.
                self.downsample_layers.append(
                    ConvModule(
                        self.channels[i - 1],
                        channels,
                        kernel_size=3,
                        stride=2,
                        padding=1,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg))
            self.stages.append(
                Sequential(*[
                    ResidualBlock(
                        channels,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                        drop_path_rate=block_drop_path_rates[first_block + j],
                        with_cp=with_cp) for j in range(depth)
                ]))
            first_block += depth
            if i in self.out_indices:
                self.add_module(f'norm{i}',
                                build_norm_layer(norm_cfg, channels)[1])

        self._freeze_stages()

{% include 'backbones/parse_arch_and_out_indices.py' %}
    def forward(self, x):
        """Forward an image batch.

        Args:
            x (torch.Tensor): Images of shape (N, C, H, W).

        Returns:
            tuple[torch.Tensor]: One tensor per ``out_indices`` entry, in stage
            order: (N, C) if ``gap_before_final_norm`` else (N, C, H, W).
        """
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(self.downsample_layers[i](x))
            if i in self.out_indices:
                norm = getattr(self, f'norm{i}')
                if self.gap_before_final_norm:
                    outs.append(norm(x.mean((2, 3), keepdim=True)).flatten(1))
                else:
                    outs.append(norm(x))
        return tuple(outs)

{% include 'backbones/freeze_stages_and_train.py' %}
    def get_layer_depth(self, param_name, prefix=''):
        """Get the layer depth of a parameter, for layer-wise lr decay.

        The stem is layer 0, stage ``i`` (with its downsample layer) is layer
        ``i + 1``; the output norms and everything outside the backbone (a
        head) come last.

        Args:
            param_name (str): The name of the parameter.
            prefix (str): The prefix of the backbone's parameters in the
                model, e.g. 'backbone.'. Defaults to ''.

        Returns:
            tuple[int, int]: The layer id of the parameter and the number of
            layers.
        """
        num_layers = self.num_stages + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        names = param_name[len(prefix):].split('.')
        if names[0] == 'downsample_layers':
            stage_id = int(names[1])
            return (0 if stage_id == 0 else stage_id + 1), num_layers
        if names[0] == 'stages':
            return int(names[1]) + 1, num_layers
        return num_layers - 1, num_layers

{% include 'backbones/get_stage_depth.py' %}