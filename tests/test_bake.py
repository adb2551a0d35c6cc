"""Bake every supported combination of answers and check the result."""
import itertools
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from generations import (GENERATIONS, generation_python, project_environment,
                         run_project_pytest)
from local_extensions import chosen_answers
from test_generated_projects import PROJECTS

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]

TASKS = ('cls', 'det', 'seg')
TASK_SUBSETS = [
    ','.join(subset) for size in (1, 2, 3)
    for subset in itertools.combinations(TASKS, size)
]
BACKBONES = [('ConvNeXt', 'convnext'), ('MyNet', 'my_net')]
DEFAULTS = json.loads((TEMPLATE_ROOT / 'cookiecutter.json').read_text())
COMBINATIONS = list(itertools.product(TASK_SUBSETS, BACKBONES, GENERATIONS))

# Words that would betray a task the user did not choose. The OpenMMLab
# stack itself (requirements, compatibility notes) is shared by all tasks.
TASK_WORDS = {
    'cls': ('configs/cls', 'data/imagenet', 'build_classifier',
            'mim train mmcls', 'mim train mmpretrain', 'toy-digits',
            'imagenet_digits'),
    'det': ('configs/det', 'data/coco', 'build_detector', 'mim train mmdet',
            'mask-rcnn', 'coco_shapes', 'instances_train2017'),
    'seg': ('configs/seg', 'data/ade', 'build_segmentor', 'mim train mmseg',
            'upernet', 'ade_shapes', 'ADEChallengeData2016'),
}
#: The longest README a bake may write, in either language.
README_MAX_LINES = 150
# Syntax of other tools that is meant to survive rendering: mmcv's base
# variables in configs, GitHub Actions' expressions in workflows.
KEPT_BRACES = re.compile(r'\{\{\s*_base_\.\w+\s*\}\}|\$\{\{[^{}]*\}\}')
UNRENDERED = re.compile(r'\{\{|\}\}|\{%|%\}|\{#|#\}')


def owners(path, owned_paths):
    """The sets of answers that own ``path`` in the post-gen hook's table.

    Any one set, all of its answers chosen, keeps the path; ``None`` when
    the table does not name it.
    """
    for key, paths in owned_paths.items():
        for owned in paths:
            if path == owned or owned.endswith('/') and path.startswith(owned):
                return [set(owner.split('+')) for owner in key.split()]
    return None


def expected_files(project, owned_paths):
    """The files a bake should hold: the template's, less the unchosen.

    Every file of the template's project folder, under its rendered name,
    except those that the post-gen hook's table gives to answers that the
    bake did not choose.
    """
    answers = json.loads((project / '.cookiecutter.json').read_text())
    context = answers['cookiecutter']
    chosen = chosen_answers(context)
    names = jinja2.Environment(undefined=jinja2.StrictUndefined)
    folder = TEMPLATE_ROOT / '{{cookiecutter.__project_folder}}'
    files = set()
    for path in folder.rglob('*'):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            name = names.from_string(name).render(cookiecutter=context)
            owner = owners(name, owned_paths)
            if owner is None or any(answers <= chosen for answers in owner):
                files.add(name)
    return files


def project_files(project):
    return {
        path.relative_to(project).as_posix()
        for path in project.rglob('*')
        if path.is_file() and '__pycache__' not in path.parts
    }


def bake_id(combination):
    tasks, (backbone, _), generation = combination
    return f'{backbone}-{tasks}-{generation}'


@pytest.fixture(params=COMBINATIONS, ids=bake_id)
def baked(request, cookies):
    tasks, (backbone, module), generation = request.param
    result = cookies.bake(extra_context={
        'backbone_name': backbone,
        'tasks': tasks,
        'openmmlab': generation
    })
    assert result.exception is None, result.exception
    assert result.exit_code == 0
    return result.project_path, tasks.split(','), backbone, module


@pytest.fixture
def owned_paths(hook_constant):
    return hook_constant('post_gen_project', 'OWNED_PATHS')


def test_files_are_exactly_the_chosen_ones(baked, owned_paths):
    project, tasks, backbone, module = baked
    context = json.loads(
        (project / '.cookiecutter.json').read_text())['cookiecutter']
    assert context['__tasks'].split(',') == tasks
    assert context['__backbone_module'] == module
    source = 'convnext' if backbone == 'ConvNeXt' else 'skeleton'
    assert context['__backbone_source'] == source
    assert project_files(project) == expected_files(project, owned_paths)


