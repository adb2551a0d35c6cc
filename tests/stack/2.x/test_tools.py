{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The project's tools run on this stack as their docs show.

``tools/get_flops.py`` and ``tools/benchmark.py`` run with small inputs
(seconds on a CPU) and what they print is checked against the model;
the data that ``tools/make_toy_data.py`` made for the toy runs is what the
toy configs read, through the toolboxes' own datasets and pipelines.
"""
import importlib
import importlib.util
import re
import sys

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from mmengine.registry import DefaultScope
from stack_helpers import PROJECT_ROOT, project_env, run

from models import {{ cookiecutter.backbone_name }}

#: The preset the toy configs train: the smallest one.
ARCH = '{{ cookiecutter.__toy_arch }}'
UNITS = {'': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9}


def run_tool(script, *args):
    """Run ``tools/<script>`` from the project root; what it printed."""
    result = run([sys.executable, f'tools/{script}', *args], PROJECT_ROOT,
                 project_env())
    assert result.returncode == 0, result.output[-3000:]
    return result.stdout


def printed_number(pattern, text):
    """A number printed with a unit prefix and 2 decimals: its value."""
    match = re.search(pattern, text)
    assert match, text
    unit = UNITS[match[2]]
    return pytest.approx(float(match[1]) * unit, abs=0.005 * unit)


def test_get_flops_reports_the_model():
    out = run_tool('get_flops.py', '--arch', ARCH, '--shape', '224')
    assert f'arch {ARCH}, input 3x224x224' in out
    model = {{ cookiecutter.backbone_name }}(arch=ARCH)
    params = sum(p.numel() for p in model.parameters())
    assert params == printed_number(r'Params: ([\d.]+) ([kM]?)', out)
{%- if cookiecutter.__backbone_source == 'convnext' %}
    # The same counter on mmpretrain's ConvNeXt: the same network, the same
    # multiply-adds.
    from mmpretrain.models import ConvNeXt as PretrainConvNeXt
    model = PretrainConvNeXt(arch=ARCH)
{%- endif %}
    # Its train() does not return the model.
    model.eval()
    with torch.no_grad():
        analyzer = FlopAnalyzer(model, (torch.randn(1, 3, 224, 224), ))
        flops = analyzer.unsupported_ops_warnings(False).total()
    assert flops == printed_number(r'FLOPs: ([\d.]+) (G)FLOPs', out)


def test_benchmark_prints_a_table_with_ratios():
    # The smallest inputs; a batch of 2 for the BatchNorm of a backbone in
    # training mode, whose last stage is 1x1 at 32 px.
    out = run_tool('benchmark.py', '--device', 'cpu', '--arch', ARCH,
                   '--batch-size', '2', '--img-size', '32', '--iters', '1',
                   '--warmup', '0', '--precisions', 'fp32', '--formats',
                   'nchw', '--references', 'mmpretrain')
    assert re.search(
        r'torch\.compile of {{ cookiecutter.backbone_name }}: '
        r'\d+ graph\(s\), 0 graph break\(s\)', out), out
    rows = re.findall(
        r'^ *(train|infer) \| +fp32 \| +nchw \| +eager \| +([\d.]+) \| '
        r'+([\d.]+) \| +([\d.]+) \(([\d.]+)-([\d.]+)\)$', out, re.M)
    assert [row[0] for row in rows] == ['train', 'infer'], out
    for _, ours, reference, ratio, low, high in rows:
        assert float(ours) > 0 and float(reference) > 0
        assert float(low) <= float(ratio) <= float(high)


def load_generator(task):
    """The generator module of a task's toy data."""
    spec = importlib.util.spec_from_file_location(
        'make_toy_data', PROJECT_ROOT / 'tools' / 'make_toy_data.py')
    make_toy_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_toy_data)
    return make_toy_data.load_generator(task)


#: Each task's toolbox (the scope of its registries) and the folders,
#: under the toy data, of the images of its train and val sets.
TOY_DATA = {
{%- if 'cls' in tasks %}
    'cls': ('mmpretrain', 'imagenet/train', 'imagenet/val'),
{%- endif %}
{%- if 'det' in tasks %}
    'det': ('mmdet', 'coco/train2017', 'coco/val2017'),
{%- endif %}
{%- if 'seg' in tasks %}
    'seg': ('mmseg', 'ade/ADEChallengeData2016/images/training',
            'ade/ADEChallengeData2016/images/validation'),
{%- endif %}
}


@pytest.mark.parametrize('task', list(TOY_DATA))
def test_toy_configs_read_the_toy_data(toy_project, monkeypatch, task):
    scope, *folders = TOY_DATA[task]
    config = sorted((toy_project.path / 'configs' / task).glob('*_toy-*.py'))
    cfg = Config.fromfile(config[0])
    registry = importlib.import_module(f'{scope}.registry').DATASETS
    classes = load_generator(task).CLASSES
    # The configs name the data relative to the project root.
    monkeypatch.chdir(toy_project.path)
    for loader, folder in zip(('train_dataloader', 'val_dataloader'), folders):
        images = [
            path
            for path in (toy_project.path / 'data/toy' / folder).rglob('*')
            if path.suffix in ('.png', '.jpg')
        ]
        with DefaultScope.overwrite_default_scope(scope):
            dataset = registry.build(cfg[loader].dataset)
            sample = dataset[0]
        assert len(dataset) == len(images), (loader, folder)
        assert tuple(dataset.metainfo['classes']) == tuple(classes)
        assert sample['inputs'].shape[0] == 3
        labels = labels_of(task, sample['data_samples'])
        assert labels.numel() and labels.max() < len(classes), labels


def labels_of(task, data_sample):
    """The ground-truth labels of a packed sample, as a tensor."""
    if task == 'cls':
        return data_sample.gt_label
    if task == 'det':
        assert len(data_sample.gt_instances.masks) == len(
            data_sample.gt_instances.labels)
        return data_sample.gt_instances.labels
    labels = data_sample.gt_sem_seg.data.unique()
    return labels[labels != 255]  # the ignored index
