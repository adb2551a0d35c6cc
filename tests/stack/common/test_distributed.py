{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set v1 = cookiecutter.openmmlab == '1.x' -%}
"""The README's multi-GPU and Slurm commands, to the end, on 2 CPU processes.

``upstream_fixes/distributed_cpu.py`` lets ``--launcher pytorch|slurm``
start their processes over gloo where CUDA is missing; ``srun`` is the
tests' stand-in (``fake_slurm.py``), which starts the tasks as local
processes with Slurm's variables, and {{ 'mmcv' if v1 else 'mmengine' }}'s own ``_init_dist_slurm``
builds the process group from them (with ``scontrol show hostname``).
The runs use the toy data and configs in the project's toy copy, after
its own toy trainings (the det and seg configs start from the
classification checkpoint):

* classification, with each launcher: the iterations of an epoch are those
  of one process's half of the data, rank 0 alone writes the checkpoints
  and logs, the test scores every validation image once and meets the toy
  threshold; a 2-process run resumes where it stopped;
* detection and segmentation (SyncBN) train and test with ``--launcher
  pytorch`` and print their metrics;
* with no data, both launchers end with the toolbox's error and a non-zero
  status, without hanging, and leave no process behind.

The schedules are cut with ``--cfg-options`` where the check allows it.
"""
{%- if 'cls' in tasks %}
import pickle
{%- endif %}
import re

import pytest
{%- if 'cls' in tasks %}
from distributed_runs import (NPROC, DistributedRuns, expected_iterations,
                              iterations_per_epoch, lines_of, on_cpus)
{%- else %}
from distributed_runs import DistributedRuns, on_cpus
{%- endif %}
from project_docs import readme_launcher_line

{% if v1 -%}
#: The toy config of each task, its toolbox, and what its test prints.
TOY = {
{%- if 'cls' in tasks %}
    'cls': ('mmcls', 'accuracy_top-1'),
{%- endif %}
{%- if 'det' in tasks %}
    'det': ('mmdet', 'segm_mAP_50'),
{%- endif %}
{%- if 'seg' in tasks %}
    'seg': ('mmseg', 'mIoU'),
{%- endif %}
}
#: The schedules of the det and seg runs, cut to a few iterations.
SHORT = dict(
    det='runner.max_epochs=1 evaluation.interval=1',
    seg='runner.max_iters=4 evaluation.interval=4 '
    'checkpoint_config.interval=4')
#: What a training writes besides its checkpoints: a link to the last one,
#: and per run a text and a json log.
LATEST = ['latest.pth']
LOGS = ('*.log', '*.log.json')
{%- if 'cls' in tasks %}
#: The cls options and output of the toolbox: the epochs of the schedule,
#: the test's top-1 and predictions, a resumed run and an epoch's lines.
MAX_EPOCHS = 'runner.max_epochs'
TOP1_PRINTED = r'accuracy_top-1 ?: ([\d.]+)'
TEST_OUT = '--out {} --out-items pred_label'
RESUMED = 'resumed epoch {}, iter {}'
TRAIN_EPOCH = r'Epoch \[(\d+)\]\['
{%- endif %}


def last_checkpoint(work_dir):
    return str(work_dir / 'latest.pth')
{%- if 'cls' in tasks %}


def resume_options(work_dir):
    """The README's resume option, for the run in ``work_dir``."""
    return f'--resume-from {work_dir}/latest.pth'


def scored_each_image_once(toy_project, results):
    """The top-1 of the test's predictions (``--out``), which cover every
    image of the val set once, in order."""
    with open(results, 'rb') as f:
        predicted = list(pickle.load(f)['pred_label'])
    val = toy_project.path / 'data/toy/imagenet/meta/val.txt'
    labels = [int(line.split()[1]) for line in lines_of(val)]
    assert len(predicted) == len(labels)
    return 100 * sum(p == t for p, t in zip(predicted, labels)) / len(labels)
{%- endif %}
{%- else -%}
#: The toy config of each task, its toolbox, and what its test prints.
TOY = {
{%- if 'cls' in tasks %}
    'cls': ('mmpretrain', 'accuracy/top1'),
{%- endif %}
{%- if 'det' in tasks %}
    'det': ('mmdet', 'coco/segm_mAP_50'),
{%- endif %}
{%- if 'seg' in tasks %}
    'seg': ('mmsegmentation', 'mIoU'),
{%- endif %}
}
#: The schedules of the det and seg runs, cut to a few iterations.
SHORT = dict(
    det='train_cfg.max_epochs=1 train_cfg.val_interval=1',
    seg='train_cfg.max_iters=4 train_cfg.val_interval=4 '
    'default_hooks.checkpoint.interval=4')
