"""The toy classification trains and tests with the README's commands."""
import re

import pytest


@pytest.mark.slow
def test_digits_train_and_test(toy_project):
    toy_project.train('cls')
    losses = toy_project.train_losses('cls')
    assert losses[-1] < losses[0]

    output = toy_project.test('cls')
    top1 = float(re.search(r'accuracy_top-1\s*:\s*([\d.]+)', output)[1])
    assert top1 >= 90.0, output[-2000:]
