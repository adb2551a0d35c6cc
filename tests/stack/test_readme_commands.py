{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set finetunes = 'cls' in tasks -%}
"""The README's commands run as printed: train, test, resume, plot, draw."""
{%- if 'seg' in tasks %}
import importlib.util
import shlex
import sys
{%- endif %}
import re
from pathlib import Path

{% if 'seg' in tasks -%}
import mmseg
import numpy as np
{% endif -%}
import pytest
from stack_helpers import docs_text, drawn_images, readme_commands, run_shell

{%- if 'seg' in tasks %}
from PIL import Image
{%- endif %}

TOOLBOXES = {'cls': 'mmcls', 'det': 'mmdet', 'seg': 'mmseg'}
#: The first bytes of every PNG file.
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def test_readme_runs_the_commands_the_project_tests_run(toy_project):
    # The project's slow tests and these checks share each run only if the
    # README prints exactly the commands the project's tests run.
    commands = readme_commands('try-it')
    assert commands[:2] == [
        'export PYTHONPATH=$(pwd)', 'python tools/make_toy_data.py'
    ]
    for task, (train, test) in toy_project.commands.items():
        assert train in commands and test in commands, task
        assert commands.index(train) < commands.index(test)
    assert list(toy_project.commands) == {{ tasks }}


def test_readme_commands_of_both_languages_agree():
    assert readme_commands('try-it', 'zh_cn') == readme_commands('try-it')
    assert readme_commands('look', 'zh_cn') == readme_commands('look')
{%- if 'cls' in tasks %}


def test_training_curve_plot(try_it):
    try_it.train('mmcls')
    command = try_it.command('mim run mmcls analyze_logs')
    try_it.run('mim run mmcls analyze_logs')
    png = try_it.workspace / re.search(r'--out (\S+)', command)[1]
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_training_curve_plot_of_a_resumed_run(try_it):
    # mmcls 0.25 takes the resumed log's first line (the run's metadata,
    # which holds the resumed epoch) for an epoch without a loss; the docs
    # say so and plot a copy without that line.
    try_it.stop_and_resume('mmcls', 'epoch_2.pth', 'epoch_3.pth')
    work_dir = try_it.workspace / try_it.stopped_work_dir('mmcls')
    resumed_log = sorted(work_dir.glob('*.log.json'))[-1]
    png = work_dir / 'loss.png'
    plot = re.sub(r'\S+\.log\.json', '{log}',
                  try_it.command('mim run mmcls analyze_logs'))
    plot = re.sub(r'--out \S+', f'--out {png}', plot)

    upstream = run_shell(plot.format(log=resumed_log), try_it.workspace)
    error = 'does not contain metric loss in train mode'
    assert upstream.returncode != 0 and error in upstream.stdout, (
        'mmcls plots a resumed log now: drop the note on it in the docs\n' +
        upstream.stdout[-2000:])
    assert error in docs_text()

    copy = work_dir / 'resumed.log.json'
    copy.write_text(''.join(resumed_log.read_text().splitlines(True)[1:]))
    try_it.shell(plot.format(log=copy))
    assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_look_at_pipeline_and_predictions(try_it):
    try_it.train('mmcls')
    folders = try_it.look('mmcls')
    number = re.search(r'vis_pipeline .* --number (\d+)',
                       '\n'.join(readme_commands('look')))[1]
    assert len(drawn_images(folders['--output-dir'])) == int(number)

    analysis = folders['--out-dir']
    right = drawn_images(analysis / 'success')
    wrong = drawn_images(analysis / 'fail') if (analysis /
                                                'fail').is_dir() else []
    assert right, 'analyze_results drew no correctly classified image'
    val_names = {
        path.name
        for path in Path(try_it.workspace, 'data/toy/imagenet/val').glob(
            '*/*')
    }
    assert set(right + wrong) <= val_names


def test_cls_resume_continues_epoch_and_optimizer(try_it):
    at_stop, resumed = try_it.stop_and_resume('mmcls', 'epoch_2.pth',
                                              'epoch_3.pth')
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


def test_cls_seeded_rerun_repeats_the_run(try_it):
    # The README's --seed: the stopped run of the same command logged the
    # same losses as the README's run, up to where it was stopped (without
    # a seed they differ from the first logged iteration).
    losses = try_it.train('mmcls')
    try_it.stop_and_resume('mmcls', 'epoch_2.pth', 'epoch_3.pth')
    rerun = try_it.stopped_losses('mmcls')
    assert len(rerun) >= 2
    assert rerun == losses[:len(rerun)]
{%- endif %}
{%- if 'det' in tasks %}


def test_det_starts_from_the_readme_classification_run(try_it):
{%- if finetunes %}
    try_it.train('mmcls')
{%- endif %}
    try_it.train('mmdet', finetunes={{ finetunes }})


def test_det_look_at_data_and_predictions(try_it):
{%- if finetunes %}
    try_it.train('mmcls')
{%- endif %}
    try_it.train('mmdet', finetunes={{ finetunes }})
    folders = try_it.look('mmdet')
    try_it.assert_drew_each_image(folders['--output-dir'],
                                  'data/toy/coco/train2017')
    try_it.assert_drew_each_image(folders['--show-dir'],
                                  'data/toy/coco/val2017')
{%- endif %}
{%- if 'seg' in tasks %}

