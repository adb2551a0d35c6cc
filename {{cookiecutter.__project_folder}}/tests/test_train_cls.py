"""The README's classification commands train, test, resume and plot."""
import re

import torch
from conftest import train_losses


def work_dir_of(command):
    return re.search(r'--work-dir (\S+)', command).group(1)


def test_digits_train_and_test(try_it):
    train = try_it.command('mim train mmcls')
    try_it.run('mim train mmcls')
    losses = train_losses(try_it.workspace / work_dir_of(train))
    assert losses[-1] < losses[0]

    output = try_it.run('mim test mmcls')
    top1 = float(re.search(r'accuracy_top-1\s*:\s*([\d.]+)', output)[1])
    assert top1 >= 90.0, output[-2000:]


def test_training_curve_plot(try_it):
    try_it.run('mim train mmcls')
    command = try_it.command('mim run mmcls analyze_logs')
    try_it.run('mim run mmcls analyze_logs')
    png = try_it.workspace / re.search(r'--out (\S+)', command)[1]
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_resume_continues_epoch_and_optimizer(try_it):
    train = try_it.command('mim train mmcls')
    stopped = train.replace(work_dir_of(train), 'work_dirs/cls-stopped')
    try_it.stop_when(stopped, 'work_dirs/cls-stopped/epoch_2.pth')
    at_stop = torch.load(
        try_it.workspace / 'work_dirs/cls-stopped/epoch_2.pth',
        map_location='cpu',
        weights_only=False)

    try_it.stop_when(
        stopped + ' --resume-from work_dirs/cls-stopped/epoch_2.pth',
        'work_dirs/cls-stopped/epoch_3.pth')
    resumed = torch.load(
        try_it.workspace / 'work_dirs/cls-stopped/epoch_3.pth',
        map_location='cpu',
        weights_only=False)

    iters_per_epoch = at_stop['meta']['iter'] // 2
    assert resumed['meta']['epoch'] == 3
    assert resumed['meta']['iter'] == 3 * iters_per_epoch
    # AdamW counts its steps per parameter: a fresh optimizer would be at
    # one epoch's worth, the resumed one continues from the stop.
    steps = {
        float(state['step'])
        for state in resumed['optimizer']['state'].values()
    }
    assert steps == {3.0 * iters_per_epoch}