def test_owned_paths_are_template_paths(template_root, owned_paths):
    """Each entry of the table names files of the template: no stale one."""
    folder = template_root / '{{cookiecutter.__project_folder}}'
    files = [
        path.relative_to(folder).as_posix() for path in folder.rglob('*')
        if path.is_file()
    ]
    answers = {*TASKS, 'convnext', 'skeleton', 'baseline', *GENERATIONS}
    for key, paths in owned_paths.items():
        assert set(re.split('[ +]', key)) <= answers, key
        for owned in paths:
            if owned.endswith('/'):
                assert any(file.startswith(owned) for file in files), owned
            else:
                assert owned in files, owned


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


def test_both_readmes_are_short_and_print_the_same_commands(baked):
    project = baked[0]
    english = readme_commands(project / 'README.md')
    assert len(english) > 10
    assert readme_commands(project / 'README_zh-CN.md') == english
    # A README of a few screens, as OpenMMLab's example projects have; the
    # rest belongs in docs/.
    for readme in ('README.md', 'README_zh-CN.md'):
        text = (project / readme).read_text(encoding='utf-8')
        lines = len(text.splitlines())
        assert lines <= README_MAX_LINES, f'{readme} has {lines} lines'


def test_lint_clean(baked):
    """The lint commands of the generated CI and README find nothing."""
    assert_lint_clean(baked[0])


def run_project_tests(project, *test_files):
    """Run some of a baked project's own tests; they must pass."""
    run = run_project_pytest(project, '-q', *test_files)
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
    ('HierarchicalVisionTransformerX', 'skeleton', 'cls,det,seg', '1.x'),
    ('HierarchicalVisionTransformerX', 'convnext', 'seg', '1.x'),
    ('AbAbAbAbAbAbAbAbAbAbAbAbAbAbAb', 'convnext', 'cls,det,seg', '1.x'),
    ('AbAbAbAbAbAbAbAbAbAbAbAbAbAbAb', 'skeleton', 'cls', '1.x'),
    ('HierarchicalVisionTransformerX', 'skeleton', 'cls,det,seg', '2.x'),
    ('AbAbAbAbAbAbAbAbAbAbAbAbAbAbAb', 'convnext', 'cls,det,seg', '2.x'),
]


@pytest.mark.parametrize(
    'name, backbone_code, tasks, generation',
    LONGEST_NAMES,
    ids=['-'.join(case) for case in LONGEST_NAMES])
def test_longest_names_lint_clean_and_configs_run(cookies, hook_constant,
                                                  name, backbone_code, tasks,
                                                  generation):
    assert len(name) == hook_constant('pre_gen_project', 'MAX_NAME_LENGTH')
    result = cookies.bake(extra_context={
        'backbone_name': name,
        'backbone_code': backbone_code,
        'tasks': tasks,
        'openmmlab': generation
    })
    assert result.exception is None, result.exception
    assert_lint_clean(result.project_path)
    run_project_tests(result.project_path, 'tests/test_configs.py',
                      'tests/test_backbone.py')


def test_python_files_compile(baked):
    project = baked[0]
    for path in project.rglob('*.py'):
        py_compile.compile(str(path), doraise=True)


def test_name_check_reads_every_python_file(baked, rendered_hook):
    """The pre-gen hook's name check reads the bake's Python files as baked.

    It renders them in memory before the bake: each of them, and each as
    the bake writes it.
    """
    project = baked[0]
    hook = rendered_hook('pre_gen_project', project)
    sources = dict(hook.python_sources())
    assert sorted(sources) == sorted(
        path for path in project_files(project) if path.endswith('.py'))
    for path, text in sources.items():
        assert text == (project / path).read_text(encoding='utf-8'), path


def default_answer(answer):
    """The answer of ``--no-input``: a choice's first option."""
    default = DEFAULTS[answer]
    return default[0] if isinstance(default, list) else default


#: The bakes whose whole suite test_generated_projects.py runs, config test
#: included, as (tasks, backbone, generation) with the defaults filled in.
SUITE_RUN_ELSEWHERE = {
    tuple(
        param.values[0].get(answer, default_answer(answer))
        for answer in ('tasks', 'backbone_name', 'openmmlab'))
    for param in PROJECTS
}