#: Where the toy config reads its images.
TOY_IMAGES = 'data/toy/ade/ADEChallengeData2016/images'

#: The script that ``mim run mmseg confusion_matrix`` runs.
CONFUSION_MATRIX_TOOL = Path(
    mmseg.__file__).parent / '.mim/tools/confusion_matrix.py'


def per_class_metric(output, name):
    """A column of mmseg's per-class table (``| Class | IoU | Acc |``).

    Returns:
        dict[str, float]: The column's value for each class name.
    """
    values, columns = {}, None
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if line.startswith('|') and cells[0] == 'Class':
            columns = cells
        elif columns and line.startswith('|') and len(cells) == len(columns):
            values[cells[0]] = float(cells[columns.index(name)])
        elif columns and values and not line.startswith('+'):
            return values
    raise AssertionError(f'no per-class {name} in the output:\n'
                         f'{output[-3000:]}')


def test_seg_resume_continues_iteration_and_optimizer(try_it):
{%- if finetunes %}
    try_it.train('mmcls')
{%- endif %}
    at_stop, resumed = try_it.stop_and_resume('mmseg', 'iter_30.pth',
                                              'iter_60.pth')
    assert resumed['meta']['iter'] == at_stop['meta']['iter'] + 30
    # SGD/AdamW count their steps per parameter: the resumed optimizer
    # continues from the 30 steps of the stopped run.
    for checkpoint, steps in ((at_stop, 30.0), (resumed, 60.0)):
        assert {
            float(state['step'])
            for state in checkpoint['optimizer']['state'].values()
        } == {steps}


def test_seg_seeded_rerun_repeats_the_run(try_it):
    # The README's --seed: the stopped run of the same command logged the
    # same losses as the README's run, up to where it was stopped.
{%- if finetunes %}
    try_it.train('mmcls')
{%- endif %}
    losses = try_it.train('mmseg', finetunes={{ finetunes }})
    try_it.stop_and_resume('mmseg', 'iter_30.pth', 'iter_60.pth')
    rerun = try_it.stopped_losses('mmseg')
    assert rerun
    assert rerun == losses[:len(rerun)]


def test_seg_look_at_data_and_predictions(try_it):
{%- if finetunes %}
    try_it.train('mmcls')
{%- endif %}
    try_it.train('mmseg', finetunes={{ finetunes }})
    folders = try_it.look('mmseg')
    try_it.assert_drew_each_image(folders['--output-dir'],
                                  f'{TOY_IMAGES}/training')
    try_it.assert_drew_each_image(folders['--show-dir'],
                                  f'{TOY_IMAGES}/validation')
    with Image.open(folders['confusion_matrix'] /
                    'confusion_matrix.png') as image:
        image.verify()


def confusion_matrix_tool(try_it, monkeypatch, args):
    """Run mmseg's ``confusion_matrix`` main() in-process; what it would plot.

    Args:
        try_it (TryIt): After its mmseg look commands wrote the results.
        monkeypatch (pytest.MonkeyPatch): Sets the tool's argv and folder.
        args (list[str]): The tool's arguments (what follows its name).

    Returns:
        tuple[np.ndarray, list[str]]: The pixel counts (ground truth by
        prediction) and the class names it would plot.
    """
    spec = importlib.util.spec_from_file_location('confusion_matrix',
                                                  CONFUSION_MATRIX_TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    plotted = {}
    monkeypatch.setattr(
        tool, 'plot_confusion_matrix',
        lambda matrix, labels, **kwargs: plotted.update(
            matrix=matrix, labels=list(labels)))
    monkeypatch.setattr(sys, 'argv', [str(CONFUSION_MATRIX_TOOL), *args])
    monkeypatch.chdir(try_it.workspace)
    tool.main()
    return plotted['matrix'], plotted['labels']


def readme_confusion_matrix_args(try_it):
    """The arguments of the README's confusion_matrix, after its look run."""
{%- if finetunes %}
    try_it.train('mmcls')
{%- endif %}
    try_it.train('mmseg', finetunes={{ finetunes }})
    try_it.look('mmseg')
    command, = (
        command for command in readme_commands('look')
        if ' confusion_matrix ' in command)
    words = shlex.split(command)
    return words[words.index('confusion_matrix') + 1:]


def test_confusion_matrix_matches_the_evaluation(try_it, monkeypatch):
    args = readme_confusion_matrix_args(try_it)
    matrix, classes = confusion_matrix_tool(try_it, monkeypatch, args)

    right = np.diag(matrix)
    iou = 100 * right / (matrix.sum(0) + matrix.sum(1) - right)
    evaluated = per_class_metric(try_it.run('mim test mmseg'), 'IoU')
    # mmseg prints two decimals.
    from_matrix = dict(zip(classes, iou.round(2)))
    assert from_matrix == pytest.approx(evaluated, abs=0.006)


def test_confusion_matrix_needs_the_readme_option(try_it, monkeypatch):
    # mmseg 0.30's tool reads the label maps without reduce_zero_label
    # (open-mmlab/mmsegmentation#1687). If this fails, mmseg reads them
    # right and the docs' --cfg-options can go.
    args = readme_confusion_matrix_args(try_it)
    upstream = args[:args.index('--cfg-options')]
    with pytest.raises(ValueError, match='cannot reshape'):
        confusion_matrix_tool(try_it, monkeypatch, upstream)
{%- endif %}
