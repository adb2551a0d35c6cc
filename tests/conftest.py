from pathlib import Path

import pytest

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def template_root():
    return TEMPLATE_ROOT
