"""Parameters and FLOPs of the {{ cookiecutter.backbone_name }} backbone.

Counted by mmcv's ``get_model_complexity_info`` for one image. Run from the
project root::

    PYTHONPATH=$(pwd) python tools/get_flops.py --arch tiny --shape 224
    PYTHONPATH=$(pwd) python tools/get_flops.py \\
        --arch '{"depths": [2, 2, 6, 2], "channels": [64, 128, 256, 512]}' \\
        --shape 512 1024 --out-indices 0 1 2 3
"""
import argparse
import json

import torch
from mmcv.cnn import get_model_complexity_info

from models.{{ cookiecutter.__backbone_module }} import {{ cookiecutter.backbone_name }}


def parse_args():
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
        help='input height and width (one number for a square)')
    parser.add_argument('--in-channels', type=int, default=3)
    parser.add_argument(
        '--out-indices',
        type=int,
        nargs='+',
        help='output stages, as for detection or segmentation (feature '
        'maps); default: the last stage, pooled, as for classification')
    parser.add_argument(
        '--per-layer', action='store_true', help='print every layer')
    return parser.parse_args()


def main():
    args = parse_args()
    if len(args.shape) == 1:
        height = width = args.shape[0]
    elif len(args.shape) == 2:
        height, width = args.shape
    else:
        raise ValueError(f'--shape takes 1 or 2 numbers, got {args.shape}')
    arch = json.loads(args.arch) if args.arch.startswith('{') else args.arch
    kwargs = dict(arch=arch, in_channels=args.in_channels)
    if args.out_indices is not None:
        kwargs.update(
            out_indices=args.out_indices, gap_before_final_norm=False)
    model = {{ cookiecutter.backbone_name }}(**kwargs).eval()
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
