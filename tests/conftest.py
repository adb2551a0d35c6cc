import ast
from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]


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

# The stack checks are templates, rendered into baked projects and run there
# (tests/test_generated_projects.py).
collect_ignore = ['stack']
