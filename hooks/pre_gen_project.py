"""Validate every answer before cookiecutter writes the project.

Answers arrive through ``tojson`` so that quotes, backslashes or braces in
them cannot change this code. A bad answer prints one line naming the bad
value and what is allowed, and exits 1; cookiecutter then removes the
half-created project folder, and a bake over an existing project (``-f``)
leaves it as it was.

The answers are checked on their own first. Then the backbone name is
checked against the project's Python code, which this hook renders in
memory, as the bake will write it: a class name that the code already binds
would replace that binding.
"""
import ast
import builtins
import json
import keyword
import os
import re
import sys

KNOWN_TASKS = ('cls', 'det', 'seg')
BACKBONE_CODES = ('skeleton', 'convnext')
# The names mmcls 0.25 registers in its model registry, where a 1.x backbone
# registers too. Taking one would replace mmcls's own model in every config
# that names it; ConvNeXt is the one replacement this template intends.
# tests/test_bad_answers.py compares this list with the installed mmcls, and
# the next one with the installed mmpretrain.
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
# The same for mmpretrain 1.2, where a 2.x backbone registers.
MMPRETRAIN_MODEL_NAMES = (
    'AlexNet', 'ArcFaceClsHead', 'AsymmetricLoss', 'AverageClsScoreTTA',
    'BEiT', 'BEiTPretrainViT', 'BEiTV1Head', 'BEiTV2Head', 'BEiTV2Neck',
    'BEiTViT', 'BYOL', 'BarlowTwins', 'Blip2Caption', 'Blip2Retrieval',
    'Blip2VQA', 'BlipCaption', 'BlipGrounding', 'BlipNLVR', 'BlipRetrieval',
    'BlipVQA', 'CAE', 'CAEHead', 'CAELoss', 'CAENeck', 'CAEPretrainViT',
    'CLIP', 'CLIPGenerator', 'CLIPZeroShot', 'CSPDarkNet', 'CSPResNeXt',
    'CSPResNet', 'CSRAClsHead', 'ChineseCLIP', 'ClsBatchNormNeck',
    'ClsDataPreprocessor', 'ClsHead', 'Conformer', 'ConformerHead',
    'ContrastiveHead', 'ConvMixer', 'ConvNeXt', 'CosineEMA',
    'CosineSimilarityLoss', 'CrossCorrelationLoss', 'CrossEntropyLoss',
    'DALL-E', 'DaViT', 'DeiT3', 'DeiTClsHead', 'DenseCL', 'DenseCLNeck',
    'DenseNet', 'DistilledVisionTransformer', 'EVA', 'EdgeNeXt',
    'EfficientFormer', 'EfficientFormerClsHead', 'EfficientNet',
    'EfficientNetV2', 'Flamingo', 'FocalLoss', 'GRN', 'GeneralizedMeanPooling',
    'GlobalAveragePooling', 'GroundingHead', 'HOGGenerator', 'HRFuseScales',
    'HRNet', 'HiViT', 'HorNet', 'HuggingFaceClassifier', 'ITCHead', 'ITMHead',
    'ImageClassifier', 'ImageToImageRetriever', 'InceptionV3', 'LN2d',
    'LabelSmoothLoss', 'LatentCrossCorrelationHead', 'LatentPredictHead',
    'LeNet5', 'LeViT', 'LeViTClsHead', 'LinearClsHead', 'LinearNeck', 'Llava',
    'LoRAModel', 'MAE', 'MAEHiViT', 'MAEPretrainDecoder', 'MAEPretrainHead',
    'MAEViT', 'MFF', 'MFFViT', 'MILAN', 'MILANPretrainDecoder', 'MILANViT',
    'MIMHead', 'MViT', 'MaskFeat', 'MaskFeatViT', 'MiniGPT4', 'MixMIM',
    'MixMIMPretrainDecoder', 'MixMIMPretrainHead', 'MixMIMPretrainTransformer',
    'MixMIMTransformer', 'MlpMixer', 'MoCo', 'MoCoV2Neck', 'MoCoV3',
    'MoCoV3Head', 'MoCoV3ViT', 'MobileNetV2', 'MobileNetV3', 'MobileOne',
    'MobileViT', 'MultiLabelClsHead', 'MultiLabelLinearClsHead',
    'MultiModalDataPreprocessor', 'MultiTaskHead', 'NonLinearNeck', 'OFA',
    'Otter', 'PCPVT', 'PixelReconstructionLoss', 'PoolFormer', 'PyramidVig',
    'QuickGELU', 'RAM', 'RAMNormal', 'RAMOpenset', 'RIFormer', 'RegNet',
    'RepLKNet', 'RepMLPNet', 'RepVGG', 'Res2Net', 'ResNeSt', 'ResNeXt',
    'ResNet', 'ResNetV1c', 'ResNetV1d', 'ResNet_CIFAR', 'RevVisionTransformer',
    'SEResNeXt', 'SEResNet', 'SVT', 'SeesawLoss', 'SelfSupDataPreprocessor',
    'SeqGenerationHead', 'ShiftWindowMSA', 'ShuffleNetV1', 'ShuffleNetV2',
    'SimCLR', 'SimMIM', 'SimMIMHead', 'SimMIMLinearDecoder',
    'SimMIMSwinTransformer', 'SimSiam', 'SparK', 'SparKLightDecoder',
    'SparKPretrainHead', 'SparseBatchNorm2d', 'SparseConvNeXt', 'SparseLN2d',
    'SparseResNet', 'SparseSyncBatchNorm2d', 'StackedLinearClsHead', 'SwAV',
    'SwAVHead', 'SwAVLoss', 'SwAVNeck', 'SwinTransformer', 'SwinTransformerV2',
    'T2T_ViT', 'TIMMBackbone', 'TNT', 'TimmClassifier', 'TinyViT',
    'TwoNormDataPreprocessor', 'VAN', 'VGG', 'VQAGenerationHead', 'VQKD',
    'ViTEVA02', 'ViTSAM', 'VideoDataPreprocessor', 'Vig', 'VigClsHead',
    'VisionTransformer', 'VisionTransformerClsHead', 'XCiT', 'iTPN',
    'iTPNClipHead', 'iTPNHiViT', 'iTPNPretrainDecoder')
