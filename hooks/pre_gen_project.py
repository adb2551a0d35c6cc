"""Validate every answer before cookiecutter writes the project.

Answers arrive through ``tojson`` so that quotes, backslashes or braces in
them cannot change this code. A bad answer prints one line naming the bad
value and what is allowed, and exits 1; cookiecutter then removes the
half-created project folder.

The answers are checked on their own first. Then the whole project is baked
once into a scratch folder, hooks included, so that the post-gen hook's
check of the backbone name against the generated code also refuses before
anything is written: a bake over an existing project (``-f``) is left as it
was.
"""
import builtins
import json
import keyword
import logging
import os
import re
import sys
import tempfile

KNOWN_TASKS = ('cls', 'det', 'seg')
BACKBONE_CODES = ('skeleton', 'convnext')
# The names mmcls 0.25 registers in its model registry, where the backbone
# registers too. Taking one would replace mmcls's own model in every config
# that names it; ConvNeXt is the one replacement this template intends.
# tests/test_bad_answers.py compares this list with the installed mmcls.
MMCLS_MODEL_NAMES = (
    'AlexNet', 'AsymmetricLoss', 'CSPDarkNet', 'CSPResNeXt', 'CSPResNet',
    'CSRAClsHead', 'ClsHead', 'Conformer', 'ConformerHead', 'ConvMixer',
    'ConvNeXt', 'CrossEntropyLoss', 'DeiTClsHead', 'DenseNet',
    'DistilledVisionTransformer', 'EfficientFormer', 'EfficientFormerClsHead',
    'EfficientNet', 'FocalLoss', 'GeneralizedMeanPooling',
    'GlobalAveragePooling', 'HRFuseScales', 'HRNet', 'HorNet',
    'ImageClassifier', 'LabelSmoothLoss', 'LeNet5', 'LinearClsHead', 'MViT',
    'MlpMixer', 'MobileNetV2', 'MobileNetV3', 'MultiLabelClsHead',
    'MultiLabelLinearClsHead', 'PCPVT', 'PoolFormer', 'RegNet', 'RepMLPNet',
    'RepVGG', 'Res2Net', 'ResNeSt', 'ResNeXt', 'ResNet', 'ResNetV1c',
    'ResNetV1d', 'ResNet_CIFAR', 'SEResNeXt', 'SEResNet', 'SVT', 'SeesawLoss',
    'ShuffleNetV1', 'ShuffleNetV2', 'StackedLinearClsHead', 'SwinTransformer',
    'SwinTransformerV2', 'T2T_ViT', 'TIMMBackbone', 'TNT', 'VAN', 'VGG',
    'VisionTransformer', 'VisionTransformerClsHead')
REPLACEABLE_MMCLS_MODELS = ('ConvNeXt', )
# What the project itself keeps in models/ beside the backbone's module,
# which the backbone's module must not overwrite or shadow: its other modules
# (tests/test_bad_answers.py compares them with the template) and the
# models/<task>/ packages its README suggests for a task's own neck, head or
# loss. A class name that clashes with a name in the generated code is found
# by the post-gen hook, which reads that code.
PROJECT_MODULES = ('layer_decay_optimizer_constructor', 'torch2_compat')
# The generated code keeps OpenMMLab's 79-character lines for class names up
# to this length (tests/test_bake.py lints bakes with the longest).
MAX_NAME_LENGTH = 30
# Set for the hooks of the scratch bake (the post-gen hook reads it too).
TRIAL_BAKE_VARIABLE = 'MMBACKBONE_TEMPLATE_TRIAL_BAKE'

ANSWERS = json.loads(r'''{{ {
    'backbone_name': cookiecutter.backbone_name,
    'backbone_module': cookiecutter.__backbone_module,
    'backbone_code': cookiecutter.backbone_code,
    'tasks': cookiecutter.tasks,
    'project_slug': cookiecutter.project_slug,
} | tojson }}''')
CONTEXT = json.loads(r'''{{ cookiecutter | tojson }}''')
TEMPLATE_DIR = json.loads(r'''{{ template_dir | tojson }}''')


