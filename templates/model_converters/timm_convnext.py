{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
{%- set name = cookiecutter.backbone_name -%}
{%- set eps_option = not openmmlab.convnext.downsample_norm_from_norm_cfg -%}
"""Convert timm's ConvNeXt and ConvNeXt-V2 weights into this project's.

timm names every layer of ConvNeXt differently from {{ openmmlab.toolbox.cls }} (``stem.0``,
``stages.N.blocks.M.conv_dw``, ``mlp.fc1``, ``head.norm``, ``head.fc``,
...). This reads a timm state_dict, as
``torch.save(model.state_dict())`` writes it (``.pth``, ``.bin``) or as the
Hugging Face Hub serves it (``.safetensors``), without timm, and writes a
checkpoint of the classification model, backbone and head, with the keys
and ``meta`` of the checkpoints that {{ openmmlab.toolbox.cls }} writes. Run from the project
root::

    PYTHONPATH=$(pwd) python \\
        {{ openmmlab.timm_converter }} \\
        model.safetensors checkpoints/convnext-tiny_timm.pth
    PYTHONPATH=$(pwd) python \\
        {{ openmmlab.timm_converter }} \\
        model.safetensors checkpoints/convnext-tiny_timm_backbone.pth \\
        --backbone-only

It prints the preset the tensors have (depths and channels), the backbone
options the weights need and whether the head's classes fit the configs.
``--backbone-only`` leaves the classifier out, for the det and seg configs.
A key it does not know, a missing key and a tensor of a shape that no
preset has are refused in one line, and nothing is written; DST is
replaced in one step, once the whole checkpoint is written.
"""
import argparse
import os
import pickle
import re
import tempfile
import zipfile
from collections import OrderedDict, defaultdict
from pathlib import Path

import torch
{{ openmmlab.imagenet_classes_import }}
from safetensors import SafetensorError
from safetensors.torch import load_file

from models import {{ name }}

#: The classes of the configs' head (ImageNet-1k), and of ImageNet-22k.
CONFIG_CLASSES = 1000
IN22K_CLASSES = 21841
#: The backbone options of each ConvNeXt version: V2 has GRN and no layer
#: scale.
VERSIONS = {
    'ConvNeXt': {},
    'ConvNeXt-V2': dict(use_grn=True, layer_scale_init_value=0.),
}
#: Each parameter of ours (after ``backbone.``) and its name in timm; a
#: placeholder stands for a number, ``{p}`` for weight or bias. The first
#: match counts: stage 0's downsample layer is timm's stem.
KEY_TEMPLATES = [
    ('downsample_layers.0.{i}.{p}', 'stem.{i}.{p}'),
    ('downsample_layers.{s}.{i}.{p}', 'stages.{s}.downsample.{i}.{p}'),
    ('stages.{s}.{b}.depthwise_conv.{p}', 'stages.{s}.blocks.{b}.conv_dw.{p}'),
    ('stages.{s}.{b}.norm.{p}', 'stages.{s}.blocks.{b}.norm.{p}'),
    ('stages.{s}.{b}.pointwise_conv{i}.{p}',
     'stages.{s}.blocks.{b}.mlp.fc{i}.{p}'),
    ('stages.{s}.{b}.grn.gamma', 'stages.{s}.blocks.{b}.mlp.grn.weight'),
    ('stages.{s}.{b}.grn.beta', 'stages.{s}.blocks.{b}.mlp.grn.bias'),
    ('stages.{s}.{b}.gamma', 'stages.{s}.blocks.{b}.gamma'),
    ('norm{s}.{p}', 'head.norm.{p}'),
]
HEAD_KEYS = ('head.fc.weight', 'head.fc.bias')


class Refused(Exception):
    """Weights that this converter does not convert; the message says why."""


def template_regex(template):
    """A regex of a key template: numbers and weight|bias, in groups."""
    pattern = re.escape(template).replace(r'\{p\}', '(?P<p>weight|bias)')
    return re.compile(re.sub(r'\\\{(\w)\\\}', r'(?P<\1>\\d+)', pattern))


OUR_KEYS = [(template_regex(ours), timm) for ours, timm in KEY_TEMPLATES]
TIMM_KEYS = [template_regex(timm) for _, timm in KEY_TEMPLATES]


def timm_key(our_key):
    """timm's name of a parameter of ours (``backbone.`` or ``head.``)."""
    if our_key in HEAD_KEYS:
        return our_key
    name = our_key[len('backbone.'):]
    for regex, timm in OUR_KEYS:
        match = regex.fullmatch(name)
        if match:
            return timm.format(**match.groupdict())
    raise KeyError(our_key)  # a parameter that ConvNeXt's code lacks


def read_state_dict(path):
    """Read a timm state_dict from ``.safetensors``, or a torch file.

    Args:
        path (Path): A ``.safetensors`` file, or what
            ``torch.save(model.state_dict())`` wrote (``.pth``, ``.bin``).

    Returns:
        dict[str, torch.Tensor]: The tensors by name.
    """
    if not path.is_file():
        raise Refused(f'{path}: no such file')
    try:
        if path.suffix == '.safetensors':
            state_dict = load_file(path)
        else:
            # Mapped rather than read: only the zip files that torch.save
            # writes since PyTorch 1.6 can be.
            state_dict = torch.load(
                path,
                map_location='cpu',
                weights_only=True,
                mmap=zipfile.is_zipfile(path))
    except (OSError, RuntimeError, SafetensorError, ValueError, EOFError,
            pickle.UnpicklingError) as error:
        first_line = (str(error).strip().splitlines()
                      or [type(error).__name__])[0]
        raise Refused(f'{path}: not a state_dict file ({first_line})')
    if not isinstance(state_dict, dict):
        raise Refused(f'{path}: holds a {type(state_dict).__name__}, not a '
                      'state_dict')
    for key, value in state_dict.items():
        if not isinstance(value, torch.Tensor):
            raise Refused(f"{path}: '{key}' is not a tensor "
                          f'({type(value).__name__}): a state_dict is '
                          'expected, as torch.save(model.state_dict()) '
                          'writes it')
    return state_dict


def read_arch(state_dict):
    """The depths and channels of timm's ConvNeXt weights.

    Returns:
        tuple[list[int], list[int]]: The number of blocks and of channels
        of each stage.
    """
    blocks = defaultdict(set)
    for key in state_dict:
        match = re.match(r'stages\.(\d+)\.blocks\.(\d+)\.', key)
        if match:
            blocks[int(match[1])].add(int(match[2]))
    if not blocks:
        raise Refused("missing key 'stages.0.blocks.0.conv_dw.weight': no "
                      'block of a ConvNeXt')
    depths, channels = [], []
    for stage in range(max(blocks) + 1):
        depths.append(max(blocks[stage], default=-1) + 1)
        key = f'stages.{stage}.blocks.0.conv_dw.weight'
        if key not in state_dict:
            raise Refused(f"missing key '{key}'")
        channels.append(state_dict[key].shape[0])
    return depths, channels


def convert(state_dict, backbone_only=False):
    """Our classifier's state_dict from timm's ConvNeXt weights.

    Args:
        state_dict (dict[str, torch.Tensor]): timm's tensors by name.
        backbone_only (bool): Leave the classifier (``head.fc``) out.

    Returns:
        tuple[OrderedDict, dict]: The tensors under our names, in the order
        of our model, and what was read: ``version`` (a key of
        :data:`VERSIONS`), ``arch``, ``depths``, ``channels`` and
        ``num_classes`` (None without a classifier).
    """
    for key in state_dict:
        known = key in HEAD_KEYS or any(
            regex.fullmatch(key) for regex in TIMM_KEYS)
        if not known:
            raise Refused(f"unknown key '{key}': not a parameter of timm's "
                          'ConvNeXt or ConvNeXt-V2')
    version = 'ConvNeXt-V2' if any('.mlp.grn.' in key
                                   for key in state_dict) else 'ConvNeXt'
    depths, channels = read_arch(state_dict)
    backbone = {{ name }}
    presets = backbone.arch_settings
    arch = next((preset for preset, setting in presets.items()
                 if list(setting['depths']) == depths
                 and list(setting['channels']) == channels), None)
    if arch is None:
        raise Refused(f'depths {depths} and channels {channels} fit no '
                      f'preset of {backbone.__name__}: '
                      f'{", ".join(presets)}')
    # Built on the 'meta' device: its names and shapes, without memory.
    with torch.device('meta'):
        model = backbone(arch=arch, **VERSIONS[version])
    expected = OrderedDict(('backbone.' + key, tensor.shape)
                           for key, tensor in model.state_dict().items())
    num_classes = None
    if not backbone_only:
        if 'head.fc.weight' not in state_dict:
            raise Refused("missing key 'head.fc.weight' (--backbone-only "
                          'converts weights without a classifier)')
        num_classes = state_dict['head.fc.weight'].shape[0]
        expected['head.fc.weight'] = torch.Size([num_classes, channels[-1]])
        expected['head.fc.bias'] = torch.Size([num_classes])
    sources = OrderedDict((timm_key(key), key) for key in expected)
    for key in state_dict:
        if key not in sources and not (backbone_only and key in HEAD_KEYS):
            raise Refused(f"unknown key '{key}': {version}-{arch} has no such "
                          'parameter')
    converted = OrderedDict()
    for key, ours in sources.items():
        if key not in state_dict:
            raise Refused(f"missing key '{key}' of {version}-{arch}")
        tensor, shape = state_dict[key], expected[ours]
        if tensor.shape == shape + (1, 1):
            # timm's smaller presets run their MLPs as 1x1 convolutions.
            tensor = tensor.reshape(shape)
        if tensor.shape != shape:
            raise Refused(f"'{key}' has shape {tuple(tensor.shape)}; "
                          f'{version}-{arch} takes {tuple(shape)}')
        converted[ours] = tensor
    info = dict(
        version=version,
        arch=arch,
        depths=depths,
        channels=channels,
        num_classes=num_classes)
    return converted, info


def checkpoint_meta(num_classes):
    """The ``meta`` of the checkpoint: the class names of an ImageNet-1k
    head, where {{ openmmlab.toolbox.cls }}'s runner keeps them."""
    if num_classes != CONFIG_CLASSES:
        return dict()
    return {{ openmmlab.imagenet_classes_meta }}


def save(checkpoint, dst):
    """Write ``checkpoint`` to ``dst`` in one step.

    It is written to a temporary file beside ``dst`` first, which then
    replaces ``dst``: an existing ``dst`` is never half overwritten.
    """
    dst.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=dst.parent, prefix=f'.{dst.name}.', suffix='.tmp')
    try:
        with os.fdopen(handle, 'wb') as file:
            torch.save(checkpoint, file)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, dst)
    except BaseException:
        os.unlink(temporary)
        raise


