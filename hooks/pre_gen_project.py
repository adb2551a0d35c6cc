"""Validate every answer before cookiecutter writes the project.

Answers arrive through ``tojson`` so that quotes, backslashes or braces in
them cannot change this code. A bad answer prints one line naming the bad
value and what is allowed, and exits 1; cookiecutter then removes the
half-created project folder.
"""
import builtins
import json
import keyword
import re
import sys

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

ANSWERS = json.loads(r'''{{ {
    'backbone_name': cookiecutter.backbone_name,
    'backbone_module': cookiecutter.__backbone_module,
    'backbone_code': cookiecutter.backbone_code,
    'tasks': cookiecutter.tasks,
    'project_slug': cookiecutter.project_slug,
} | tojson }}''')


def check_backbone_name(name, module):
    if not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', name) or not name.isascii():
        return (f'backbone_name {name!r} is not a valid Python class name: '
                'use ASCII letters, digits and _, not starting with a digit '
                '(e.g. MyNet)')
    if len(name) > MAX_NAME_LENGTH:
        return (f'backbone_name {name!r} has {len(name)} characters: use at '
                f'most {MAX_NAME_LENGTH}, so that the generated code fits in '
                '79-character lines')
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
    if not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_-]*', slug):
        return (f'project_slug {slug!r} is not a valid folder and package '
                'name: use ASCII letters, digits, _ and -, starting with a '
                'letter or _ (e.g. my_net_backbone)')
    if keyword.iskeyword(slug.replace('-', '_')):
        return f'project_slug {slug!r} is a Python keyword'
    return None


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
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
