import ast
import importlib.util
import json
import sys
from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
# The template's own modules (local_extensions), for the tests that ask them
# what a bake keeps.
if str(TEMPLATE_ROOT) not in sys.path:
    sys.path.insert(0, str(TEMPLATE_ROOT))


@pytest.fixture
def template_root():
    return TEMPLATE_ROOT


@pytest.fixture
def hook_constant():
    """Read the literal value a hook assigns to a name, without running it.

    The hooks' Jinja sits inside string literals, so the unrendered hooks
    parse.
    """

    def read(hook, name):
        tree = ast.parse((TEMPLATE_ROOT / 'hooks' / f'{hook}.py').read_text())
        return next(
            ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(
                node.targets[0], ast.Name) and node.targets[0].id == name)

    return read


@pytest.fixture
def rendered_hook(tmp_path, monkeypatch):
    """A hook rendered as cookiecutter renders it for a baked project.

    Returns a function of the hook's name and the baked project that returns
    the rendered hook imported as a module (its ``main`` is not run).
    """
    from cookiecutter.environment import StrictEnvironment

    # For local_extensions, as cookiecutter finds it.
    monkeypatch.syspath_prepend(str(TEMPLATE_ROOT))

    def load(hook, project):
        context = json.loads((project / '.cookiecutter.json').read_text())
        context['cookiecutter']['_repo_dir'] = str(TEMPLATE_ROOT)
        environment = StrictEnvironment(
            context=context, keep_trailing_newline=True)
        source = (TEMPLATE_ROOT / 'hooks' / f'{hook}.py').read_text()
        script = tmp_path / f'{hook}_{project.name}.py'
        script.write_text(environment.from_string(source).render(**context))
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def pytest_collection_modifyitems(items):
    # The baked projects' suites take most of the time: started first, they
    # run beside each other and the short tests fill in around them when
    # pytest-xdist runs several workers.
    items.sort(key=lambda item: item.path.name != 'test_generated_projects.py')


# The stack checks are templates, rendered into baked projects and run there
# (tests/test_generated_projects.py).
collect_ignore = ['stack']
