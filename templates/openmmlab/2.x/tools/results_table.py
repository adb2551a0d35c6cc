{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""OpenMMLab's results table of the project's runs, and its metafiles.

For each work dir of a training (``mim train``), per task: the model and its
config; params (M) and FLOPs (G) at the recipe's input size, counted by
``tools/get_flops.py``; inference images per second on this machine, the
rows of one table timed side by side by ``tools/benchmark.py``'s loop; the
metrics of the run's last evaluation, as the toolbox logged them in the
work dir's ``*/vis_data/scalars.json`` (the record is named); the
checkpoint, under the name that the toolbox's ``publish_model`` gives it
(``<name>_<date>-<first 8 hex digits of its sha256>.pth``, checked against
the file) where there is one. A run that did not finish, or has no
evaluation, says so. It then writes ``configs/<task>/metafile.yml`` and
``model-index.yml``.

Run from the project root::

    PYTHONPATH=$(pwd) python tools/results_table.py work_dirs/*
"""
import argparse
import functools
import hashlib
import importlib
import json
import re
import statistics
import sys
from pathlib import Path

import torch
import yaml
from benchmark import make_step, time_steps
from get_flops import count_complexity
from mmengine.config import Config
from mmengine.registry import DefaultScope

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: Per task: the toolbox's registry scope, the forward that is counted and
#: timed (as the toolbox's own get_flops counts it), the model-index task,
#: the real and the toy data set, and each metric: its column, its name in
#: the metafile, its key in the log and the factor to OpenMMLab's tables
#: (percent).
TASKS = {}
{%- if 'cls' in tasks %}
TASKS['cls'] = dict(
    scope='mmpretrain',
    forward='extract_feat',
    task='Image Classification',
    dataset='ImageNet-1k',
    toy_dataset='toy digits',
    metrics=[('Top-1 (%)', 'Top 1 Accuracy', 'accuracy/top1', 1),
             ('Top-5 (%)', 'Top 5 Accuracy', 'accuracy/top5', 1)])
{%- endif %}
{%- if 'det' in tasks %}
TASKS['det'] = dict(
    scope='mmdet',
    forward='_forward',
    task='Instance Segmentation',
    dataset='COCO',
    toy_dataset='toy shapes',
    metrics=[('box AP', 'box AP', 'coco/bbox_mAP', 100),
             ('mask AP', 'mask AP', 'coco/segm_mAP', 100)])
{%- endif %}
{%- if 'seg' in tasks %}
TASKS['seg'] = dict(
    scope='mmseg',
    forward='_forward',
    task='Semantic Segmentation',
    dataset='ADE20K',
    toy_dataset='toy shapes',
    metrics=[('mIoU', 'mIoU', 'mIoU', 1), ('mAcc', 'mAcc', 'mAcc', 1)])
{%- endif %}


def read_records(work_dir):
    """The records of the work dir's json logs, oldest run first."""
    records = []
    # mmengine's LocalVisBackend: a folder per run, named by its start.
    for log in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for number, line in enumerate(log.read_text().splitlines(), 1):
            if line.strip():
                records.append((log, number, json.loads(line)))
    return records


def final_checkpoint(cfg):
    """The name of the checkpoint that the end of the schedule saves."""
    if cfg.train_cfg.get('by_epoch', True) and 'max_epochs' in cfg.train_cfg:
        return f'epoch_{cfg.train_cfg.max_epochs}.pth'
    return f'iter_{cfg.train_cfg.max_iters}.pth'


def metrics_of(task, cfg, records, finished):
    """The metrics of the last evaluation in the log, and its record.

    Returns:
        tuple[dict, str]: Column -> value (or what stands in its place) and
        the record's description.
    """
    spec = TASKS[task]
    keys = [key for _, _, key, _ in spec['metrics']]
    evaluations = [(log, number, record) for log, number, record in records
                   if any(key in record for key in keys)]
    if not finished:
        return {}, 'not finished'
    if not evaluations:
        return {}, 'no evaluation'
    log, number, record = evaluations[-1]
    values = {
        column: record[key] * scale
        for column, _, key, scale in spec['metrics'] if key in record
    }
    # mmengine logs an evaluation at the epoch, or iteration, it followed.
    where = 'epoch' if final_checkpoint(cfg).startswith('epoch') else 'iter'
    source = f'{shown(log)}:{number} (val, {where} {record["step"]})'
    return values, source


def input_shape(task, cfg):
    """``(3, height, width)``: the image size of the recipe's test."""
    if task == 'seg':
        height, width = cfg.crop_size
        return 3, height, width
    size = None
    for step in cfg.test_dataloader.dataset.pipeline:
        if task == 'cls' and step.type == 'CenterCrop':
            size = step.crop_size
        elif task == 'cls' and step.type == 'Resize':
            size = step.scale
        elif task == 'det' and step.type == 'Resize':
            long, short = step.scale
            # Padded to the FPN's stride, as the test pads it.
            size = (short, -(-long // 32) * 32)
    if isinstance(size, int):
        size = (size, size)
    return (3, *size)


def build_model(task, cfg):
    """The config's model, as the runner builds it, in eval mode.

    Its ``forward`` takes a batch of images and runs what the toolbox's own
    ``get_flops.py`` counts.
    """
    scope = TASKS[task]['scope']
    registry = importlib.import_module(f'{scope}.registry').MODELS
    importlib.import_module(f'{scope}.utils').register_all_modules()
    model = cfg.model.copy()
    # The runner hands a top-level data_preprocessor to the model.
    if cfg.get('data_preprocessor') is not None:
        model.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(scope):
        model = registry.build(model).eval()
    forward = getattr(model, TASKS[task]['forward'])
{%- if 'det' in tasks %}
    if task == 'det':
        # The RPN and RoI heads read the image sizes from the samples.
        from mmdet.structures import DetDataSample
        _, height, width = input_shape(task, cfg)
        size = (height, width)
        sample = DetDataSample(
            metainfo=dict(
                img_shape=size,
                ori_shape=size,
                pad_shape=size,
                batch_input_shape=size,
                scale_factor=(1., 1.)))
        forward = functools.partial(forward, batch_data_samples=[sample])
{%- endif %}
    model.forward = forward
    return model


{% include 'openmmlab/results_table_shared.py' %}
