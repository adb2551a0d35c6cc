"""Shape the generated project to the answers and print the next steps.

Every path that belongs to one task is listed once, in ``TASK_PATHS``: a
task that was not chosen disappears whole. The pre-gen hook has already
validated the answers.
"""
import json
import shutil
from pathlib import Path

ANSWERS = json.loads(r'''{{ {
    'tasks': cookiecutter.__tasks,
    'backbone_source': cookiecutter.__backbone_source,
    'config_prefix': cookiecutter.__config_prefix,
    'toy_arch': cookiecutter.__toy_arch,
    'project_slug': cookiecutter.project_slug,
} | tojson }}''')

TASK_PATHS = {
    'cls': [
        'configs/cls',
        'data/imagenet',
        'tools/toy_data/cls_imagenet_digits.py',
        'tests/test_train_cls.py',
    ],
    'det': [
        'configs/det',
        'data/coco',
        'tools/toy_data/det_coco_shapes.py',
        'tests/test_train_det.py',
    ],
    'seg': [
        'configs/seg',
        'data/ade',
        'tools/toy_data/seg_ade_shapes.py',
        'tests/test_train_seg.py',
    ],
}
# Paths needed as long as any of the tasks is chosen.
SHARED_PATHS = {
    ('det', 'seg'): [
        'models/layer_decay_optimizer_constructor.py',
        'tests/test_layer_decay_optimizer_constructor.py',
        'tools/toy_data/shapes.py',
    ],
}
CONVNEXT_ONLY_PATHS = ['tests/test_convnext_parity.py']

FIRST_CONFIG = {
    'cls': 'configs/cls/{prefix}-{arch}_toy-digits.py',
    'det': 'configs/det/mask-rcnn_{prefix}-{arch}_fpn_toy-shapes.py',
    'seg': 'configs/seg/upernet_{prefix}-{arch}_toy-shapes.py',
}
TOOLBOX = {'cls': 'mmcls', 'det': 'mmdet', 'seg': 'mmseg'}


def remove(relative_path):
    path = Path(relative_path)
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def unwanted_paths(tasks, backbone_source):
    for task, paths in TASK_PATHS.items():
        if task not in tasks:
            yield from paths
    for users, paths in SHARED_PATHS.items():
        if not set(users) & set(tasks):
            yield from paths
    if backbone_source != 'convnext':
        yield from CONVNEXT_ONLY_PATHS


def next_steps(tasks):
    first = tasks[0]
    config = FIRST_CONFIG[first].format(
        prefix=ANSWERS['config_prefix'], arch=ANSWERS['toy_arch'])
    work_dir = 'work_dirs/' + Path(config).stem
    return '\n'.join([
        '',
        f'Created {ANSWERS["project_slug"]}/ for: {", ".join(tasks)}.',
        'Next steps:',
        f'  cd {ANSWERS["project_slug"]}',
        '  bash tools/install.sh -r requirements/tests.txt  # OpenMMLab 1.x',
        '  export PYTHONPATH=$(pwd)',
        '  python tools/make_toy_data.py    # tiny datasets in data/toy/',
        f'  mim train {TOOLBOX[first]} {config} --work-dir {work_dir} '
        '--seed 0',
        'README.md has the rest of "Try it in 5 minutes" and the commands',
        'for real data, many GPUs and Slurm.',
    ])


def main():
    tasks = ANSWERS['tasks'].split(',')
    for path in unwanted_paths(tasks, ANSWERS['backbone_source']):
        remove(path)
    print(next_steps(tasks))


if __name__ == '__main__':
    main()
