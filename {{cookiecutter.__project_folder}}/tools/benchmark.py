{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
"""Speed of {{ cookiecutter.backbone_name }} beside {{ openmmlab.benchmark_references }}.

Every model runs in the same process on the same device, and the models take
turns step by step, so that a noisy machine slows them all alike. Reported:
images per second (median step) and the speed ratios to the references
(median and interquartile range of the per-round ratios) for training steps
(forward, backward, AdamW) and inference, in each combination of precision
(fp32, bf16 autocast), memory format (NCHW, channels_last) and, with
``--compile``, eager and ``torch.compile``; and the graph breaks
torch.compile meets in {{ cookiecutter.backbone_name }}.

Run from the project root::

    PYTHONPATH=$(pwd) python tools/benchmark.py --device cpu \\
        --batch-size 2 --img-size 64 --iters 2 --warmup 1
    PYTHONPATH=$(pwd) python tools/benchmark.py --device cuda --compile
"""
import argparse
import itertools
import random
import statistics
import sys
import time

import torch
import torch._dynamo
# {{ openmmlab.toolbox.cls }}'s own ConvNeXt, from its module: the registry entry may be ours.
from {{ openmmlab.toolbox.cls }}.models.backbones.convnext import ConvNeXt as {{ openmmlab.reference_class }}

from models import {{ cookiecutter.backbone_name }}

try:
    import timm
except ImportError:
    timm = None

MEMORY_FORMATS = {
    'nchw': torch.contiguous_format,
    'channels_last': torch.channels_last,
}


def int_at_least(minimum):
    """An argparse type: an int of at least ``minimum``."""

    def parse(text):
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f'must be at least {minimum}, got {value}')
        return value

    parse.__name__ = 'int'  # argparse names it in "invalid int value"
    return parse


def build_parser():
    parser = argparse.ArgumentParser(
        description='Benchmark the backbone beside the ConvNeXt of {{ openmmlab.toolbox.cls }} '
        'and timm.')
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu',
        help='cpu, cuda or cuda:N')
    parser.add_argument('--arch', default='tiny', help='the preset to build')
    parser.add_argument('--batch-size', type=int_at_least(1), default=32)
    parser.add_argument(
        '--img-size',
        type=int_at_least(32),
        default=224,
        help='input height and width (at least the backbones\' output '
        'stride, 32)')
    parser.add_argument(
        '--iters',
        type=int_at_least(1),
        default=10,
        help='timed steps per model')
    parser.add_argument(
        '--warmup',
        type=int_at_least(0),
        default=3,
        help='untimed steps per model')
    parser.add_argument(
        '--modes',
        nargs='+',
        choices=['train', 'infer'],
        default=['train', 'infer'])
    parser.add_argument(
        '--precisions',
        nargs='+',
        choices=['fp32', 'bf16'],
        default=['fp32', 'bf16'])
    parser.add_argument(
        '--formats',
        nargs='+',
        choices=list(MEMORY_FORMATS),
        default=list(MEMORY_FORMATS))
    parser.add_argument(
        '--compile',
        action='store_true',
        help='also time torch.compile (minutes of compiling on a CPU)')
    parser.add_argument(
        '--references',
        nargs='*',
        choices=['{{ openmmlab.toolbox.cls }}', 'timm'],
        default=['{{ openmmlab.toolbox.cls }}', 'timm'],
        help='the ConvNeXts to compare with (timm only where installed)')
    parser.add_argument(
        '--threads',
        type=int_at_least(1),
        help='CPU threads (torch.set_num_threads)')
    return parser


def parse_device(parser, name):
    """``torch.device(name)``, or a usage error if this machine lacks it."""
    try:
        device = torch.device(name)
    except RuntimeError as error:
        parser.error(f'--device {name}: {error}')
    index = device.index or 0
    if device.type == 'cuda' and index >= torch.cuda.device_count():
        parser.error(f'--device {name}: this machine has '
                     f'{torch.cuda.device_count()} CUDA device(s)')
    return device


def build_models(arch, references):
    """Our backbone and the reference ConvNeXts, as classification trunks.

    All return the pooled and normalized last-stage features.
    """
    reference_arch = arch if arch in {{ openmmlab.reference_class }}.arch_settings else 'tiny'
    models = {'ours': {{ cookiecutter.backbone_name }}(arch=arch)}
    if '{{ openmmlab.toolbox.cls }}' in references:
        models['{{ openmmlab.toolbox.cls }}'] = {{ openmmlab.reference_class }}(arch=reference_arch)
    if 'timm' in references and timm is not None:
        models['timm'] = timm.create_model(
            f'convnext_{reference_arch}', pretrained=False, num_classes=0)
    return models, reference_arch


def count_graph_breaks(model, inputs):
    """The graphs and graph breaks torch.compile meets in ``model``."""
    torch._dynamo.reset()
    explanation = torch._dynamo.explain(model)(inputs)
    torch._dynamo.reset()
    return explanation.graph_count, explanation.graph_break_count, [
        str(reason.reason) for reason in explanation.break_reasons
    ]