def check_backbone_name(name, module):
    if not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', name) or not name.isascii():
        return (f'backbone_name {name!r} is not a valid Python class name: '
                'use ASCII letters, digits and _, not starting with a digit '
                '(e.g. MyNet)')
    if len(name) > MAX_NAME_LENGTH:
        return (f'backbone_name {name!r} has {len(name)} characters: use at '
                f'most {MAX_NAME_LENGTH}, so that the generated code fits in '
                '79-character lines')
    if name.startswith('__') and not name.endswith('__'):
        return (f'backbone_name {name!r} starts with __, which Python '
                'mangles inside a class body, where the generated code uses '
                'the name: choose a class name such as MyNet')
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return (f'backbone_name {name!r} is a Python keyword: choose a class '
                'name such as MyNet')
    if name in ('BaseModule', 'BaseBackbone', 'Module'):
        return (f'backbone_name {name!r} would shadow the base class it '
                'derives from: choose another class name such as MyNet')
    if name in dir(builtins):
        return (f'backbone_name {name!r} is a Python builtin, which the '
                'backbone\'s code uses: choose another class name such as '
                'MyNet')
    if name in MMCLS_MODEL_NAMES and name not in REPLACEABLE_MMCLS_MODELS:
        return (f'backbone_name {name!r} is already a model of mmcls and '
                'would replace it in its registry: choose another class name '
                'such as MyNet (of mmcls\'s own names, only ConvNeXt may be '
                'taken)')
    if module == name:
        return (f'backbone_name {name!r} is also the name of its module, '
                f'models/{module}.py, which the class would hide in the '
                'models package: use a CamelCase class name such as MyNet')
    if module in KNOWN_TASKS:
        return (f'backbone_name {name!r} would be written to '
                f'models/{module}.py, which would shadow the models/{module}/ '
                f'package the README keeps for {module} extras: choose '
                'another class name such as MyNet')
    if module in PROJECT_MODULES:
        return (f'backbone_name {name!r} would be written to '
                f'models/{module}.py and overwrite the project\'s own module: '
                'choose another class name such as MyNet')
    return None


def check_backbone_code(code):
    if code not in BACKBONE_CODES:
        return (f'backbone_code {code!r} is not one of '
                f'{", ".join(BACKBONE_CODES)}')
    return None


def check_tasks(tasks):
    words = [word for word in re.split(r'[\s,]+', tasks.strip()) if word]
    allowed = ', '.join(KNOWN_TASKS)
    if not words:
        return f'tasks {tasks!r} is empty: choose any of {allowed}'
    unknown = [word for word in words if word.lower() not in KNOWN_TASKS]
    if unknown:
        return (f'tasks {tasks!r} names unknown task(s) '
                f'{", ".join(map(repr, unknown))}: choose any of {allowed}, '
                'separated by commas or spaces')
    return None


def check_project_slug(slug):
    # The slug is made from project_name unless given: say so, since the
    # user may only have typed the name.
    if not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_-]*', slug):
        return (f'project_slug {slug!r} is not a valid folder and package '
                'name: use ASCII letters, digits, _ and -, starting with a '
                'letter or _ (e.g. my_net_backbone), as project_slug or in '
                'the project_name it is made from')
    if keyword.iskeyword(slug.replace('-', '_')):
        return (f'project_slug {slug!r} is a Python keyword, which cannot '
                'name a package: give another project_slug (e.g. '
                f'{slug}_backbone) or a project_name to make it from')
    return None


def trial_bake():
    """Bake the project into a scratch folder, with both hooks.

    Returns:
        bool: False if a hook of the scratch bake refused (it has printed
        why); True otherwise.
    """
    from cookiecutter.exceptions import FailedHookException
    from cookiecutter.generate import generate_files

    sys.path.insert(0, TEMPLATE_DIR)  # for local_extensions
    # A refusal is told once, by the failing hook and then the real bake's
    # cookiecutter: not also by this one's log of the scratch bake's hook.
    logging.getLogger('cookiecutter').setLevel(logging.CRITICAL + 1)
    os.environ[TRIAL_BAKE_VARIABLE] = '1'
    with tempfile.TemporaryDirectory() as scratch:
        try:
            generate_files(
                repo_dir=TEMPLATE_DIR,
                context={'cookiecutter': CONTEXT},
                output_dir=scratch)
        except FailedHookException:
            return False
    return True


def main():
    errors = [
        check_backbone_name(ANSWERS['backbone_name'],
                            ANSWERS['backbone_module']),
        check_backbone_code(ANSWERS['backbone_code']),
        check_tasks(ANSWERS['tasks']),
        check_project_slug(ANSWERS['project_slug']),
    ]
    errors = [error for error in errors if error]
    for error in errors:
        print(f'ERROR: {error}', file=sys.stderr)
    if errors:
        return 1
    return 0 if trial_bake() else 1


if __name__ == '__main__':
    # The answers of a scratch bake were checked by the hook that started it.
    sys.exit(0 if os.environ.get(TRIAL_BAKE_VARIABLE) else main())
