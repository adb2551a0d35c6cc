{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""Tests of ``tools/make_toy_data.py`` and its generators.

The per-task tests are parametrized over the generators this project has
(``tools/toy_data/*.py``), so a project without, say, detection simply has
no detection cases.
"""
import hashlib
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

{% if 'det' in tasks or 'seg' in tasks -%}
import numpy as np
{% endif -%}
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / 'tools' / 'make_toy_data.py'


def _load_command():
    spec = importlib.util.spec_from_file_location('make_toy_data', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_toy_data = _load_command()
TASKS = make_toy_data.available_tasks()


def _run(*args, script=SCRIPT):
    return subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT)


def _tree_hash(folder):
    """SHA-256 over the relative paths and bytes of every file in folder."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob('*') if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b'\0')
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _task_root(out, task):
    return Path(out) / make_toy_data.load_generator(task).FOLDER


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """The output of one run of the command with all tasks, seed 0."""
    out = tmp_path_factory.mktemp('toy')
    result = _run('--out', out, '--seed', 0)
    assert result.returncode == 0, result.stderr
    return out, result.stdout


def test_has_generators():
    assert TASKS, 'tools/toy_data/ holds no generator'
    for task in TASKS:
        module = make_toy_data.load_generator(task)
        assert module.__doc__ and module.CLASSES and module.FOLDER
        assert callable(module.generate)


def test_command_prints_where(toy):
    out, stdout = toy
    for task in TASKS:
        assert f'{task}: wrote ' in stdout
        assert str(_task_root(out, task)) in stdout


@pytest.mark.parametrize('task', TASKS)
def test_deterministic_and_idempotent(toy, tmp_path, task):
    out, _ = toy
    module = make_toy_data.load_generator(task)
    expected = _tree_hash(_task_root(out, task))
    module.generate(tmp_path, seed=0)
    stray = _task_root(tmp_path, task) / 'stray.txt'
    stray.write_text('left over from an earlier run')
    module.generate(tmp_path, seed=0)
    assert not stray.exists()
    assert _tree_hash(_task_root(tmp_path, task)) == expected
    module.generate(tmp_path, seed=1)
    assert _tree_hash(_task_root(tmp_path, task)) != expected


def test_rejects_unknown_task(tmp_path):
    result = _run('--out', tmp_path, '--tasks', 'nope')
    assert result.returncode == 2
    error = result.stderr.strip().splitlines()[-1]
    assert "no toy data for 'nope'" in error
    assert ', '.join(TASKS) in error
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize('args, message', [
    ('--seed -1', '--seed must be in [0, 2**32), got -1'),
    (f'--seed {2**32}', f'--seed must be in [0, 2**32), got {2**32}'),
    ('--out {file}', '--out {file}: {file} is a file, not a folder'),
    ('--out {file}/toy', '--out {file}/toy: {file} is a file, not a folder'),
])
def test_rejects_bad_arguments(tmp_path, args, message):
    file = tmp_path / 'notes.txt'
    file.write_text('not a folder')
    result = _run(*args.format(file=file).split(), '--tasks', TASKS[0])
    assert result.returncode == 2, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert error == 'make_toy_data.py: error: ' + message.format(file=file)
    assert list(tmp_path.iterdir()) == [file]


def test_missing_generator_is_not_offered(tmp_path):
    """A project with one task only offers that task."""
    task = TASKS[0]
    tools = tmp_path / 'tools'
    (tools / 'toy_data').mkdir(parents=True)
    shutil.copy(SCRIPT, tools)
    others = set(make_toy_data.generators().values())
    others.remove(make_toy_data.generators()[task])
    # The package's helpers come along; the other tasks' generators do not.
    for path in (ROOT / 'tools' / 'toy_data').glob('*.py'):
        if path.stem not in others:
            shutil.copy(path, tools / 'toy_data')
    script = tools / SCRIPT.name
    result = _run('--help', script=script)
    assert result.returncode == 0, result.stderr
    offered = [
        t for t in make_toy_data.generators() if f'\n  {t}: ' in result.stdout
    ]
    assert offered == [task]
    for other in make_toy_data.generators():
        if other != task:
            result = _run(
                '--out', tmp_path / 'out', '--tasks', other, script=script)
            assert result.returncode == 2
            assert f'(choose from {task})' in result.stderr

{%- if 'cls' in tasks %}


def _check_cls(root, module):
    classes = (root / 'meta' / 'classes.txt').read_text().split()
    assert tuple(classes) == module.CLASSES
    counts = {}
    for split in ('train', 'val'):
        lines = (root / 'meta' / f'{split}.txt').read_text().splitlines()
        files = sorted(
            p.relative_to(root / split).as_posix()
            for p in (root / split).rglob('*.png'))
        assert sorted(line.rsplit(' ', 1)[0] for line in lines) == files
        labels = []
        for line in lines:
            rel_path, label = line.rsplit(' ', 1)
            assert rel_path.split('/')[0] == classes[int(label)]
            labels.append(int(label))
        assert set(labels) == set(range(len(classes)))
        with Image.open(root / split / files[0]) as image:
            assert image.mode == 'RGB' and image.size == (32, 32)
        counts[split] = len(lines)
    assert counts == _digits_split_sizes(module)


def _digits_split_sizes(module):
    from sklearn.datasets import load_digits
    num_val = module.NUM_VAL
    return dict(train=len(load_digits().target) - num_val, val=num_val)
{%- endif %}

{%- if 'det' in tasks %}


def _check_det(root, module):
    from pycocotools.coco import COCO
    image_ids, ann_ids = set(), set()
    for split in ('train2017', 'val2017'):
        coco = COCO(str(root / 'annotations' / f'instances_{split}.json'))
        cats = coco.loadCats(coco.getCatIds())
        assert [(c['id'], c['name'])
                for c in cats] == list(enumerate(module.CLASSES, 1))
        assert len(coco.getImgIds()) == len(list((root / split).iterdir()))
        for img in coco.loadImgs(coco.getImgIds()):
            assert img['id'] not in image_ids
            image_ids.add(img['id'])
            with Image.open(root / split / img['file_name']) as image:
                assert image.size == (img['width'], img['height'])
            anns = coco.loadAnns(coco.getAnnIds(imgIds=[img['id']]))
            assert 1 <= len(anns) <= 3
            for ann in anns:
                assert ann['id'] not in ann_ids
                ann_ids.add(ann['id'])
                x, y, w, h = ann['bbox']
                assert 0 <= x and 0 <= y and w > 0 and h > 0
                assert x + w <= img['width'] and y + h <= img['height']
                assert ann['iscrowd'] == 0 and ann['area'] > 0
                (polygon, ) = ann['segmentation']
                assert len(polygon) >= 6 and len(polygon) % 2 == 0
                mask = coco.annToMask(ann)
                assert abs(int(mask.sum()) - ann['area']) < 0.2 * ann['area']
            _check_shapes_on_their_masks(
                root / split / img['file_name'],
                [coco.annToMask(ann).astype(bool) for ann in anns])
{%- endif %}

{%- if 'seg' in tasks %}


def _check_seg(root, module):
    root = root / 'ADEChallengeData2016'
    for split in ('training', 'validation'):
        images = sorted(p.stem for p in (root / 'images' / split).iterdir())
        labels = sorted(
            p.stem for p in (root / 'annotations' / split).iterdir())
        assert images == labels and images
        assert all(
            (root / 'images' / split / f'{s}.jpg').is_file() for s in images)
        for stem in images:
            with Image.open(root / 'annotations' / split / f'{stem}.png') as m:
                assert m.mode == 'L'
                labels = np.asarray(m)
            values = np.unique(labels)
            assert values.min() >= 0 and values.max() <= len(module.CLASSES)
            # Label 1 is the background; 2, 3, ... the shapes.
            _check_shapes_on_their_masks(
                root / 'images' / split / f'{stem}.jpg',
                [labels == value for value in values if value >= 2])
{%- endif %}


{%- if 'det' in tasks or 'seg' in tasks %}


def _check_shapes_on_their_masks(image_path, masks):
    """Each mask covers a shape: pixels far in colour from the background.

    The generators draw every shape in a colour at least 140 apart (L1)
    from the background colour; noise (clipped at 0 and 255), JPEG's
    chroma subsampling and anti-aliased edges blur that, so a quarter of it
    must remain between the mean colours. A mask misplaced on the
    background keeps far less.
    """
    with Image.open(image_path) as image:
        pixels = np.asarray(image.convert('RGB'), dtype=np.float64)
    background = ~np.any(masks, axis=0)
    assert background.mean() > 0.3, 'shapes cover most of the image'
    background_colour = pixels[background].mean(axis=0)
    for mask in masks:
        distance = np.abs(pixels[mask].mean(axis=0) - background_colour).sum()
        assert distance >= 40, f'{image_path.name}: a mask on the background'
{%- endif %}


CHECKS = {
{%- for task in tasks %}
    '{{ task }}': _check_{{ task }},
{%- endfor %}
}


@pytest.mark.filterwarnings('ignore::DeprecationWarning:pycocotools')
@pytest.mark.parametrize('task', TASKS)
def test_layout(toy, task):
    out, _ = toy
    CHECKS[task](_task_root(out, task), make_toy_data.load_generator(task))

{%- if 'cls' in tasks %}


def _load_cls(root, classes):
    from mmcls.datasets import build_dataset
    sizes = _digits_split_sizes(make_toy_data.load_generator('cls'))
    for split, num in sizes.items():
        dataset = build_dataset(
            dict(
                type='CustomDataset',
                data_prefix=str(root / split),
                ann_file=str(root / 'meta' / f'{split}.txt'),
                classes=classes,
                pipeline=[dict(type='LoadImageFromFile')]))
        assert len(dataset) == num
        assert dataset[0]['img'].shape == (32, 32, 3)
{%- endif %}

{%- if 'det' in tasks %}


def _load_det(root, classes):
    from mmdet.datasets import build_dataset
    for split in ('train2017', 'val2017'):
        dataset = build_dataset(
            dict(
                type='CocoDataset',
                ann_file=str(root / 'annotations' / f'instances_{split}.json'),
                img_prefix=str(root / split),
                classes=classes,
                pipeline=[]))
        assert dataset.CLASSES == classes and len(dataset) > 0
        labels = np.concatenate(
            [dataset.get_ann_info(i)['labels'] for i in range(len(dataset))])
        assert set(labels.tolist()) <= set(range(len(classes)))
{%- endif %}

{%- if 'seg' in tasks %}


def _load_seg(root, classes):
    from mmseg.datasets import build_dataset
    for split in ('training', 'validation'):
        dataset = build_dataset(
            dict(
                type='CustomDataset',
                data_root=str(root / 'ADEChallengeData2016'),
                img_dir=f'images/{split}',
                ann_dir=f'annotations/{split}',
                img_suffix='.jpg',
                seg_map_suffix='.png',
                reduce_zero_label=True,
                classes=classes,
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='LoadAnnotations', reduce_zero_label=True)
                ]))
        assert len(dataset) > 0
        seg = dataset[0]['gt_semantic_seg']
        values = set(np.unique(seg).tolist()) - {255}
        assert values <= set(range(len(classes)))
{%- endif %}


LOADERS = {
{%- for task in tasks %}
    '{{ task }}': _load_{{ task }},
{%- endfor %}
}


@pytest.mark.parametrize('task', TASKS)
def test_loads_in_openmmlab(toy, task):
    out, _ = toy
    classes = make_toy_data.load_generator(task).CLASSES
    LOADERS[task](_task_root(out, task), classes)