# Per OpenMMLab generation: the toolbox whose model registry the backbone
# joins, and the names registered there. Of those, the template replaces
# REPLACEABLE_MODELS on purpose.
REGISTERED_MODELS = {
    '1.x': ('mmcls', MMCLS_MODEL_NAMES),
    '2.x': ('mmpretrain', MMPRETRAIN_MODEL_NAMES),
}
REPLACEABLE_MODELS = ('ConvNeXt', )
# What the project itself keeps in models/ beside the backbone's module,
# which the backbone's module must not overwrite or shadow: its other modules
# (tests/test_bad_answers.py compares them with the template) and the
# models/<task>/ packages its README suggests for a task's own neck, head or
# loss. A class name that clashes with a name in the generated code is found
# by reading that code (name_clash).
PROJECT_MODULES = ('layer_decay_optimizer_constructor', )
# The generated code keeps OpenMMLab's 79-character lines for class names up
# to this length (tests/test_bake.py lints bakes with the longest).
MAX_NAME_LENGTH = 30

ANSWERS = json.loads(r'''{{ {
    'backbone_name': cookiecutter.backbone_name,
    'backbone_module': cookiecutter.__backbone_module,
    'backbone_code': cookiecutter.backbone_code,
    'tasks': cookiecutter.tasks,
    'openmmlab': cookiecutter.openmmlab,
    'project_slug': cookiecutter.project_slug,
} | tojson }}''')
CONTEXT = json.loads(r'''{{ cookiecutter | tojson }}''')
TEMPLATE_DIR = json.loads(
    r'''{{ cookiecutter._repo_dir|default('')|template_folder|tojson }}''')