def make_step(model, train, precision, device_type):
    """One training step (with AdamW) or one inference batch."""

    def autocast():
        return torch.autocast(
            device_type, dtype=torch.bfloat16, enabled=precision == 'bf16')

    if not train:

        def infer(inputs):
            with torch.inference_mode(), autocast():
                model(inputs)

        return infer

    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def train_step(inputs):
        with autocast():
            outs = model(inputs)
        if isinstance(outs, torch.Tensor):
            outs = (outs, )
        sum(out.float().mean() for out in outs).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return train_step


def time_steps(steps, inputs, iters, warmup, device):
    """Seconds of every step of each model.

    The models take turns, one step each per round, in an order shuffled
    every round (seeded), so that a noisy machine and the order of the turns
    slow them all alike.

    Returns:
        dict[str, list[float]]: Per model, the seconds of each round's step.
    """
    synchronize = torch.cuda.synchronize if device.type == 'cuda' else (
        lambda: None)
    for step in steps.values():
        for _ in range(warmup):
            step(inputs)
    order = list(steps)
    shuffle = random.Random(0).shuffle
    times = {name: [] for name in steps}
    for _ in range(iters):
        shuffle(order)
        for name in order:
            synchronize()
            start = time.perf_counter()
            steps[name](inputs)
            synchronize()
            times[name].append(time.perf_counter() - start)
    return times


def speed_ratio(ours, reference):
    """How many times faster ``ours`` ran than ``reference``, round by round.

    Args:
        ours (list[float]): Seconds of our step in each round.
        reference (list[float]): Seconds of the reference's step in the same
            rounds.

    Returns:
        tuple[float, float, float]: The median of the per-round ratios and
        their first and third quartiles (the spread the noise leaves).
    """
    ratios = [ref / own for own, ref in zip(ours, reference)]
    if len(ratios) < 2:
        return ratios[0], ratios[0], ratios[0]
    low, median, high = statistics.quantiles(ratios, n=4, method='inclusive')
    return median, low, high


def format_table(header, rows):
    widths = [
        max(len(str(row[i])) for row in [header] + rows)
        for i in range(len(header))
    ]
    lines = [
        ' | '.join(str(cell).rjust(width) for cell, width in zip(row, widths))
        for row in [header] + rows
    ]
    lines.insert(1, '-+-'.join('-' * width for width in widths))
    return '\n'.join(lines)


def main():
    parser = build_parser()
    args = parser.parse_args()
    device = parse_device(parser, args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    try:
        models, reference_arch = build_models(args.arch, args.references)
    except AssertionError as error:  # the backbone's own check of the arch
        parser.error(str(error))
    if 'train' in args.modes and args.batch_size == 1 and any(
            isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
            for model in models.values() for module in model.modules()):
        # BatchNorm cannot train on one value per channel (a pooled output).
        parser.error('--batch-size 1 cannot train BatchNorm layers: '
                     'use 2 or more, or --modes infer')
    for model in models.values():
        model.to(device)
    names = list(models)
    ours_name = type(models['ours']).__name__
    device_name = torch.cuda.get_device_name(
        device) if device.type == 'cuda' else 'cpu'
    print(f'torch {torch.__version__} on {device_name}, '
          f'{torch.get_num_threads()} threads; batch {args.batch_size} at '
          f'{args.img_size}px; {ours_name} {args.arch!r} beside ConvNeXt '
          f'{reference_arch!r} of {", ".join(names[1:]) or "none"}')

    inputs = torch.randn(
        args.batch_size, 3, args.img_size, args.img_size, device=device)
    graphs, breaks, reasons = count_graph_breaks(models['ours'].eval(), inputs)
    print(f'torch.compile of {ours_name}: {graphs} graph(s), {breaks} graph '
          f'break(s){": " + "; ".join(reasons) if reasons else ""}')

    backends = ['eager', 'compile'] if args.compile else ['eager']
    rows = []
    for mode, precision, memory_format, backend in itertools.product(
            args.modes, args.precisions, args.formats, backends):
        layout = MEMORY_FORMATS[memory_format]
        steps = {}
        for name, model in models.items():
            model.to(memory_format=layout).train(mode == 'train')
            runner = torch.compile(model) if backend == 'compile' else model
            steps[name] = make_step(runner, mode == 'train', precision,
                                    device.type)
        times = time_steps(steps, inputs.contiguous(memory_format=layout),
                           args.iters, args.warmup, device)
        row = [mode, precision, memory_format, backend]
        row += [
            f'{args.batch_size / statistics.median(times[name]):.1f}'
            for name in names
        ]
        for name in names[1:]:
            ratio, low, high = speed_ratio(times['ours'], times[name])
            row.append(f'{ratio:.2f} ({low:.2f}-{high:.2f})')
        rows.append(row)
        # Progress on stderr: a long run shows each row as it ends, and
        # stdout holds the table alone.
        print(' | '.join(row), file=sys.stderr, flush=True)
        if backend == 'compile':
            torch._dynamo.reset()

    header = ['mode', 'dtype', 'format', 'backend']
    header += [f'{name} img/s' for name in names]
    header += [f'ours/{name}' for name in names if name != 'ours']
    print()
    print(format_table(header, rows))
    print('img/s: median step; ours/X: median of the per-round speed ratios '
          '(interquartile range)')


if __name__ == '__main__':
    main()
