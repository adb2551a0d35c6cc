{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
"""Parameters and FLOPs of the {{ cookiecutter.backbone_name }} backbone.

{{ openmmlab.flops_counter_doc }}

    PYTHONPATH=$(pwd) python tools/get_flops.py --arch tiny --shape 224
    PYTHONPATH=$(pwd) python tools/get_flops.py \\
        --arch '{"depths": [2, 2, 6, 2], "channels": [64, 128, 256, 512]}' \\
        --shape 512 1024 --out-indices 0 1 2 3
"""
import argparse
import json

import torch
{{ openmmlab.flops_counter_imports }}

from models import {{ cookiecutter.backbone_name }}

#: The smallest input side: the output stride of a 4-stage backbone.
MIN_SIZE = 32
{%- if openmmlab.flops_counter_functions %}


{{ openmmlab.flops_counter_functions }}
{%- endif %}


def count_complexity(model, input_shape):
    """The FLOPs and parameters of ``model`` for one input, as numbers.

    The counter of this tool, for other tools (``tools/results_table.py``
    counts whole models with it).

    Args:
        model (nn.Module): The model, in eval mode; its ``forward`` takes a
            batch of images.
        input_shape (tuple[int]): ``(channels, height, width)``.

    Returns:
        tuple[float, int]: FLOPs (multiply-adds) and parameters.
    """
    {{ openmmlab.flops_counter_numbers|indent(4) }}


def build_parser():
    parser = argparse.ArgumentParser(
        description='Count the parameters and FLOPs of the backbone.')
    parser.add_argument(
        '--arch',
        default='tiny',
        help='a preset name or a JSON dict with "depths" and "channels"')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=[224],
        help='input height and width (one number for a square), each at '
        f'least {MIN_SIZE}')
    parser.add_argument('--in-channels', type=int, default=3)
    parser.add_argument(
        '--out-indices',
        type=int,
        nargs='+',
        help='output stages, as for detection or segmentation (feature '
        'maps); default: the last stage, pooled, as for classification')
    parser.add_argument(
        '--per-layer', action='store_true', help='print every layer')
    return parser


def main():
    parser = build_parser()
    args = parser.parse_args()
    if len(args.shape) not in (1, 2) or min(args.shape) < MIN_SIZE:
        shape = ' '.join(map(str, args.shape))
        parser.error(f'--shape takes 1 or 2 numbers of at least {MIN_SIZE}, '
                     f'got {shape}')
    height, width = args.shape if len(args.shape) == 2 else args.shape * 2
    if args.in_channels < 1:
        parser.error(f'--in-channels must be positive, got {args.in_channels}')
    arch = args.arch
    if arch.startswith('{'):
        try:
            arch = json.loads(arch)
        except json.JSONDecodeError as error:
            parser.error(f'--arch {args.arch}: not a JSON dict ({error})')
    kwargs = dict(arch=arch, in_channels=args.in_channels)
    if args.out_indices is not None:
        kwargs.update(
            out_indices=args.out_indices, gap_before_final_norm=False)
    try:
        model = {{ cookiecutter.backbone_name }}(**kwargs).eval()
    except AssertionError as error:  # the backbone's check of its arguments
        parser.error(str(error))
    with torch.no_grad():
        flops, params = get_model_complexity_info(
            model, (args.in_channels, height, width),
            print_per_layer_stat=args.per_layer)
    print('=' * 40)
    print(f'{type(model).__name__} arch {args.arch}, input '
          f'{args.in_channels}x{height}x{width}')
    print(f'FLOPs: {flops}')
    print(f'Params: {params}')
    print('=' * 40)
    print('FLOPs are multiply-adds, as OpenMMLab reports them. Check that '
          'the numbers are right before quoting them.')


if __name__ == '__main__':
    main()
