{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set resume_task = 'cls' if 'cls' in tasks else ('seg' if 'seg' in tasks else 'det') -%}
"""The README's "Try it in 5 minutes" goes on as its text says.

The toy trainings and tests are the project's own (``toy_project``): these
checks read what they wrote and printed, and run the rest of the README's
commands and its ``--resume`` in the same copy of the project.
"""
import json
{%- if 'cls' in tasks %}
{%- if 'det' in tasks or 'seg' in tasks %}
import re
{%- endif %}

import pytest
from PIL import Image
from stack_helpers import (PNG_SIGNATURE, checkpoints, load, option,
                           readme_command, stopped_run)
{%- else %}

import pytest
from stack_helpers import checkpoints, load, stopped_run
{%- endif %}

#: The task whose toy training is stopped and resumed.
TASK = '{{ resume_task }}'
{%- if 'cls' in tasks %}


def test_loss_curve_plot(toy_project):
    toy_project.train('cls')
    command = readme_command('mim run mmpretrain analyze_logs plot_curve')
    toy_project.run(command)
    png = toy_project.path / option(command, '--out')
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(png) as image:
        image.verify()
{%- endif %}


def test_resume_continues_where_the_run_stopped(toy_project):
    """``--resume`` continues the stopped run's epochs, lr and optimizer.

    The stopped run is the README's toy training up to its next-to-last
    checkpoint; the resumed one must end as the uninterrupted toy run did,
    having trained only what was left.
    """
    command, work_dir, toy_work_dir = stopped_run(toy_project, TASK, 'resumed')
    stop = checkpoints(work_dir)[0]
    output = toy_project.run(command)
    assert f'Auto resumed from the latest checkpoint {stop}' in output
    stopped = load(stop)
    meta = stopped['meta']
    assert f"resumed epoch: {meta['epoch']}, iter: {meta['iter']}" in output
    resumed, uninterrupted = (
        load(checkpoints(folder)[-1]) for folder in (work_dir, toy_work_dir))
    for key in ('epoch', 'iter'):
        assert resumed['meta'][key] == uninterrupted['meta'][key], key
    # The resumed run logged only the iterations after the stop, with the
    # learning rates of the uninterrupted run.
    logged = logged_steps(work_dir, run=-1)
    assert logged and min(logged) > meta['iter']
    toy_logged = logged_steps(toy_work_dir)
    for step, lr in logged.items():
        assert step in toy_logged, (step, toy_logged)
        assert lr == pytest.approx(toy_logged[step], rel=1e-6), step
    # AdamW counts its steps per parameter: a fresh optimizer would count
    # only the resumed run's.
    for checkpoint in (stopped, resumed):
        steps = {
            float(state['step'])
            for state in checkpoint['optimizer']['state'].values()
        }
        assert steps == {float(checkpoint['meta']['iter'])}
    assert resumed['optimizer']['param_groups'][0]['lr'] == pytest.approx(
        uninterrupted['optimizer']['param_groups'][0]['lr'], rel=1e-6)


def logged_steps(work_dir, run=0):
    """The lr that a run logged at each step (mmengine's scalars.json).

    Args:
        work_dir (Path): The run's work dir.
        run (int): Which of the runs logged in it, in the order they
            started.

    Returns:
        dict[int, float]: The lr at each logged training step.
    """
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    records = map(json.loads, logs[run].read_text().splitlines())
    return {r['step']: r['lr'] for r in records if 'lr' in r and 'loss' in r}
{%- if 'cls' in tasks and ('det' in tasks or 'seg' in tasks) %}


def test_det_and_seg_start_from_the_digits_backbone(toy_project):
    # The README: "starting from the digits backbone".
    cls_work_dir = option(toy_project.commands['cls'][0], '--work-dir')
    for task in {{ tasks[1:] }}:
        output = toy_project.train(task)
        loaded = re.search(r'load backbone\. in model from: (\S+\.pth)',
                           output)
        assert loaded, output[-3000:]
        assert loaded[1].startswith(f'{cls_work_dir}/'), loaded[1]
        # Only the norms of the outputs that classification does not use
        # are missing.
        assert 'unexpected key in source state_dict' not in output
        assert 'size mismatch' not in output
        for missing in re.findall(r'missing keys in source state_dict: (.*)',
                                  output):
            for key in missing.split(', '):
                assert re.fullmatch(r'norm\d\.(weight|bias)', key), key
{%- endif %}