def check_backbone_name(name, module, generation):
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
    toolbox, registered = REGISTERED_MODELS[generation]
    if name in registered and name not in REPLACEABLE_MODELS:
        return (f'backbone_name {name!r} is already a model of {toolbox} and '
                'would replace it in its registry: choose another class name '
                f'such as MyNet (of {toolbox}\'s own names, only ConvNeXt may '
                'be taken)')
    if module == name:
        return (f'backbone_name {name!r} is also the name of its module, '
                f'models/{module}.py, which the class would hide in the '
                'models package: use a CamelCase class name such as MyNet')
    if module in KNOWN_TASKS:
        return (f'backbone_name {name!r} would be written to '
                f'models/{module}.py, which would shadow the models/{module}/ '
                f'package the README keeps for {module} extras: choose '
                'another class name such as MyNet')
    if module == 'convnext' and name != 'ConvNeXt':
        return (f'backbone_name {name!r} would name its configs and work '
                'dirs convnext-*, as those of the ConvNeXt baseline that the '
                'project trains beside it: choose another class name such as '
                'MyNet (or ConvNeXt itself)')
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


def owned_paths(directory):
    """The post-gen hook's table of what the answers own, read as data."""
    hook = os.path.join(directory, 'hooks', 'post_gen_project.py')
    with open(hook, encoding='utf-8') as file:
        tree = ast.parse(file.read())
    return next(
        ast.literal_eval(node.value) for node in tree.body
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], 'id', None) == 'OWNED_PATHS')


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


def python_sources():
    """The Python files the bake will keep, rendered as it will write them.

    Rendered with cookiecutter's own Jinja environment, its extensions and
    loader, and the bake's context; a file without Jinja syntax renders to
    itself and is read as it is.

    Yields:
        tuple[str, str]: The file's path in the project and its text.
    """
    from cookiecutter.environment import StrictEnvironment
    from jinja2 import FileSystemLoader

    if TEMPLATE_DIR not in sys.path:  # for local_extensions
        sys.path.insert(0, TEMPLATE_DIR)
    from local_extensions import (PROJECT_TEMPLATE, baked_files,
                                  chosen_answers, keeps)

    environment = StrictEnvironment(
        context={'cookiecutter': CONTEXT},
        keep_trailing_newline=True,
        **CONTEXT.get('_jinja2_env_vars', {}))
    root = os.path.join(TEMPLATE_DIR, PROJECT_TEMPLATE)
    environment.loader = FileSystemLoader(
        [root, os.path.join(TEMPLATE_DIR, 'templates')])
    syntax = [
        start for start in (environment.block_start_string,
                            environment.variable_start_string,
                            environment.comment_start_string,
                            environment.line_statement_prefix,
                            environment.line_comment_prefix) if start
    ]

    def render(text):
        return environment.from_string(text).render(cookiecutter=CONTEXT)

    chosen = chosen_answers(CONTEXT)
    table = owned_paths(TEMPLATE_DIR)
    for path, source in sorted(baked_files(TEMPLATE_DIR, render).items()):
        if not path.endswith('.py') or not keeps(path, table, chosen):
            continue
        with open(os.path.join(root, source), encoding='utf-8') as file:
            text = file.read()
        if any(start in text for start in syntax):
            text = environment.get_template(source).render(
                cookiecutter=CONTEXT)
        yield path, text


def name_clash(name):
    """The first generated module that binds ``name`` more than once.

    The backbone's class is defined once and imported once by each module
    that uses it; any other binding of its name (mmcv's ``Sequential`` in
    the backbone's code, a test's helper class in the tests) would replace
    one of them.
    """
    word = re.compile(rf'\b{re.escape(name)}\b')
    for path, text in python_sources():
        # Two bindings need two mentions; most files have fewer.
        if len(word.findall(text)) < 2:
            continue
        bindings = [
            bound for node in ast.walk(ast.parse(text))
            for bound in bound_names(node) if bound == name
        ]
        if len(bindings) > 1:
            return path
    return None


def main():
    errors = [
        check_backbone_name(ANSWERS['backbone_name'],
                            ANSWERS['backbone_module'], ANSWERS['openmmlab']),
        check_backbone_code(ANSWERS['backbone_code']),
        check_tasks(ANSWERS['tasks']),
        check_project_slug(ANSWERS['project_slug']),
    ]
    errors = [error for error in errors if error]
    for error in errors:
        print(f'ERROR: {error}', file=sys.stderr)
    if errors:
        return 1
    clash = name_clash(ANSWERS['backbone_name'])
    if clash:
        print(
            f"ERROR: backbone_name {ANSWERS['backbone_name']!r} is already a "
            f'name in the generated {clash}: choose another class name such '
            'as MyNet',
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
