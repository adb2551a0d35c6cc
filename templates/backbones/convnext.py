{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
"""{{ cookiecutter.backbone_name }}: a ConvNeXt backbone for {{ openmmlab.name }}.

`A ConvNet for the 2020s <https://arxiv.org/abs/2201.03545>`_ and `ConvNeXt
V2 <https://arxiv.org/abs/2301.00808>`_, written for speed: every block runs
its norm and MLP in NHWC, so a channels_last feature map flows through the
whole network without layout copies. The parameter names are those of
{{ openmmlab.toolbox.cls }}'s ``ConvNeXt``, so OpenMMLab checkpoints load as is.
"""
import math
from itertools import chain
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
{% call openmmlab.backbone_imports() -%}
from mmcv.cnn.bricks import DropPath, build_activation_layer, build_norm_layer
{%- endcall %}

# Norm types that normalize over the channels of each pixel. They are built
# here rather than through mmcv so that the blocks can apply them in NHWC.
LAYER_NORM_TYPES = ('LN', 'LN2d')
NORM_LAYER_TYPES = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm)


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an (N, C, H, W) tensor.

    The tensor is normalized through an NHWC view instead of a copy. The
    result is an (N, C, H, W) tensor in channels_last memory, which is the
    layout the following convolution runs fastest with.

    Args:
        num_channels (int): The number of channels of the input tensor.
        **kwargs: Other arguments of :class:`torch.nn.LayerNorm`, e.g.
            ``eps`` (defaults to 1e-5) and ``elementwise_affine``.
    """

    def __init__(self, num_channels, **kwargs):
        super().__init__(num_channels, **kwargs)
        self.num_channels = num_channels

    def forward(self, x):
        """Normalize ``x`` of shape (N, C, H, W) over C."""
        x = F.layer_norm(
            x.permute(0, 2, 3, 1), self.normalized_shape, self.weight,
            self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def is_layer_norm(norm_cfg):
    """Whether ``norm_cfg`` asks for a LayerNorm over channels."""
    return norm_cfg['type'] in LAYER_NORM_TYPES


def build_layer_norm(norm_cfg, num_channels, channels_last=False):
    """Build a LayerNorm over channels from a 'LN' or 'LN2d' config.

    Args:
        norm_cfg (dict): The norm config, with ``type`` in
            ``LAYER_NORM_TYPES`` and optionally ``eps``,
            ``elementwise_affine`` and ``requires_grad``.
        num_channels (int): The number of channels to normalize.
        channels_last (bool): Build a layer for (..., C) inputs instead of
            (N, C, H, W) inputs. Defaults to False.

    Returns:
        nn.LayerNorm: The norm layer.
    """
    kwargs = dict(norm_cfg)
    kwargs.pop('type')
    requires_grad = kwargs.pop('requires_grad', True)
    layer_type = nn.LayerNorm if channels_last else LayerNorm2d
    layer = layer_type(num_channels, **kwargs)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return layer


def build_channels_first_norm(norm_cfg, num_channels):
    """Build a norm layer for (N, C, H, W) inputs from any mmcv norm config.

    Args:
        norm_cfg (dict): The norm config.
        num_channels (int): The number of channels to normalize.

    Returns:
        nn.Module: The norm layer.
    """
    if is_layer_norm(norm_cfg):
        return build_layer_norm(norm_cfg, num_channels)
    return build_norm_layer(norm_cfg, num_channels)[1]


class GRN(nn.Module):
    """Global Response Normalization of ConvNeXt V2, on (N, H, W, C) inputs.

    Each channel is scaled by its L2 norm over the feature map divided by
    the mean of these norms over the channels: ``x + gamma * x * nx +
    beta``. ``gamma`` and ``beta`` start at zero, so the layer starts as the
    identity. The parameter names are those of mmpretrain's ``GRN``.

    Args:
        in_channels (int): The number of channels.
        eps (float): A value added to the denominator for numerical
            stability. Defaults to 1e-6.
    """

    def __init__(self, in_channels, eps=1e-6):
        super().__init__()
        self.in_channels = in_channels
        self.eps = eps
        self.gamma = nn.Parameter(torch.zeros(in_channels))
        self.beta = nn.Parameter(torch.zeros(in_channels))

    def forward(self, x):
        """Normalize ``x`` of shape (N, H, W, C); the output has its shape."""
        gx = torch.linalg.vector_norm(x, dim=(1, 2), keepdim=True)
        nx = gx / (gx.mean(dim=-1, keepdim=True) + self.eps)
        # x * (1 + gamma * nx) + beta: one pass over the large tensor x.
        return torch.addcmul(self.beta, x, nx * self.gamma + 1)


class ConvNeXtBlock(BaseModule):
    """ConvNeXt block.

    DwConv 7x7 -> LayerNorm -> pointwise conv -> activation -> (GRN) ->
    pointwise conv -> layer scale -> drop path -> residual add. The part after
    the depthwise convolution runs on an NHWC view of the feature map, so no
    layout copy is made when the input is channels_last.

    Args:
        in_channels (int): The number of input channels.
        norm_cfg (dict): The config of the norm layer. LayerNorm types
            ('LN', 'LN2d') are applied in NHWC; any other type is applied in
            NCHW. Defaults to ``dict(type='LN2d', eps=1e-6)``.
        act_cfg (dict): The config of the activation between the pointwise
            convolutions. It must act element-wise. Defaults to
            ``dict(type='GELU')``.
        mlp_ratio (float): The expansion ratio of the pointwise convolutions.
            Defaults to 4.
        linear_pw_conv (bool): Implement the pointwise convolutions with
            ``nn.Linear`` (True) or with 1x1 ``nn.Conv2d`` (False). Both give
            the same results; the choice only changes the parameter shapes.
            Defaults to True.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.
        layer_scale_init_value (float): Initial value of the layer scale
            ``gamma``. 0 or less disables the layer scale. Defaults to 1e-6.
        use_grn (bool): Add ConvNeXt V2's Global Response Normalization
            (:class:`GRN`) after the activation. Defaults to False.
        with_cp (bool): Use gradient checkpointing to save memory at the cost
            of speed. Defaults to False.
    """

    def __init__(self,
                 in_channels,
                 norm_cfg=dict(type='LN2d', eps=1e-6),
                 act_cfg=dict(type='GELU'),
                 mlp_ratio=4.,
                 linear_pw_conv=True,
                 drop_path_rate=0.,
                 layer_scale_init_value=1e-6,
                 use_grn=False,
                 with_cp=False):
        super().__init__()
        self.with_cp = with_cp
        self.linear_pw_conv = linear_pw_conv
        self.norm_in_nhwc = is_layer_norm(norm_cfg)

        self.depthwise_conv = nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size=7,
            padding=3,
            groups=in_channels)
        if self.norm_in_nhwc:
            self.norm = build_layer_norm(
                norm_cfg, in_channels, channels_last=True)
        else:
            self.norm = build_norm_layer(norm_cfg, in_channels)[1]

        mid_channels = int(mlp_ratio * in_channels)
        if linear_pw_conv:
            self.pointwise_conv1 = nn.Linear(in_channels, mid_channels)
            self.pointwise_conv2 = nn.Linear(mid_channels, in_channels)
        else:
            self.pointwise_conv1 = nn.Conv2d(
                in_channels, mid_channels, kernel_size=1)
            self.pointwise_conv2 = nn.Conv2d(
                mid_channels, in_channels, kernel_size=1)
        self.act = build_activation_layer(act_cfg)
        # After pointwise_conv2, where mmpretrain registers it, so that the
        # state_dict keys come in its order.
        self.grn = GRN(mid_channels) if use_grn else None

        if layer_scale_init_value > 0:
            self.gamma = nn.Parameter(
                torch.full((in_channels, ), float(layer_scale_init_value)))
        else:
            self.gamma = None
        # Kept where {{ openmmlab.toolbox.cls }} keeps it; ``_add_residual`` applies the rate.
        self.drop_path = DropPath(
            drop_path_rate) if drop_path_rate > 0. else None

    def forward(self, x):
        """Forward an (N, C, H, W) tensor; the output has the same shape."""
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)

    def _forward(self, x):
        shortcut = x
        x = self.depthwise_conv(x)
        if not self.norm_in_nhwc:
            x = self.norm(x)
        x = x.permute(0, 2, 3, 1)
        if self.norm_in_nhwc:
            x = self.norm(x)

        if self.linear_pw_conv:
            x = self.act(self.pointwise_conv1(x))
            if self.grn is not None:
                x = self.grn(x)
            x = self.pointwise_conv2(x).permute(0, 3, 1, 2)
        else:
            # A 1x1 convolution wants NCHW; these permuted views keep the
            # NHWC memory (channels_last), so this still makes no copy.
            x = self.act(self.pointwise_conv1(x.permute(0, 3, 1, 2)))
            if self.grn is not None:
                x = self.grn(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
            x = self.pointwise_conv2(x)
        return self._add_residual(shortcut, x)

    def _add_residual(self, shortcut, x):
        """Return ``shortcut + drop_path(gamma * x)`` in one pass.

        The layer scale and the drop path both scale ``x`` (per channel, per
        sample), so they fold into one small factor of shape (N or 1, C, 1,
        1) and a single ``addcmul``, which reads and writes the feature map
        two times fewer than applying them one by one. The drop path draws
        its random numbers as mmcv's ``DropPath`` does, so a seed drops the
        same samples.
        """
        scale = None if self.gamma is None else self.gamma.view(-1, 1, 1)
        drop_prob = self.drop_path.drop_prob if self.drop_path else 0.
        if self.training and drop_prob > 0:
            keep_prob = 1 - drop_prob
            dtype = x.dtype if scale is None else torch.promote_types(
                x.dtype, scale.dtype)
            keep = torch.rand((x.shape[0], 1, 1, 1),
                              dtype=dtype,
                              device=x.device).add_(keep_prob).floor_()
            keep = keep.div_(keep_prob)
            scale = keep if scale is None else scale * keep
        if scale is None:
            return shortcut + x
        return torch.addcmul(shortcut, x, scale)


{% if cookiecutter.backbone_name == 'ConvNeXt' -%}
# force=True: this ConvNeXt replaces the one that {{ openmmlab.toolbox.cls }} registers.
@{{ openmmlab.backbone_registry }}.register_module(force=True)
{%- else -%}
@{{ openmmlab.backbone_registry }}.register_module()
{%- endif %}
class {{ cookiecutter.backbone_name }}(BaseBackbone):
    """{{ cookiecutter.backbone_name }} backbone (ConvNeXt and ConvNeXt V2).

    A PyTorch implementation of `A ConvNet for the 2020s
    <https://arxiv.org/abs/2201.03545>`_ and, with ``use_grn=True`` and
    ``layer_scale_init_value=0.``, of `ConvNeXt V2
    <https://arxiv.org/abs/2301.00808>`_. The constructor and the parameter
    names are those of {{ openmmlab.toolbox.cls }}'s ``ConvNeXt``, so its configs and
    checkpoints work unchanged.

    Args:
        arch (str | dict): The architecture. A key of ``arch_settings``
            ('atto', 'femto', 'pico', 'nano', 'tiny', 'small', 'base',
            'large', 'xlarge', 'huge') or a dict with:

            - depths (Sequence[int]): The number of blocks of each stage.
            - channels (Sequence[int]): The number of channels of each stage.

            Both must have one entry per stage; any number of stages works.
            Defaults to 'tiny'.
        in_channels (int): The number of input image channels. Defaults to 3.
        stem_patch_size (int): The kernel size and stride of the stem
            convolution. Defaults to 4.
{%- if openmmlab.convnext.downsample_norm_from_norm_cfg %}
        norm_cfg (dict): The config of the norm layers of the stem, the
            downsample layers, the blocks and the outputs.
            Defaults to ``dict(type='LN2d', eps=1e-6)``.
{%- else %}
        norm_cfg (dict): The config of the norm layers of the stem, the
            blocks and the outputs.
            Defaults to ``dict(type='LN2d', eps=1e-6)``.
        downsample_norm_eps (float): The eps of the LayerNorms of the
            downsample layers. Defaults to 1e-5, mmcls's (LayerNorm's
            default), which its checkpoints were trained with; timm's and
            the original ConvNeXt's are 1e-6.
{%- endif %}
        act_cfg (dict): The config of the activation in the blocks. Defaults
            to ``dict(type='GELU')``.
        linear_pw_conv (bool): Implement the pointwise convolutions with
            ``nn.Linear`` rather than 1x1 convolutions. Defaults to True.
        use_grn (bool): Add ConvNeXt V2's Global Response Normalization to
            the blocks (ConvNeXt V2 also sets ``layer_scale_init_value=0.``).
            Defaults to False.
        drop_path_rate (float): The stochastic depth rate of the last block;
            it grows linearly from 0 over the blocks. Defaults to 0.
        layer_scale_init_value (float): Initial value of the layer scale. 0
            disables it. Defaults to 1e-6.
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
{%- if openmmlab.convnext.trunc_normal_init %}
            Defaults to ConvNeXt's: truncated normal weights (std 0.02) and
            zero biases for the convolutions and linear layers, ones and
            zeros for the LayerNorms.
{%- else %}
            Defaults to None.
{%- endif %}

    Example:
        >>> import torch
        >>> model = {{ cookiecutter.backbone_name }}(
        ...     arch='tiny', out_indices=(0, 1, 2, 3),
        ...     gap_before_final_norm=False)
        >>> outs = model(torch.rand(1, 3, 224, 224))
        >>> [tuple(out.shape) for out in outs]
        [(1, 96, 56, 56), (1, 192, 28, 28), (1, 384, 14, 14), (1, 768, 7, 7)]
    """
    arch_settings = {
        # atto to nano and huge are ConvNeXt V2's sizes. atto, the smallest,
        # is what the toy configs train on a CPU.
        'atto': dict(depths=[2, 2, 6, 2], channels=[40, 80, 160, 320]),
        'femto': dict(depths=[2, 2, 6, 2], channels=[48, 96, 192, 384]),
        'pico': dict(depths=[2, 2, 6, 2], channels=[64, 128, 256, 512]),
        'nano': dict(depths=[2, 2, 8, 2], channels=[80, 160, 320, 640]),
        'tiny': dict(depths=[3, 3, 9, 3], channels=[96, 192, 384, 768]),
        'small': dict(depths=[3, 3, 27, 3], channels=[96, 192, 384, 768]),
        'base': dict(depths=[3, 3, 27, 3], channels=[128, 256, 512, 1024]),
        'large': dict(depths=[3, 3, 27, 3], channels=[192, 384, 768, 1536]),
        'xlarge': dict(depths=[3, 3, 27, 3], channels=[256, 512, 1024, 2048]),
        'huge': dict(depths=[3, 3, 27, 3], channels=[352, 704, 1408, 2816]),
    }

    def __init__(self,
                 arch='tiny',
                 in_channels=3,
                 stem_patch_size=4,
                 norm_cfg=dict(type='LN2d', eps=1e-6),
{%- if not openmmlab.convnext.downsample_norm_from_norm_cfg %}
                 downsample_norm_eps=1e-5,
{%- endif %}
                 act_cfg=dict(type='GELU'),
                 linear_pw_conv=True,
                 use_grn=False,
                 drop_path_rate=0.,
                 layer_scale_init_value=1e-6,
                 out_indices=-1,
                 frozen_stages=0,
                 gap_before_final_norm=True,
                 norm_eval=False,
                 with_cp=False,
{%- if openmmlab.convnext.trunc_normal_init %}
                 init_cfg=[
                     dict(
                         type='TruncNormal',
                         layer=['Conv2d', 'Linear'],
                         std=.02,
                         bias=0.),
                     dict(
                         type='Constant', layer=['LayerNorm'], val=1.,
                         bias=0.),
                 ]):
{%- else %}
                 init_cfg=None):
{%- endif %}
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

        # On the CPU explicitly, so that the model can also be built on the
        # 'meta' device (e.g. to load a checkpoint without a random init).
        block_drop_path_rates = torch.linspace(
            0, drop_path_rate, sum(self.depths), device='cpu').tolist()
        stem = Sequential(
            nn.Conv2d(
                in_channels,
                self.channels[0],
                kernel_size=stem_patch_size,
                stride=stem_patch_size),
            build_channels_first_norm(norm_cfg, self.channels[0]),
        )
        self.downsample_layers = ModuleList([stem])
        self.stages = ModuleList()
        first_block = 0
        for i, (depth, channels) in enumerate(zip(self.depths, self.channels)):
            if i > 0:
{%- if openmmlab.convnext.downsample_norm_from_norm_cfg %}
                self.downsample_layers.append(
                    Sequential(
                        build_channels_first_norm(norm_cfg,
                                                  self.channels[i - 1]),
{%- else %}
                # mmcls builds this norm with LayerNorm's default eps (1e-5)
                # whatever norm_cfg says, the default kept here.
                self.downsample_layers.append(
                    Sequential(
                        LayerNorm2d(
                            self.channels[i - 1], eps=downsample_norm_eps),
{%- endif %}
                        nn.Conv2d(
                            self.channels[i - 1],
                            channels,
                            kernel_size=2,
                            stride=2),
                    ))
            self.stages.append(
                Sequential(*[
                    ConvNeXtBlock(
                        in_channels=channels,
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                        linear_pw_conv=linear_pw_conv,
                        drop_path_rate=block_drop_path_rates[first_block + j],
                        layer_scale_init_value=layer_scale_init_value,
                        use_grn=use_grn,
                        with_cp=with_cp) for j in range(depth)
                ]))
            first_block += depth
            if i in self.out_indices:
                self.add_module(f'norm{i}',
                                build_channels_first_norm(norm_cfg, channels))

        self._freeze_stages()

{% include 'backbones/parse_arch_and_out_indices.py' %}
    def forward(self, x):
        """Forward an image batch.

        Args:
            x (torch.Tensor): Images of shape (N, C, H, W), in contiguous or
                channels_last memory.

        Returns:
            tuple[torch.Tensor]: One tensor per ``out_indices`` entry, in stage
            order: (N, C) if ``gap_before_final_norm`` else (N, C, H, W) in
            the memory format of the input.
        """
        memory_format = torch.contiguous_format
        if (not x.is_contiguous()
                and x.is_contiguous(memory_format=torch.channels_last)):
            memory_format = torch.channels_last

        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(self.downsample_layers[i](x))
            if i in self.out_indices:
                norm = getattr(self, f'norm{i}')
                if self.gap_before_final_norm:
                    out = norm(x.mean((2, 3), keepdim=True)).flatten(1)
                else:
                    out = norm(x).contiguous(memory_format=memory_format)
                outs.append(out)
        return tuple(outs)

{% include 'backbones/freeze_stages_and_train.py' %}
    def get_layer_depth(self, param_name, prefix=''):
        """Get the layer depth of a parameter, for layer-wise lr decay.

        The rule of mmpretrain's ConvNeXt, for any number of stages: the
        stem is layer 0, every stage is one layer except the second-to-last
        (the deepest in the presets), which counts one layer per 3 blocks; a
        downsample layer shares the layer of the stage it starts. The output
        norms and everything outside the backbone (a head) come last. For the
        presets from nano up this gives mmpretrain's numbers; for atto, femto
        and pico, whose third stage has 6 blocks, mmpretrain leaves layer 5
        unused and this rule does not.

        Args:
            param_name (str): The name of the parameter.
            prefix (str): The prefix of the backbone's parameters in the
                model, e.g. 'backbone.'. Defaults to ''.

        Returns:
            tuple[int, int]: The layer id of the parameter and the number of
            layers.
        """
        split_stage = max(self.num_stages - 2, 0)
        stage_first_layer = []
        next_layer = 1
        for i, depth in enumerate(self.depths):
            stage_first_layer.append(next_layer)
            next_layer += math.ceil(depth / 3) if i == split_stage else 1
        max_layer_id = next_layer - 1
        num_layers = max_layer_id + 2

        if not param_name.startswith(prefix):
            return max_layer_id + 1, num_layers
        names = param_name[len(prefix):].split('.')
        if names[0] == 'downsample_layers':
            stage_id = int(names[1])
            layer_id = 0 if stage_id == 0 else stage_first_layer[stage_id]
        elif names[0] == 'stages':
            stage_id, block_id = int(names[1]), int(names[2])
            layer_id = stage_first_layer[stage_id]
            if stage_id == split_stage:
                layer_id += block_id // 3
        else:
            layer_id = max_layer_id + 1
        return layer_id, num_layers

{% include 'backbones/get_stage_depth.py' %}