#: What a training writes besides its checkpoints: a folder per run with
#: its text log.
LATEST = []
LOGS = ('*/*.log', )
{%- if 'cls' in tasks %}
#: The cls options and output of the toolbox: the epochs of the schedule,
#: the test's top-1 and predictions, a resumed run and an epoch's lines.
MAX_EPOCHS = 'train_cfg.max_epochs'
TOP1_PRINTED = r'accuracy/top1: ([\d.]+)'
TEST_OUT = '--out {}'
RESUMED = 'resumed epoch: {}, iter: {}'
TRAIN_EPOCH = r'Epoch\(train\) *\[(\d+)\]\['
{%- endif %}


def last_checkpoint(work_dir):
    return (work_dir / 'last_checkpoint').read_text().strip()
{%- if 'cls' in tasks %}


def resume_options(work_dir):
    """The README's resume option, for the run in ``work_dir``."""
    return '--resume'


def scored_each_image_once(toy_project, results):
    """The top-1 of the test's predictions (``--out``), which cover every
    image of the val set once."""
    with open(results, 'rb') as f:
        predictions = pickle.load(f)
    val = toy_project.path / 'data/toy/imagenet/meta/val.txt'
    indices = sorted(p['sample_idx'] for p in predictions)
    assert indices == list(range(len(lines_of(val))))
    right = sum(
        int(p['pred_label'][0] == p['gt_label'][0]) for p in predictions)
    return 100 * right / len(predictions)
{%- endif %}
{%- endif %}


#: What the toy classification test must reach (as the project's test).
TOP1_THRESHOLD = 90.0
LAUNCHERS = ('pytorch', 'slurm')


def toy_config(toy_project, task):
    """The toy config of ``task``, as the toy commands name it."""
    return toy_project.commands[task][0].split()[3]


@pytest.fixture(scope='module')
def runs(toy_project, tmp_path_factory):
    """Runs in the toy copy, after the toy classification run."""
    if 'cls' in toy_project.commands:
        toy_project.train('cls')
    return DistributedRuns(toy_project, tmp_path_factory.mktemp('slurm'))


def run_readme(runs, toolbox, tool, launcher, extra='', cwd=None, **values):
    """Run a README line with 2 processes; the run."""
    line = on_cpus(readme_launcher_line(toolbox, tool, launcher), **values)
    return runs.shell(
        f'{line} {extra}'.strip(), slurm=launcher == 'slurm', cwd=cwd)


def succeeded(run):
    assert run.returncode == 0, run.stdout[-5000:]
    return run.stdout


def assert_one_set_of_outputs(work_dir, checkpoints, runs=1):
    """Rank 0 alone wrote the checkpoints and the logs (one per run)."""
    written = sorted(p.name for p in work_dir.glob('*.pth'))
    assert written == sorted(checkpoints + LATEST)
    for logs in LOGS:
        assert len(list(work_dir.glob(logs))) == runs, logs
{%- if 'cls' in tasks %}


def cls_iterations(toy_project):
    """One epoch of the toy classification split over the processes."""
    samples = len(
        lines_of(toy_project.path / 'data/toy/imagenet/meta/train.txt'))
    one = iterations_per_epoch(toy_project.train('cls'))
    assert one == expected_iterations(samples, 64, 1)
    return expected_iterations(samples, 64, NPROC)


@pytest.fixture(scope='module')
def pytorch_cls(runs, toy_project):
    """The toy classification trained with ``--launcher pytorch``."""
    work_dir = toy_project.path / 'work_dirs' / 'pytorch_cls'
    output = succeeded(
        run_readme(
            runs,
            TOY['cls'][0],
            'train',
            'pytorch',
            CONFIG=toy_config(toy_project, 'cls'),
            WORK_DIR=str(work_dir)))
    return output, work_dir


