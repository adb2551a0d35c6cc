{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""OpenMMLab's results table of the project's runs, and its metafiles.

For each work dir of a training (``mim train``), per task: the model and its
config; params (M) and FLOPs (G) at the recipe's input size, counted by
``tools/get_flops.py``; inference images per second on this machine, the
rows of one table timed side by side by ``tools/benchmark.py``'s loop; the
metrics of the run's last evaluation, as the toolbox logged them in the
work dir's ``*.log.json`` (the record is named); the checkpoint, under the
name that the toolbox's ``publish_model`` gives it (``<name>_<date>-<first 8
hex digits of its sha256>.pth``, checked against the file) where there is
one. A run that did not finish, or has no evaluation, says so. It then
writes ``configs/<task>/metafile.yml`` and ``model-index.yml``.

Run from the project root::

    PYTHONPATH=$(pwd) python tools/results_table.py work_dirs/*
"""
import argparse
import functools
import hashlib
import json
import re
import statistics
import sys
from pathlib import Path

import torch
import yaml
from benchmark import make_step, time_steps
from get_flops import count_complexity
from mmcv import Config

PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: Per task: the toolbox's model builder, the forward that is counted and
#: timed (as the toolbox's own get_flops counts it), the model-index task,
#: the real and the toy data set, and each metric: its column, its name in
#: the metafile, its key in the log and the factor to OpenMMLab's tables
#: (percent).
TASKS = {}
{%- if 'cls' in tasks %}
TASKS['cls'] = dict(
    builder=('mmcls.models', 'build_classifier'),
    forward='extract_feat',
    task='Image Classification',
    dataset='ImageNet-1k',
    toy_dataset='toy digits',
    metrics=[('Top-1 (%)', 'Top 1 Accuracy', 'accuracy_top-1', 1),
             ('Top-5 (%)', 'Top 5 Accuracy', 'accuracy_top-5', 1)])
{%- endif %}
{%- if 'det' in tasks %}
TASKS['det'] = dict(
    builder=('mmdet.models', 'build_detector'),
    forward='forward_dummy',
    task='Instance Segmentation',
    dataset='COCO',
    toy_dataset='toy shapes',
    metrics=[('box AP', 'box AP', 'bbox_mAP', 100),
             ('mask AP', 'mask AP', 'segm_mAP', 100)])
{%- endif %}
{%- if 'seg' in tasks %}
TASKS['seg'] = dict(
    builder=('mmseg.models', 'build_segmentor'),
    forward='forward_dummy',
    task='Semantic Segmentation',
    dataset='ADE20K',
    toy_dataset='toy shapes',
    metrics=[('mIoU', 'mIoU', 'mIoU', 100), ('mAcc', 'mAcc', 'mAcc', 100)])
{%- endif %}


def read_records(work_dir):
    """The records of the work dir's json logs, oldest run first."""
    records = []
    for log in sorted(work_dir.glob('*.log.json')):
        for number, line in enumerate(log.read_text().splitlines(), 1):
            if line.strip():
                records.append((log, number, json.loads(line)))
    return records


def final_checkpoint(cfg):
    """The name of the checkpoint that the end of the schedule saves."""
    if cfg.runner.type == 'IterBasedRunner':
        return f'iter_{cfg.runner.max_iters}.pth'
    return f'epoch_{cfg.runner.max_epochs}.pth'


def metrics_of(task, cfg, records, finished):
    """The metrics of the last evaluation in the log, and its record.

    Returns:
        tuple[dict, str]: Column -> value (or what stands in its place) and
        the record's description.
    """
    spec = TASKS[task]
    keys = [key for _, _, key, _ in spec['metrics']]
    evaluations = [(log, number, record) for log, number, record in records
                   if record.get('mode') == 'val' and any(key in record
                                                          for key in keys)]
    if not finished:
        return {}, 'not finished'
    if not evaluations:
        return {}, 'no evaluation'
    log, number, record = evaluations[-1]
    values = {
        column: record[key] * scale
        for column, _, key, scale in spec['metrics'] if key in record
    }
    where = 'iter' if cfg.runner.type == 'IterBasedRunner' else 'epoch'
    step = record[where]
    source = (f'{shown(log)}:{number} '
              f'(val, {where} {step})')
    return values, source


def input_shape(task, cfg):
    """``(3, height, width)``: the image size of the recipe's test."""
    if task == 'seg':
        height, width = cfg.crop_size
        return 3, height, width
    size = None
    for step in cfg.data.test.pipeline:
        if task == 'cls' and step.type == 'CenterCrop':
            size = step.crop_size
        elif task == 'cls' and step.type == 'Resize':
            size = step.size
        elif task == 'det' and step.type == 'MultiScaleFlipAug':
            long, short = step.img_scale
            # Padded to the FPN's stride, as the test pads it.
            size = (short, -(-long // 32) * 32)
    if isinstance(size, int):
        size = (size, size)
    return (3, *size)


def build_model(task, cfg):
    module, name = TASKS[task]['builder']
    builder = getattr(__import__(module, fromlist=[name]), name)
    model = builder(cfg.model).eval()
    model.forward = getattr(model, TASKS[task]['forward'])
{%- if 'det' in tasks %}
    if task == 'det':
        model.forward = functools.partial(forward_dummy, model)
{%- endif %}
    return model
{%- if 'det' in tasks %}


def forward_dummy(model, img):
    """mmdet's ``forward_dummy`` of a two-stage detector, on a CPU too.

    mmdet's own passes 1000 random boxes, some of negative size, to the RoI
    head, which mmcv's RoIAlign refuses on a CPU; these are as many boxes,
    inside the image.
    """
    feats = model.extract_feat(img)
    outs = model.rpn_head(feats)
    height, width = img.shape[-2:]
    generator = torch.Generator().manual_seed(0)
    scale = torch.tensor([width, height], dtype=img.dtype) / 2
    corner = torch.rand(1000, 2, generator=generator) * scale
    size = torch.rand(1000, 2, generator=generator) * scale + 1
    proposals = torch.cat([corner, corner + size], dim=1).to(img.device)
    return outs + model.roi_head.forward_dummy(feats, proposals)
{%- endif %}


{% include 'openmmlab/results_table_shared.py' %}
