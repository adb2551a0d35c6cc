{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
"""The toy classification trains and tests with the README's commands."""
import pytest


@pytest.mark.slow
def test_digits_train_and_test(toy_project):
    toy_project.train('cls')
    losses = toy_project.train_losses('cls')
    assert losses[-1] < losses[0]

    assert toy_project.test_metric('cls', '{{ openmmlab.metric.top1 }}') >= 90.0