def test_cls_pytorch_launcher_trains_on_half_of_each_epoch(
        toy_project, pytorch_cls):
    output, work_dir = pytorch_cls
    assert 'Distributed training: True' in output
    assert iterations_per_epoch(output) == cls_iterations(toy_project)
    # The toy config keeps the last 3 checkpoints.
    assert_one_set_of_outputs(work_dir, [f'epoch_{i}.pth' for i in (4, 5, 6)])


@pytest.mark.parametrize('launcher', LAUNCHERS)
def test_cls_test_scores_each_image_once(runs, toy_project, pytorch_cls,
                                         launcher, tmp_path):
    _, work_dir = pytorch_cls
    results = tmp_path / 'results.pkl'
    output = succeeded(
        run_readme(
            runs,
            TOY['cls'][0],
            'test',
            launcher,
            TEST_OUT.format(results),
            CONFIG=toy_config(toy_project, 'cls'),
            CHECKPOINT=last_checkpoint(work_dir)))
    printed = float(re.findall(TOP1_PRINTED, output)[-1])
    # The toolbox prints 2 decimals.
    assert scored_each_image_once(toy_project, results) == pytest.approx(
        printed, abs=0.01)
    assert printed >= TOP1_THRESHOLD


def test_cls_slurm_launcher_trains_and_resumes(runs, toy_project):
    config = toy_config(toy_project, 'cls')
    work_dir = toy_project.path / 'work_dirs' / 'slurm_cls'
    values = dict(CONFIG=config, WORK_DIR=str(work_dir))
    runs.scontrol_log.unlink(missing_ok=True)
    # 2 epochs: the toy schedule's cosine starts after a 1-epoch warm-up.
    output = succeeded(
        run_readme(runs, TOY['cls'][0], 'train', 'slurm',
                   f'--cfg-options {MAX_EPOCHS}=2', **values))
    iterations = cls_iterations(toy_project)
    assert iterations_per_epoch(output) == iterations
    assert_one_set_of_outputs(work_dir, ['epoch_1.pth', 'epoch_2.pth'])
    # Each task asked scontrol for the master's address.
    scontrol = lines_of(runs.scontrol_log)
    assert len(scontrol) == NPROC, scontrol
    # The README's resume option, on the 2-process run.
    output = succeeded(
        run_readme(runs, TOY['cls'][0], 'train', 'slurm',
                   f'{resume_options(work_dir)} --cfg-options {MAX_EPOCHS}=3',
                   **values))
    assert RESUMED.format(2, 2 * iterations) in output, output[-3000:]
    assert set(re.findall(TRAIN_EPOCH, output)) == {'3'}
    checkpoints = [f'epoch_{i}.pth' for i in (1, 2, 3)]
    assert_one_set_of_outputs(work_dir, checkpoints, runs=2)
{%- endif %}


@pytest.mark.parametrize('task', [t for t in ('det', 'seg') if t in TOY])
def test_det_and_seg_pytorch_launcher_train_and_test(runs, toy_project, task):
    toolbox, metric = TOY[task]
    config = toy_config(toy_project, task)
    work_dir = toy_project.path / 'work_dirs' / f'pytorch_{task}'
    output = succeeded(
        run_readme(
            runs,
            toolbox,
            'train',
            'pytorch',
            f'--cfg-options {SHORT[task]}',
            CONFIG=config,
            WORK_DIR=str(work_dir)))
    assert 'Distributed training: True' in output
    output = succeeded(
        run_readme(
            runs,
            toolbox,
            'test',
            'pytorch',
            CONFIG=config,
            CHECKPOINT=last_checkpoint(work_dir)))
    assert metric in output, output[-3000:]


@pytest.mark.parametrize('launcher', LAUNCHERS)
def test_run_without_data_fails_and_leaves_nothing(runs, toy_project,
                                                   copy_project, launcher,
                                                   tmp_path):
    # A copy of the project without data/: each process fails on the
    # dataset; the launcher ends the other and fails (DistributedRuns
    # checks that no process is left).
    task = next(iter(TOY))
    toolbox, _ = TOY[task]
    copy_project(tmp_path)
    run = run_readme(
        runs,
        toolbox,
        'train',
        launcher,
        cwd=tmp_path,
        CONFIG=toy_config(toy_project, task),
        WORK_DIR=str(tmp_path / 'work_dirs' / 'no_data'))
    assert run.returncode != 0
    assert re.search(r'FileNotFoundError: .*data/toy/', run.stdout), \
        run.stdout[-3000:]
