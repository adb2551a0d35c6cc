{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The real configs train and test on data laid out as ``data/`` shows.

``data/`` ships the folders of the real datasets (each holds a
``.gitkeep``). These tests rebuild those folders in a copy of the project,
put a few toy images in them in the real datasets' formats (their file
layouts, annotation files and class names), and run the README's commands
for one GPU or the CPU on every real config: ``mim train`` for a step or
two, then ``mim test`` of the checkpoint it saved. Only the schedule is
shortened, with ``--cfg-options`` appended to the printed command.
{%- if 'cls' in tasks and ('det' in tasks or 'seg' in tasks) %}
Detection and segmentation start from the checkpoint of the
classification run that their ``pretrained`` names, as the README says.
{%- endif %}

The runs take a few minutes on a CPU: the real models at their real input
sizes, on 2 to 8 images.
"""
{% if 'det' in tasks -%}
import json
{% endif -%}
import math
import re
import shutil
import sys

import pytest
{%- if 'det' in tasks or 'seg' in tasks %}
import torch
from mmcv import Config
from project_docs import PROJECT_ROOT, docs_text, readme_code
from stack_helpers import (assert_loaded_classification_checkpoint, succeeded,
                           train_losses)
{%- else %}
from project_docs import PROJECT_ROOT, docs_text, readme_code
from stack_helpers import succeeded, train_losses
{%- endif %}

#: Images put into each split, as (train, val).
SPLIT_SIZES = dict(cls=(8, 4), det=(4, 2), seg=(4, 2))
TOOLBOXES = dict(cls='mmcls', det='mmdet', seg='mmseg')
#: ``--cfg-options`` that shorten a real schedule to a step or two, logged
#: at every step, with an evaluation at its end.
SHORT_SCHEDULES = dict(
    cls=[
        'runner.max_epochs=1', 'evaluation.interval=1', 'log_config.interval=1'
    ],
    det=[
        'runner.max_epochs=1', 'evaluation.interval=1', 'log_config.interval=1'
    ],
    seg=[
        'runner.max_iters=1', 'evaluation.interval=1',
        'checkpoint_config.interval=1', 'log_config.interval=1'
    ])
#: ``--cfg-options`` for testing a model trained for a step: an untrained
#: Mask R-CNN scores every box below the real threshold, which would leave
#: mmdet nothing to evaluate.
UNTRAINED_TEST_CFGS = dict(det=['model.test_cfg.rcnn.score_thr=0.0'])
#: What each toolbox's evaluation prints.
METRICS = dict(
    cls=['accuracy_top-1', 'accuracy_top-5'],
    det=['bbox_mAP', 'segm_mAP'],
    seg=['mIoU'])
TASKS = {{ tasks }}


def real_configs(task):
    """The configs of ``task`` that are not toy ones."""
    configs = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in sorted((PROJECT_ROOT / 'configs' / task).glob('*.py'))
        if '_toy-' not in path.name
    ]
    assert configs, f'no real config in configs/{task}'
    return configs


def config_params(tasks):
    """``(task, config)`` of every real config of ``tasks``, for pytest."""
    return [
        pytest.param(task, config, id=config.split('/')[-1]) for task in tasks
        for config in real_configs(task)
    ]


def work_dir_of(config):
    """``work_dirs/<config name>``: where mim and the configs expect it."""
    return 'work_dirs/' + config.split('/')[-1][:-len('.py')]


def readme_cpu_command(task, tool):
    """The README's command for ``tool`` of ``task`` on one GPU or a CPU.

    For the fp16 recipes that is the form of the README's CPU block.
    """
    start = f'mim {tool} {TOOLBOXES[task]} $CONFIG '
    cpu_block = readme_code('cpu-fp32')
    found = [line for line in cpu_block if line.startswith(start)]
    if found:
        return found[0]
    found = [
        line for line in docs_text().splitlines()
        if line.startswith(start) and '--launcher' not in line
    ]
    assert len(found) == 1, f'docs lines starting {start!r}: {found}'
    return found[0]


def with_cfg_options(command, options):
    """``command`` with ``options`` added to its ``--cfg-options``.

    A second ``--cfg-options`` would replace the first, so the options go
    after the command's own when it has some, which must then end it.
    """
    if not options:
        return command
    words = command.split()
    if '--cfg-options' not in words:
        return ' '.join([command, '--cfg-options', *options])
    own = words[words.index('--cfg-options') + 1:]
    assert own and all('=' in word for word in own), command
    return ' '.join([command, *options])


{%- if 'det' in tasks or 'seg' in tasks %}


def pretrained_of(config):
    """The checkpoint that a det/seg ``config`` starts from, or None."""
    return Config.fromfile(str(PROJECT_ROOT / config)).get('pretrained')
{%- endif %}


def skeleton_folders():
    """The folders under ``data/`` that the project ships, relative to it.

    Each holds a ``.gitkeep``; a glob per depth rather than a recursive one,
    so that real datasets put there are not walked.
    """
    folders = {
        path.parent.relative_to(PROJECT_ROOT).as_posix()
        for depth in range(1, 5)
        for path in (PROJECT_ROOT / 'data').glob('*/' * depth + '.gitkeep')
    }
    assert folders, 'data/ holds no .gitkeep folders'
    return folders


class RealData:
    """A copy of the project with a few images in each ``data/`` folder.

    Files are only ever written into the skeleton's own folders, or into
    subfolders that a dataset's README asks for (ImageNet's one folder per
    class).
    """

    def __init__(self, workspace, toy_project):
        self.workspace = workspace
        self.toy_project = toy_project
        self.skeleton = skeleton_folders()
        for folder in self.skeleton:
            (workspace / folder).mkdir(parents=True)
        self.toy = workspace / 'toy'
        self._outputs = {}

    def place(self, folder, name):
        """The path of file ``name`` in skeleton folder ``folder``."""
        assert folder in self.skeleton, (
            f'data/ lacks {folder}, where the real configs read their data')
        target = self.workspace / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def make_toy_data(self, task):
        command = (f'{sys.executable} tools/make_toy_data.py '
                   f'--out {self.toy} --tasks {task}')
        self.shell(command)
{%- if 'cls' in tasks %}

    def fill_imagenet(self, train_size, val_size):
        """ImageNet-1k: ``train/<class>/``, ``val/``, ``meta/*.txt``."""
        toy = self.toy / 'imagenet'
        for split, size in (('train', train_size), ('val', val_size)):
            ann_file = toy / 'meta' / f'{split}.txt'
            lines = ann_file.read_text().splitlines()[:size]
            for line in lines:
                image = line.split()[0]
                shutil.copy(toy / split / image,
                            self.place(f'data/imagenet/{split}', image))
            meta = self.place('data/imagenet/meta', f'{split}.txt')
            meta.write_text('\n'.join(lines) + '\n')
{%- endif %}
{%- if 'det' in tasks %}

    def fill_coco(self, train_size, val_size):
        """COCO 2017: ``{train,val}2017/`` and ``annotations/*.json``.

        The annotation files list COCO's 80 categories, by whose names
        mmdet's ``CocoDataset`` finds them; the toy shapes become the first
        ones.
        """
        from mmdet.datasets import CocoDataset
        toy = self.toy / 'coco'
        for split, size in (('train2017', train_size), ('val2017', val_size)):
            name = f'instances_{split}.json'
            coco = json.loads((toy / 'annotations' / name).read_text())
            coco['images'] = coco['images'][:size]
            kept = {image['id'] for image in coco['images']}
            coco['annotations'] = [
                ann for ann in coco['annotations'] if ann['image_id'] in kept
            ]
            toy_ids = [category['id'] for category in coco['categories']]
            assert toy_ids == list(range(1, len(toy_ids) + 1)), toy_ids
            coco['categories'] = [
                dict(id=i, name=name)
                for i, name in enumerate(CocoDataset.CLASSES, start=1)
            ]
            for image in coco['images']:
                file_name = image['file_name']
                shutil.copy(toy / split / file_name,
                            self.place(f'data/coco/{split}', file_name))
            annotations = self.place('data/coco/annotations', name)
            annotations.write_text(json.dumps(coco))
{%- endif %}
{%- if 'seg' in tasks %}

    def fill_ade(self, train_size, val_size):
        """ADE20K: ``{images,annotations}/{training,validation}/``.

        The label maps hold 0 for "other" and ``k`` for ADE20K's class
        ``k - 1``, as the real ones do.
        """
        toy = self.toy / 'ade' / 'ADEChallengeData2016'
        root = 'data/ade/ADEChallengeData2016'
        for split, size in (('training', train_size), ('validation',
                                                       val_size)):
            for image in sorted((toy / 'images' / split).glob('*.jpg'))[:size]:
                label = f'{image.stem}.png'
                shutil.copy(image,
                            self.place(f'{root}/images/{split}', image.name))
                shutil.copy(toy / 'annotations' / split / label,
                            self.place(f'{root}/annotations/{split}', label))
{%- endif %}

    def shell(self, command):
        """Run ``command`` in the copy; its output."""
        return succeeded(self.toy_project.shell(command, cwd=self.workspace))

    def run(self, command):
        """Run ``command`` in the copy once; its output."""
        if command not in self._outputs:
            self._outputs[command] = self.shell(command)
        return self._outputs[command]

    def train(self, task, config):
        """Train ``config`` for a step with the README's command."""
        options = SHORT_SCHEDULES[task] + UNTRAINED_TEST_CFGS.get(task, [])
{%- if 'det' in tasks or 'seg' in tasks %}
        if task != 'cls':
            options += self.make_pretrained(config)
{%- endif %}
        command = readme_cpu_command(task, 'train').replace(
            '$CONFIG', config).replace('$WORK_DIR', work_dir_of(config))
        return self.run(with_cfg_options(command, options))
{%- if 'det' in tasks or 'seg' in tasks %}

    def make_pretrained(self, config):
        """Make the checkpoint that the det/seg ``config`` starts from.

        Returns:
            list[str]: The ``--cfg-options`` that the run then needs.
        """
        pretrained = pretrained_of(config)
        if not pretrained:
            return []
{%- if 'cls' in tasks %}
        if pretrained.startswith('work_dirs/'):
            # The classification run that the config starts from.
            cls_config = f'configs/cls/{pretrained.split("/")[1]}.py'
            assert (PROJECT_ROOT / cls_config).is_file(), (
                f'{config} starts from {pretrained}, which no '
                'classification config of this project trains')
            assert f'{work_dir_of(cls_config)}/latest.pth' == pretrained
            self.train('cls', cls_config)
            return []
{%- endif %}
        # OpenMMLab's checkpoint, which the tests do not download: a
        # classifier checkpoint of the same backbone, untrained, stands in.
        path = 'work_dirs/pretrained-stand-in.pth'
        if not (self.workspace / path).is_file():
            from mmcls.models import build_backbone
            backbone_cfg = Config.fromfile(str(PROJECT_ROOT /
                                               config)).model.backbone
            backbone_cfg.type = backbone_cfg.type.split('.')[-1]
            backbone_cfg.init_cfg = None
            state_dict = {
                f'backbone.{key}': value
                for key, value in build_backbone(
                    backbone_cfg).state_dict().items()
            }
            (self.workspace / 'work_dirs').mkdir(exist_ok=True)
            torch.save(dict(state_dict=state_dict), self.workspace / path)
        return [f'model.backbone.init_cfg.checkpoint={path}']
{%- endif %}

    def test(self, task, config):
        """Test the checkpoint of :meth:`train` with the README's command."""
        self.train(task, config)
        command = readme_cpu_command(task, 'test').replace(
            '$CONFIG', config).replace('$CHECKPOINT',
                                       f'{work_dir_of(config)}/latest.pth')
        return self.run(
            with_cfg_options(command, UNTRAINED_TEST_CFGS.get(task, [])))


@pytest.fixture(scope='module')
def real_data(tmp_path_factory, copy_project, toy_project):
    workspace = tmp_path_factory.mktemp('real-data')
    copy_project(workspace)
    data = RealData(workspace, toy_project)
{%- for task, fill in [('cls', 'fill_imagenet'), ('det', 'fill_coco'), ('seg', 'fill_ade')] if task in tasks %}
    data.make_toy_data('{{ task }}')
    data.{{ fill }}(*SPLIT_SIZES['{{ task }}'])
{%- endfor %}
    return data


def printed_numbers(output, name):
    """The values printed for metric ``name`` (``name: 0.1``, tables)."""
    # ``name: 0.1`` (mmcls) or ``('name', 0.1)`` (mmdet's printed dict).
    values = re.findall(rf"\b{re.escape(name)}'?\s*[:=,]\s*(nan|[-\d.]+)",
                        output)
    lines = output.splitlines()
    for i, line in enumerate(lines):  # mmseg's table: | aAcc | mIoU | ...
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if line.startswith('|') and name in cells and i + 2 < len(lines):
            row = lines[i + 2].strip().strip('|').split('|')
            values.append(row[cells.index(name)].strip())
    return [float(value) for value in values]


@pytest.mark.parametrize('task, config', config_params(TASKS))
def test_trains_on_the_data_layout(real_data, task, config):
    output = real_data.train(task, config)
    work_dir = real_data.workspace / work_dir_of(config)
    assert (work_dir / 'latest.pth').is_file(), output[-3000:]
    losses = train_losses(work_dir)
    assert losses and all(math.isfinite(loss) for loss in losses), losses


@pytest.mark.parametrize('task, config', config_params(TASKS))
def test_tests_its_checkpoint_on_the_data_layout(real_data, task, config):
    output = real_data.test(task, config)
    # The progress bar counts the test images: all of those written.
    tested = re.findall(r'\] (\d+)/(\d+), ', output)
    val_size = SPLIT_SIZES[task][1]
    assert tested and tested[-1] == (str(val_size), str(val_size)), \
        output[-3000:]
    for metric in METRICS[task]:
        assert printed_numbers(output, metric), f'no {metric}:\n' + \
            output[-3000:]
{%- if 'det' in tasks or 'seg' in tasks %}


@pytest.mark.parametrize(
    'task, config', config_params(task for task in TASKS if task != 'cls'))
def test_starts_from_its_pretrained_checkpoint(real_data, task, config):
    pretrained = pretrained_of(config)
    output = real_data.train(task, config)
    if pretrained:
        assert_loaded_classification_checkpoint(output)
    else:
        assert 'load backbone' not in output, output[-3000:]
{%- endif %}
