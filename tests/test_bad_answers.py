"""Bad answers fail in a hook with one clear line and leave nothing.

The pre-gen hook checks each answer, and then the backbone name against the
project's Python code, which it renders in memory: a name that the code
already uses for something else is refused before anything is written too.
"""
import ast
import subprocess
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from generations import python_of

BAD_ANSWERS = [
    ({'backbone_name': ''}, "backbone_name '' is not a valid Python class"),
    ({'backbone_name': 'My Net'}, "backbone_name 'My Net' is not a valid"),
    ({'backbone_name': '2Net'}, "backbone_name '2Net' is not a valid"),
    ({'backbone_name': 'My-Net'}, "backbone_name 'My-Net' is not a valid"),
    ({'backbone_name': 'Nét'}, "backbone_name 'Nét' is not a valid"),
    ({'backbone_name': 'class'}, "backbone_name 'class' is a Python keyword"),
    ({'backbone_name': '__Net'}, "backbone_name '__Net' starts with __, "
     'which Python mangles inside a class body'),
    ({'backbone_name': 'My"Net\\'}, 'backbone_name \'My"Net\\\\\' is not a'),
    ({'backbone_name': 'match'}, "backbone_name 'match' is a Python keyword"),
    ({'backbone_name': 'BaseBackbone'}, "backbone_name 'BaseBackbone' would "
     'shadow the base class'),
    ({'backbone_name': 'ResNet'}, "backbone_name 'ResNet' is already a model "
     'of mmcls and would replace it'),
    ({'backbone_name': 'LinearClsHead'}, "backbone_name 'LinearClsHead' is "
     'already a model of mmcls'),
    ({'backbone_name': 'SparseConvNeXt', 'openmmlab': '2.x'},
     "backbone_name 'SparseConvNeXt' is already a model of mmpretrain and "
     'would replace it'),
    ({'backbone_name': 'LayerDecayOptimizerConstructor'},
     "would be written to models/layer_decay_optimizer_constructor.py and "
     "overwrite the project's own module"),
    ({'backbone_name': 'Convnext'}, "backbone_name 'Convnext' would name its "
     'configs and work dirs convnext-*, as those of the ConvNeXt baseline'),
    ({'backbone_name': 'Seg'}, "backbone_name 'Seg' would be written to "
     'models/seg.py, which would shadow the models/seg/ package'),
    ({'backbone_name': 'HierarchicalVisionTransformerV2'},
     "backbone_name 'HierarchicalVisionTransformerV2' has 31 characters: use "
     'at most 30, so that the generated code fits in 79-character lines'),
    ({'backbone_name': 'Sequential'}, "backbone_name 'Sequential' is already "
     'a name in the generated models/sequential.py'),
    ({'backbone_name': 'ResidualBlock', 'tasks': 'det'}, "backbone_name "
     "'ResidualBlock' is already a name in the generated "
     'models/residual_block.py'),
    ({'backbone_name': 'LayerNorm2d', 'backbone_code': 'convnext'},
     "backbone_name 'LayerNorm2d' is already a name in the generated "
     'models/layer_norm2d.py'),
    ({'backbone_name': 'BackboneWithHead', 'tasks': 'seg'}, "backbone_name "
     "'BackboneWithHead' is already a name in the generated "
     'tests/test_layer_decay_optimizer_constructor.py'),
    ({'backbone_name': 'MMClsConvNeXt', 'backbone_code': 'convnext'},
     "backbone_name 'MMClsConvNeXt' is already a name in the generated "
     'tests/test_convnext_parity.py'),
    ({'backbone_name': 'PretrainConvNeXt', 'openmmlab': '2.x'},
     "backbone_name 'PretrainConvNeXt' is already a name in the generated "
     'tools/benchmark.py'),
    ({'backbone_name': 'dict'}, "backbone_name 'dict' is a Python builtin"),
    ({'backbone_name': 'mynet'}, "backbone_name 'mynet' is also the name of "
     'its module, models/mynet.py, which the class would hide'),
    ({'tasks': ''}, "tasks '' is empty: choose any of cls, det, seg"),
    ({'tasks': ' , '}, "tasks ' , ' is empty: choose any of cls, det, seg"),
    ({'tasks': 'cls,pose'}, "tasks 'cls,pose' names unknown task(s) 'pose'"),
    ({'tasks': 'detection'}, "names unknown task(s) 'detection'"),
    ({'project_slug': 'my project'}, "project_slug 'my project' is not a"),
    ({'project_slug': '..'}, "project_slug '..' is not a valid folder"),
    ({'project_slug': '../escape'}, "project_slug '../escape' is not a"),
    ({'project_slug': 'a/b'}, "project_slug 'a/b' is not a valid folder"),
    ({'project_slug': '1project'}, "project_slug '1project' is not a"),
    ({'project_slug': 'import'}, "project_slug 'import' is a Python keyword, "
     'which cannot name a package: give another project_slug (e.g. '
     'import_backbone)'),
    ({'project_name': 'For'}, "project_slug 'for' is a Python keyword"),
]


