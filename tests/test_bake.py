"""Bake every supported combination of answers and check the result."""
import itertools
import os
import py_compile
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

TASKS = ('cls', 'det', 'seg')
TASK_SUBSETS = [
    ','.join(subset) for size in (1, 2, 3)
    for subset in itertools.combinations(TASKS, size)
]
BACKBONES = [('ConvNeXt', 'convnext'), ('MyNet', 'my_net')]
COMBINATIONS = list(itertools.product(TASK_SUBSETS, BACKBONES))

# Words that would betray a task the user did not choose. The OpenMMLab
# stack itself (requirements, compatibility notes) is shared by all tasks.
TASK_WORDS = {
    'cls': ('configs/cls', 'data/imagenet', 'build_classifier',
            'mim train mmcls', 'toy-digits', 'imagenet_digits'),
    'det': ('configs/det', 'data/coco', 'build_detector', 'mim train mmdet',
            'mask-rcnn', 'coco_shapes', 'instances_train2017'),
    'seg': ('configs/seg', 'data/ade', 'build_segmentor', 'mim train mmseg',
            'upernet', 'ade_shapes', 'ADEChallengeData2016'),
}
# Syntax of other tools that is meant to survive rendering: mmcv's base
# variables in configs, GitHub Actions' expressions in workflows.
KEPT_BRACES = re.compile(r'\{\{\s*_base_\.\w+\s*\}\}|\$\{\{[^{}]*\}\}')
UNRENDERED = re.compile(r'\{\{|\}\}|\{%|%\}|\{#|#\}')


def expected_files(tasks, module, prefix, convnext):
    toy = prefix + ('-atto' if convnext else '-tiny')
    files = {
        '.cookiecutter.json',
        '.github/workflows/ci.yml',
        '.gitignore',
        '.yapfignore',
        '.pre-commit-config.yaml',
        'README.md',
        'README_zh-CN.md',
        'data/README.md',
        'models/__init__.py',
        f'models/{module}.py',
        'models/torch2_compat.py',
        'requirements/openmmlab1x.txt',
        'requirements/tests.txt',
        'setup.cfg',
        'sitecustomize.py',
        'tests/conftest.py',
        'tests/test_backbone.py',
        'tests/test_configs.py',
        'tests/test_launchers.py',
        'tests/test_real_configs.py',
        'tests/test_toy_data.py',
        'tests/test_tools.py',
        'tests/test_torch2_compat.py',
        'tools/benchmark.py',
        'tools/get_flops.py',
        'tools/install.sh',
        'tools/make_toy_data.py',
        'tools/toy_data/__init__.py',
    }
    if convnext:
        files.add('tests/test_convnext_parity.py')
    if 'det' in tasks or 'seg' in tasks:
        files |= {
            'models/layer_decay_optimizer_constructor.py',
            'tests/test_layer_decay_optimizer_constructor.py',
            'tools/toy_data/shapes.py',
        }
    if 'cls' in tasks:
        files |= {
            'configs/cls/_base_/datasets/imagenet_bs64_224.py',
            'configs/cls/_base_/datasets/pipelines/rand_aug.py',
            'configs/cls/_base_/default_runtime.py',
            f'configs/cls/_base_/models/{prefix}-tiny.py',
            'configs/cls/_base_/schedules/imagenet_bs1024_adamw.py',
            f'configs/cls/{prefix}-tiny_1xb32_in1k.py',
            f'configs/cls/{prefix}-tiny_8xb128_in1k.py',
            f'configs/cls/{toy}_toy-digits.py',
            'data/imagenet/README.md',
            'data/imagenet/meta/.gitkeep',
            'data/imagenet/train/.gitkeep',
            'data/imagenet/val/.gitkeep',
            'tests/test_train_cls.py',
            'tools/toy_data/cls_imagenet_digits.py',
        }
    if 'det' in tasks:
        files |= {
            'configs/det/_base_/datasets/coco_instance.py',
            'configs/det/_base_/default_runtime.py',
            'configs/det/_base_/models/mask-rcnn_fpn.py',
            'configs/det/_base_/schedules/schedule_1x.py',
            f'configs/det/mask-rcnn_{prefix}-tiny_fpn_fp16_ms-crop_3x_coco.py',
            f'configs/det/mask-rcnn_{toy}_fpn_toy-shapes.py',
            'data/coco/README.md',
            'data/coco/annotations/.gitkeep',
            'data/coco/train2017/.gitkeep',
            'data/coco/val2017/.gitkeep',
            'tests/test_train_det.py',
            'tools/toy_data/det_coco_shapes.py',
        }
    if 'seg' in tasks:
        files |= {
            'configs/seg/_base_/datasets/ade20k.py',
            'configs/seg/_base_/default_runtime.py',
            'configs/seg/_base_/models/upernet.py',
            'configs/seg/_base_/schedules/schedule_160k.py',
            f'configs/seg/upernet_{prefix}-tiny_fp16_8xb2-160k_'
            'ade20k-512x512.py',
            f'configs/seg/upernet_{toy}_toy-shapes.py',
            'data/ade/README.md',
            'data/ade/ADEChallengeData2016/annotations/training/.gitkeep',
            'data/ade/ADEChallengeData2016/annotations/validation/.gitkeep',
            'data/ade/ADEChallengeData2016/images/training/.gitkeep',
            'data/ade/ADEChallengeData2016/images/validation/.gitkeep',
            'tests/test_train_seg.py',
            'tools/toy_data/seg_ade_shapes.py',
        }
    return files


