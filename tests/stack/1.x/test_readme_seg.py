{%- set finetunes = 'cls' in cookiecutter.__tasks.split(',') -%}
"""The README's segmentation commands resume, rerun and draw as printed."""
import importlib.util
import shlex
import sys
from pathlib import Path

import mmseg
import numpy as np
import pytest
from PIL import Image
from project_docs import readme_commands

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
