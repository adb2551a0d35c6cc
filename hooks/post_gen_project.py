"""Shape the generated project to the answers and print the next steps.

Every path that belongs to one task is listed once, in ``TASK_PATHS``: a
task that was not chosen disappears whole. The pre-gen hook has already
validated the answers on their own; this hook refuses a backbone name that
clashes with a name in the generated code, which only exists now. It runs
first in the pre-gen hook's scratch bake, so that it refuses before the real
bake writes anything.
"""
import ast
import json
import os
import shutil
import sys
from pathlib import Path

ANSWERS = json.loads(r'''{{ {
    'tasks': cookiecutter.__tasks,
    'backbone_name': cookiecutter.backbone_name,
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
# Where the project's Python code lives, besides sitecustomize.py.
CODE_FOLDERS = ('configs', 'models', 'tests', 'tools')
# Set by the pre-gen hook for its scratch bake.
TRIAL_BAKE_VARIABLE = 'MMBACKBONE_TEMPLATE_TRIAL_BAKE'


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


def bound_names(node):
    """The names that an AST node binds in its scope."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        for alias in node.names:
            yield alias.asname or alias.name.split('.')[0]
    elif isinstance(node,
                    (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        yield node.name
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        yield node.id
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name


def generated_modules():
    """The Python files of the project's code, as the template lays it out.

    Only these: a bake over an existing folder (``-f``) may find a virtual
    environment or other files of the user's there.
    """
    yield from sorted(Path('.').glob('*.py'))
    for folder in CODE_FOLDERS:
        yield from sorted(Path(folder).rglob('*.py'))


def module_binding_twice(name):
    """The first generated module that binds ``name`` more than once.

    The backbone's class is defined once and imported once by each module
    that uses it; any other binding of its name (mmcv's ``Sequential`` in
    the backbone's code, ``Path`` in the tests) would replace one of them.
    """
    for path in generated_modules():
        try:
            tree = ast.parse(path.read_text(encoding='utf-8'))
        except (SyntaxError, UnicodeDecodeError, ValueError):
            # Not a file of the template's, which all parse: a file of the
            # user's in a folder baked over with -f.
            continue
        bindings = [
            bound for node in ast.walk(tree) for bound in bound_names(node)
            if bound == name
        ]
        if len(bindings) > 1:
            return path
    return None


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
    clash = module_binding_twice(ANSWERS['backbone_name'])
    if clash:
        print(
            f"ERROR: backbone_name {ANSWERS['backbone_name']!r} is already a "
            f'name in the generated {clash}: choose another class name such '
            'as MyNet',
            file=sys.stderr)
        return 1
    if not os.environ.get(TRIAL_BAKE_VARIABLE):
        print(next_steps(tasks))
    return 0


if __name__ == '__main__':
    sys.exit(main())