def project_files(project):
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob('*')
        if path.is_file() and '__pycache__' not in path.parts
    }


@pytest.fixture(params=COMBINATIONS, ids=lambda c: f'{c[1][0]}-{c[0]}')
def baked(request, cookies):
    tasks, (backbone, module) = request.param
    result = cookies.bake(extra_context={
        'backbone_name': backbone,
        'tasks': tasks
    })
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    return result.project_path, tasks.split(','), backbone, module


def test_files_are_exactly_the_chosen_ones(baked):
    project, tasks, backbone, module = baked
    prefix = module.replace('_', '-')
    expected = expected_files(tasks, module, prefix, backbone == 'ConvNeXt')
    assert project_files(project) == expected


def test_nothing_of_an_unchosen_task(baked):
    project, tasks, _, _ = baked
    for relative in project_files(project):
        text = (project / relative).read_text(encoding='utf-8')
        for task, words in TASK_WORDS.items():
            if task in tasks:
                continue
            for word in words:
                assert word.lower() not in text.lower(), (
                    f'{relative} mentions {word!r} of unchosen task {task}')


def test_everything_is_rendered(baked):
    project = baked[0]
    for relative in project_files(project):
        text = (project / relative).read_text(encoding='utf-8')
        text = KEPT_BRACES.sub('', text)
        for number, line in enumerate(text.splitlines(), 1):
            assert not UNRENDERED.search(line), (
                f'{relative}:{number} is not rendered: {line}')


def readme_commands(readme):
    """The lines of a README's shell code blocks, comments left out."""
    blocks = re.findall(r'```(?:bash|shell|sh)\n(.*?)```', readme.read_text(),
                        re.S)
    lines = [
        re.sub(r'\s+#\s.*$', '', line).rstrip() for block in blocks
        for line in block.splitlines()
    ]
    return [line for line in lines if line and not line.startswith('#')]


def test_both_readmes_print_the_same_commands(baked):
    project = baked[0]
    english = readme_commands(project / 'README.md')
    assert len(english) > 10
    assert readme_commands(project / 'README_zh-CN.md') == english


def test_lint_clean(baked):
    """The lint commands of the generated CI and README find nothing."""
    assert_lint_clean(baked[0])


def run_project_tests(project, *test_files):
    """Run some of a baked project's own tests; they must pass."""
    run = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         *test_files],
        cwd=project, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def assert_lint_clean(project):
    workflow = yaml.safe_load(
        (project / '.github/workflows/ci.yml').read_text())
    lint = next(step['run'] for step in workflow['jobs']['test']['steps']
                if step.get('name') == 'Lint')
    commands = lint.strip().splitlines()
    linters = {command.split()[0] for command in commands}
    assert linters == {'flake8', 'isort', 'yapf', 'codespell'}
    for readme in ('README.md', 'README_zh-CN.md'):
        assert ' && '.join(commands) in (project / readme).read_text(), (
            f'{readme} does not print the lint commands of ci.yml')
    # A virtual environment in the project is not its code.
    for venv in ('.venv', 'venv'):
        stray = project / venv / 'lib' / 'stray.py'
        stray.parent.mkdir(parents=True)
        stray.write_text('import os,sys\nx=1 # teh\n')
    # The linters of this Python, as CI's install puts them on PATH.
    env = dict(os.environ)
    env['PATH'] = os.pathsep.join(
        [str(Path(sys.executable).parent), env.get('PATH', '')])
    for command in commands:
        run = subprocess.run(command,
                             shell=True,
                             cwd=project,
                             env=env,
                             capture_output=True,
                             text=True)
        # Lines the tools print even when they find nothing.
        chatter = ('Used config', '    1:', 'Skipped ')
        findings = [
            line for line in run.stdout.splitlines()
            if line.strip() and not line.startswith(chatter)
        ]
        assert run.returncode == 0 and not findings, (
            f'{command} findings:\n{run.stdout[-5000:]}{run.stderr[-2000:]}')