@pytest.mark.parametrize('baked', [
    combination for combination in COMBINATIONS
    if (combination[0], combination[1][0],
        combination[2]) not in SUITE_RUN_ELSEWHERE
],
                         ids=bake_id,
                         indirect=True)
def test_configs_build_and_run(baked):
    """The project's own config test: load, build, forward every config."""
    project = baked[0]
    run = run_project_tests(project, 'tests/test_configs.py')
    assert ' passed' in run.stdout.splitlines()[-1]


#: The toolbox of mim's commands, per generation and task.
TOOLBOXES = {
    '1.x': {'cls': 'mmcls', 'det': 'mmdet', 'seg': 'mmseg'},
    '2.x': {'cls': 'mmpretrain', 'det': 'mmdet', 'seg': 'mmsegmentation'},
}


@pytest.mark.parametrize('tasks, generation', [('cls,det,seg', '1.x'),
                                               ('seg', '1.x'),
                                               ('det cls', '1.x'),
                                               ('seg det', '2.x')])
def test_next_steps_are_the_readme_commands(template_root, tmp_path, capfd,
                                            tasks, generation):
    from cookiecutter.main import cookiecutter
    project = cookiecutter(
        str(template_root),
        no_input=True,
        extra_context={'tasks': tasks, 'openmmlab': generation},
        output_dir=str(tmp_path))
    printed = capfd.readouterr().out
    readme = (tmp_path / project / 'README.md').read_text()
    commands = [
        line.strip() for line in printed.splitlines()
        if line.strip().startswith(('bash ', 'python ', 'mim '))
    ]
    first_task = sorted(tasks.replace(',', ' ').split())[0]
    assert [c.split()[:3] for c in commands if c.startswith('mim')] == [[
        'mim', 'train', TOOLBOXES[generation][first_task]
    ]]
    readme_lines = {line.strip() for line in readme.splitlines()}
    for command in commands:
        command = command.split('  #')[0].strip()
        assert command in readme_lines, command


@pytest.mark.parametrize('spelling', ['Seg, CLS cls', 'seg cls', ' cls ,seg,'])
def test_task_spellings(cookies, owned_paths, spelling):
    result = cookies.bake(extra_context={'tasks': spelling})
    assert result.exception is None, result.exception
    project = result.project_path
    assert json.loads((project / '.cookiecutter.json').read_text())[
        'cookiecutter']['__tasks'] == 'cls,seg'
    assert project_files(project) == expected_files(project, owned_paths)
    assert (project / 'configs' / 'seg').is_dir()
    assert not (project / 'configs' / 'det').exists()


