{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The README's segmentation commands train, evaluate and resume."""
import re

import torch
from conftest import train_losses


def summary_metric(output, name):
    """A value of mmseg's summary table (``| aAcc | mIoU | mAcc |``)."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if line.startswith('|') and 'aAcc' in cells and name in cells:
            values = lines[i + 2].strip().strip('|').split('|')
            return float(values[cells.index(name)])
    raise AssertionError(f'no {name} in the output:\n{output[-3000:]}')


def test_shapes_train_and_test(try_it):
{%- if 'cls' in tasks %}
    try_it.run('mim train mmcls')
{%- endif %}
    train = try_it.command('mim train mmseg')
    output = try_it.run('mim train mmseg')
{%- if 'cls' in tasks %}
    loaded = r'load backbone\. in model from: work_dirs/\S+/latest\.pth'
    assert re.search(loaded, output), output[-3000:]
{%- endif %}
    work_dir = re.search(r'--work-dir (\S+)', train)[1]
    losses = train_losses(try_it.workspace / work_dir)
    assert min(losses[-3:]) < max(losses[:3])

    output = try_it.run('mim test mmseg')
    assert 0.0 <= summary_metric(output, 'mIoU') <= 100.0, output[-3000:]


def test_resume_continues_iteration_and_optimizer(try_it):
{%- if 'cls' in tasks %}
    try_it.run('mim train mmcls')
{%- endif %}
    train = try_it.command('mim train mmseg')
    work_dir = re.search(r'--work-dir (\S+)', train)[1]
    stopped = train.replace(work_dir, 'work_dirs/seg-stopped')
    try_it.stop_when(stopped, 'work_dirs/seg-stopped/iter_30.pth')
    try_it.stop_when(
        stopped + ' --resume-from work_dirs/seg-stopped/iter_30.pth',
        'work_dirs/seg-stopped/iter_60.pth')
    resumed = torch.load(
        try_it.workspace / 'work_dirs/seg-stopped/iter_60.pth',
        map_location='cpu',
        weights_only=False)
    assert resumed['meta']['iter'] == 60
    steps = {
        float(state['step'])
        for state in resumed['optimizer']['state'].values()
    }
    assert steps == {60.0}
