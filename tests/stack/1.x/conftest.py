"""Fixtures of the stack checks, on top of the project's own."""
import pytest
from stack_helpers import TryIt


@pytest.fixture(scope='session')
def try_it(toy_project):
    """The README's commands, run as printed in the project's toy copy."""
    return TryIt(toy_project)


@pytest.fixture(scope='session')
def copy_project(toy_project):
    """Copy what the README's commands need into a folder.

    Returns:
        callable: ``copy_project(workspace)``, which copies what the
        project's own ``ToyProject`` copies.
    """
    return type(toy_project)