def test_convnext_code_under_a_name_of_ones_own(cookies, owned_paths):
    """backbone_code=convnext, named MyNet: the full ConvNeXt and its tests."""
    result = cookies.bake(extra_context={
        'backbone_name': 'MyNet',
        'backbone_code': 'convnext'
    })
    assert result.exception is None, result.exception
    project = result.project_path
    assert project_files(project) == expected_files(project, owned_paths)
    assert (project / 'tests' / 'test_convnext_parity.py').is_file()
    run_project_tests(project, 'tests/test_backbone.py',
                      'tests/test_convnext_parity.py', 'tests/test_configs.py')
    assert 'mmcls.MyNet' in (project / 'configs/cls/_base_/models/'
                             'my-net-tiny.py').read_text()
    # The converter of timm's weights (checked in depth in the ConvNeXt
    # bakes' stack checks) under the name of one's own.
    import timm
    import torch
    src = project / 'convnext_atto.pth'
    torch.save(timm.create_model('convnext_atto').state_dict(), src)
    env = dict(project_environment(project), PYTHONPATH=str(project))
    run = subprocess.run([
        generation_python(project),
        'tools/model_converters/timm_convnext_to_mmcls.py',
        str(src), 'converted.pth'
    ],
                         cwd=project,
                         env=env,
                         capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "timm's ConvNeXt, preset 'atto'" in run.stdout, run.stdout
    assert (project / 'converted.pth').is_file()


def tree(folder, owned_paths, root=None, prefix=''):
    """The lines of ``folder``'s tree as the template README draws it.

    Folders first, then files, each sorted; ``.gitkeep`` files left out;
    each path of the post-gen hook's table marked with the answers that own
    it.
    """
    root = root or folder
    entries = sorted(
        (path for path in folder.iterdir() if path.name != '.gitkeep'),
        key=lambda path: (not path.is_dir(), path.name))
    lines = []
    for number, path in enumerate(entries, 1):
        last = number == len(entries)
        relative = path.relative_to(root).as_posix()
        if path.is_dir():
            relative += '/'
        line = prefix + ('└── ' if last else '├── ') + path.name
        line += '/' if path.is_dir() else ''
        owner = next((key for key, paths in owned_paths.items()
                      if relative in paths), None)
        lines.append((line, owner))
        if path.is_dir():
            lines += tree(path, owned_paths, root,
                          prefix + ('    ' if last else '│   '))
    return lines


def readme_tree(project, owned_paths):
    """The README's tree of a baked project, owners in a column."""
    lines = [(project.name + '/', None)] + tree(project, owned_paths)
    width = max(len(line) for line, _ in lines) + 2
    return '\n'.join(
        f'{line:<{width}}[{owner}]' if owner else line
        for line, owner in lines) + '\n'


@pytest.mark.parametrize('readme', ['README.md', 'README_zh-CN.md'])
def test_readme_tree_is_the_default_bake(cookies, template_root, owned_paths,
                                         readme):
    """The template README's tree is a default bake, drawn from its files.

    A failure prints the tree to paste into the README.
    """
    result = cookies.bake()
    assert result.exception is None, result.exception
    expected = readme_tree(result.project_path, owned_paths)
    text = (template_root / readme).read_text()
    drawn = re.search(r'```text\n(convnext_backbone/\n.*?)```', text, re.S)
    assert drawn and drawn.group(1) == expected, expected


def test_rebake_with_fewer_tasks_keeps_the_users_files(
        template_root, tmp_path, capfd):
    """-f with fewer tasks removes what the bake wrote, not the user's files.

    The user's files in an unchosen task's folders stay, with the folders
    that hold them, and one line says so. A data folder that links to a data
    set elsewhere stays a link, and the data set as it was.
    """
    from cookiecutter.main import cookiecutter

    def bake(**answers):
        return Path(
            cookiecutter(
                str(template_root),
                no_input=True,
                overwrite_if_exists=True,
                extra_context=answers,
                output_dir=str(tmp_path)))

    project = bake()
    mine = {
        'configs/det/my_experiment.py': 'x = 1\n',
        'data/coco/my_notes.txt': 'notes\n',
        'data/coco/train2017/000000000009.jpg': 'not really an image\n',
    }
    for relative, text in mine.items():
        (project / relative).write_text(text)
    data_set = tmp_path / 'ADEChallengeData2016'
    (data_set / 'images' / 'training').mkdir(parents=True)
    (data_set / 'images' / 'training' / 'a.jpg').write_text('image\n')
    shutil.rmtree(project / 'data' / 'ade')
    (project / 'data' / 'ade').symlink_to(data_set)
    capfd.readouterr()
    assert bake(tasks='cls') == project
    printed = capfd.readouterr().out.splitlines()
    for relative, text in mine.items():
        assert (project / relative).read_text() == text
    remaining = {
        path.relative_to(project).as_posix()
        for folder in ('configs/det', 'data/coco', 'configs/seg')
        for path in (project / folder).rglob('*')
    }
    assert remaining == set(mine) | {'data/coco/train2017'}
    assert (project / 'data' / 'ade').resolve() == data_set
    assert sorted(path.relative_to(data_set).as_posix()
                  for path in data_set.rglob('*')) == [
                      'images', 'images/training', 'images/training/a.jpg'
                  ]
    for task_file in ('tests/test_train_det.py', 'tests/test_train_seg.py',
                      'tools/toy_data/det_coco_shapes.py'):
        assert not (project / task_file).exists()
    assert (project / 'configs' / 'cls').is_dir()
    kept = [line for line in printed if line.startswith('Kept ')]
    assert kept == [
        'Kept configs/det/, data/coco/ and data/ade/: they hold files this '
        'bake did not write (configs/det/my_experiment.py, '
        'data/coco/my_notes.txt, data/coco/train2017/000000000009.jpg and 1 '
        'more)'
    ]