def report(src, info):
    """The lines that tell what the weights are and what they need."""
    lines = [
        f"{src}: timm's {info['version']}, preset '{info['arch']}' "
        f"(depths {info['depths']}, channels {info['channels']})"
    ]
    options = [
        f'model.backbone.{key}={value!r}'
        for key, value in VERSIONS[info['version']].items()
    ]
    if options:
        lines.append(f"{info['version']} needs the backbone options "
                     f"{' '.join(options)}")
{%- if eps_option %}
    lines.append("timm's downsample LayerNorms have eps 1e-6, mmcls's 1e-5 "
                 '(the default): model.backbone.downsample_norm_eps=1e-6 '
                 "gives timm's outputs")
{%- endif %}
    num_classes = info['num_classes']
    if num_classes is None:
        lines.append('no classifier: backbone only')
    elif num_classes == CONFIG_CLASSES:
        lines.append(f'head: {num_classes} classes (ImageNet-1k), as in the '
                     'configs')
    else:
        kind = ' (ImageNet-22k)' if num_classes == IN22K_CLASSES else ''
        lines.append(f'head: {num_classes} classes{kind}; the configs have '
                     f'{CONFIG_CLASSES}: set model.head.num_classes='
                     f'{num_classes} to load it, or use --backbone-only')
    return lines


def build_parser():
    parser = argparse.ArgumentParser(
        description="Convert timm's ConvNeXt or ConvNeXt-V2 weights into a "
        'checkpoint of this project.')
    parser.add_argument(
        'src', type=Path, help='timm weights: .safetensors, .pth or .bin')
    parser.add_argument('dst', type=Path, help='the checkpoint to write')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='leave the classifier out (for the det and seg configs)')
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.dst.is_dir():
            raise Refused(f'{args.dst}: is a folder, not a checkpoint file')
        state_dict, info = convert(
            read_state_dict(args.src), args.backbone_only)
    except Refused as refusal:
        parser.exit(1, f'{parser.prog}: error: {refusal}\n')
    for line in report(args.src, info):
        print(line)
    meta = checkpoint_meta(info['num_classes'])
    save(dict(meta=meta, state_dict=state_dict), args.dst)
    part = 'backbone' if args.backbone_only else 'backbone and head'
    print(f'wrote {args.dst}: {len(state_dict)} tensors ({part})')


if __name__ == '__main__':
    main()
