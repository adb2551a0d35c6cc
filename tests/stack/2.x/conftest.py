"""Fixtures of the stack checks, on top of the project's own."""
import pytest
from stack_helpers import without_fixes


@pytest.fixture(scope='session')
def unfixed(tmp_path_factory):
    """Folders that leave fixes of ``upstream_fixes/`` out.

    Returns:
        callable: ``unfixed(name)``: a folder to put before the project on
        ``PYTHONPATH`` (made once) so that commands run without the fix
        module ``name``.
    """
    made = {}

    def make(name):
        if name not in made:
            made[name] = without_fixes(
                tmp_path_factory.mktemp(f'without-{name}'), name)
        return made[name]

    return make


@pytest.fixture(scope='session')
def copy_project(toy_project):
    """Copy what the README's commands need into a folder.

    Returns:
        callable: ``copy_project(workspace)``, which copies what the
        project's own ``ToyProject`` copies (no data).
    """
    return type(toy_project)