@pytest.mark.parametrize(
    'answers, message', BAD_ANSWERS, ids=[repr(a) for a, _ in BAD_ANSWERS])
def test_bad_answer_is_refused(answers, message, template_root, tmp_path,
                               capfd):
    output = tmp_path / 'out'
    output.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(template_root),
            no_input=True,
            extra_context=answers,
            output_dir=str(output))
    errors = [
        line for line in capfd.readouterr().err.splitlines()
        if line.startswith('ERROR: ') and 'hook script' not in line
    ]
    assert len(errors) == 1, errors
    assert message in errors[0]
    assert list(output.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out']


@pytest.mark.parametrize('answer, value, choices', [
    ('backbone_code', 'resnet', r"\['skeleton', 'convnext'\]"),
    ('openmmlab', '3.x', r"\['1.x', '2.x'\]"),
])
def test_unknown_choice_is_refused_by_cookiecutter(template_root, tmp_path,
                                                   answer, value, choices):
    """Choice answers are checked by cookiecutter itself, before any hook."""
    with pytest.raises(ValueError, match=rf"{value} provided for choice "
                       rf"variable {answer}, but the choices are {choices}"):
        cookiecutter(
            str(template_root),
            no_input=True,
            extra_context={answer: value},
            output_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


QUOTED = 'Quote " \' \\ back{% raw %}{{ not_jinja }}{% endraw %}'


def test_quotes_and_jinja_text_stay_text(template_root, tmp_path):
    project = cookiecutter(
        str(template_root),
        no_input=True,
        extra_context={
            'project_name': QUOTED,
            'author': QUOTED,
            'backbone_name': 'MyNet',
            'tasks': 'cls'
        },
        output_dir=str(tmp_path))
    readme = (tmp_path / 'quote_back_not_jinja' / 'README.md').read_text()
    assert project.endswith('quote_back_not_jinja')
    assert 'Quote " \' \\ back{{ not_jinja }}' in readme
    assert 'Author: Quote " \' \\ back{{ not_jinja }}.' in readme


#: How each generation's Python lists the names of its model registry.
LIST_MODEL_NAMES = {
    'MMCLS_MODEL_NAMES':
    'import mmcls.models; from mmcls.models.builder import MODELS; '
    'print(sorted(MODELS.module_dict))',
    'MMPRETRAIN_MODEL_NAMES':
    'import mmpretrain.models; from mmpretrain.registry import MODELS; '
    'print(sorted(MODELS.module_dict))',
}


@pytest.mark.parametrize('generation, constant', [
    ('1.x', 'MMCLS_MODEL_NAMES'),
    ('2.x', 'MMPRETRAIN_MODEL_NAMES'),
])
def test_refused_names_are_those_the_toolbox_registers(
        hook_constant, generation, constant):
    """The hook's copy of the model names matches the installed toolbox.

    The hook runs before anything is installed, so it cannot ask it.
    """
    listed = subprocess.run(
        [python_of(generation), '-c', LIST_MODEL_NAMES[constant]],
        capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr[-3000:]
    names = hook_constant('pre_gen_project', constant)
    assert sorted(names) == ast.literal_eval(listed.stdout.splitlines()[-1])


def test_refused_modules_are_those_the_project_keeps(template_root,
                                                     hook_constant):
    """The hook's list of models/ modules matches the template."""
    models = template_root / '{{cookiecutter.__project_folder}}' / 'models'
    modules = sorted(
        path for path in models.glob('*.py')
        if path.stem != '__init__' and '{' not in path.stem)
    assert sorted(hook_constant('pre_gen_project', 'PROJECT_MODULES')) == [
        path.stem for path in modules
    ]


def test_rebake_over_a_folder_with_a_virtualenv(template_root, tmp_path):
    """With -f the name check reads the project's code, not a venv in it."""
    venv_module = tmp_path / 'my_net_backbone' / '.venv' / 'lib' / 'other.py'
    venv_module.parent.mkdir(parents=True)
    venv_module.write_text('class MyNet:\n    pass\n\n\nMyNet = 1\n')
    project = cookiecutter(
        str(template_root),
        no_input=True,
        overwrite_if_exists=True,
        extra_context={
            'backbone_name': 'MyNet',
            'project_slug': 'my_net_backbone',
            'tasks': 'cls'
        },
        output_dir=str(tmp_path))
    assert (Path(project) / 'models' / 'my_net.py').is_file()
    assert venv_module.is_file()


def existing_project(template_root, output):
    """A default bake in ``output``, with a file of the user's in it."""
    project = Path(
        cookiecutter(
            str(template_root), no_input=True, output_dir=str(output)))
    (project / 'configs' / 'det' / 'mine.py').write_text('x = 1\n')
    return project


def tree_state(folder):
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob('*') if path.is_file()
    }


@pytest.mark.parametrize('answers, relative_template', [
    ({'backbone_name': 'Sequential', 'tasks': 'cls'}, False),
    ({'backbone_name': 'BackboneWithHead', 'tasks': 'det'}, False),
    ({'backbone_name': 'BackboneWithHead', 'tasks': 'det'}, True),
    ({'backbone_name': 'ResNet'}, False),
], ids=['models-clash', 'tests-clash', 'tests-clash-relative', 'pre-gen'])
def test_refusal_over_an_existing_project_leaves_it_as_it_was(
        answers, relative_template, template_root, tmp_path, capfd,
        monkeypatch):
    """With -f too: the name clashes are found before anything is written.

    Also for a template given as a relative path (``cookiecutter .``), which
    the hooks, run inside the new project, cannot resolve on their own.
    """
    project = existing_project(template_root, tmp_path)
    before = tree_state(project)
    template = str(template_root)
    if relative_template:
        monkeypatch.chdir(template_root)
        template = '.'
    capfd.readouterr()
    with pytest.raises(FailedHookException):
        cookiecutter(
            template,
            no_input=True,
            overwrite_if_exists=True,
            extra_context=dict(answers, project_slug=project.name),
            output_dir=str(tmp_path))
    errors = [
        line for line in capfd.readouterr().err.splitlines()
        if line.startswith('ERROR: ') and 'hook script' not in line
    ]
    assert len(errors) == 1, errors
    assert f"backbone_name {answers['backbone_name']!r}" in errors[0]
    assert tree_state(project) == before


def test_rebake_over_a_project_with_a_file_that_does_not_parse(
        template_root, tmp_path):
    """The name check reads the template's code, not the user's drafts."""
    project = existing_project(template_root, tmp_path)
    (project / 'tests' / 'draft.py').write_text('def broken(:\n')
    cookiecutter(
        str(template_root),
        no_input=True,
        overwrite_if_exists=True,
        extra_context={'backbone_name': 'MyNet',
                       'project_slug': project.name},
        output_dir=str(tmp_path))
    assert (project / 'models' / 'my_net.py').is_file()
    assert (project / 'tests' / 'draft.py').read_text() == 'def broken(:\n'