#: Class names as long as the pre-gen hook allows: a plain one, and one of
#: one-letter words, which makes the longest module and config names.
LONGEST_NAMES = [
    ('HierarchicalVisionTransformerX', 'skeleton', 'cls,det,seg'),
    ('HierarchicalVisionTransformerX', 'convnext', 'seg'),
    ('AbAbAbAbAbAbAbAbAbAbAbAbAbAbAb', 'convnext', 'cls,det,seg'),
    ('AbAbAbAbAbAbAbAbAbAbAbAbAbAbAb', 'skeleton', 'cls'),
]


@pytest.mark.parametrize(
    'name, backbone_code, tasks', LONGEST_NAMES, ids='-'.join)
def test_longest_names_lint_clean_and_configs_run(cookies, hook_constant,
                                                  name, backbone_code, tasks):
    assert len(name) == hook_constant('pre_gen_project', 'MAX_NAME_LENGTH')
    result = cookies.bake(extra_context={
        'backbone_name': name,
        'backbone_code': backbone_code,
        'tasks': tasks
    })
    assert result.exception is None, result.exception
    assert_lint_clean(result.project_path)
    run_project_tests(result.project_path, 'tests/test_configs.py',
                      'tests/test_backbone.py')


def test_python_files_compile(baked):
    project = baked[0]
    for path in project.rglob('*.py'):
        py_compile.compile(str(path), doraise=True)


def test_name_check_reads_every_python_file(baked, hook_constant):
    """The post-gen hook's name check reads the folders that hold code."""
    project = baked[0]
    code_folders = hook_constant('post_gen_project', 'CODE_FOLDERS')
    for path in project.rglob('*.py'):
        relative = path.relative_to(project)
        assert len(relative.parts) == 1 or relative.parts[0] in code_folders, (
            f'{relative} is outside the folders the post-gen hook reads')


def test_configs_build_and_run(baked):
    """The project's own config test: load, build, forward every config."""
    project = baked[0]
    run = run_project_tests(project, 'tests/test_configs.py')
    assert ' passed' in run.stdout.splitlines()[-1]


@pytest.mark.parametrize('tasks', ['cls,det,seg', 'seg', 'det cls'])
def test_next_steps_are_the_readme_commands(template_root, tmp_path, capfd,
                                            tasks):
    from cookiecutter.main import cookiecutter
    project = cookiecutter(
        str(template_root),
        no_input=True,
        extra_context={'tasks': tasks},
        output_dir=str(tmp_path))
    printed = capfd.readouterr().out
    readme = (tmp_path / project / 'README.md').read_text()
    commands = [
        line.strip() for line in printed.splitlines()
        if line.strip().startswith(('bash ', 'python ', 'mim '))
    ]
    assert [c.split()[:3] for c in commands if c.startswith('mim')] == [[
        'mim', 'train', {
            'cls': 'mmcls',
            'det': 'mmdet',
            'seg': 'mmseg'
        }[sorted(tasks.replace(',', ' ').split())[0]]
    ]]
    readme_lines = {line.strip() for line in readme.splitlines()}
    for command in commands:
        command = command.split('  #')[0].strip()
        assert command in readme_lines, command


@pytest.mark.parametrize('spelling', ['Seg, CLS cls', 'seg cls', ' cls ,seg,'])
def test_task_spellings(cookies, spelling):
    result = cookies.bake(extra_context={'tasks': spelling})
    assert result.exception is None, result.exception
    assert project_files(result.project_path) == expected_files(
        ['cls', 'seg'], 'convnext', 'convnext', convnext=True)


def test_convnext_code_under_a_name_of_ones_own(cookies):
    """backbone_code=convnext, named MyNet: the full ConvNeXt and its tests."""
    result = cookies.bake(extra_context={
        'backbone_name': 'MyNet',
        'backbone_code': 'convnext'
    })
    assert result.exception is None, result.exception
    project = result.project_path
    assert project_files(project) == expected_files(
        list(TASKS), 'my_net', 'my-net', convnext=True)
    run_project_tests(project, 'tests/test_backbone.py',
                      'tests/test_convnext_parity.py', 'tests/test_configs.py')
    assert 'mmcls.MyNet' in (project / 'configs/cls/_base_/models/'
                             'my-net-tiny.py').read_text()
