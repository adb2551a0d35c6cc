{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The README's segmentation commands train, evaluate and resume."""
import re

import torch
from conftest import train_losses


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
    miou = re.search(r'\|\s*mIoU\s*\|.*\n.*\n\|\s*([\d.]+)\s*\|', output)
    assert 'mIoU' in output and miou is None or miou, output[-3000:]
    assert re.search(r'\|\s+\d+\.\d+\s+\|\s+\d+\.\d+\s+\|\s+\d+\.\d+\s+\|',
                     output), output[-3000:]


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
