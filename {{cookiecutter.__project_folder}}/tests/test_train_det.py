{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The README's detection commands train and evaluate."""
import re


def test_shapes_train_and_test(try_it):
{%- if 'cls' in tasks %}
    try_it.train('mmcls')
{%- endif %}
    losses = try_it.train('mmdet', finetunes={{ 'cls' in tasks }})
    assert len(losses) >= 4
    assert min(losses[-2:]) < max(losses[:2])

    output = try_it.run('mim test mmdet')
    for metric in ('bbox_mAP', 'segm_mAP'):
        value = re.search(rf"\('{metric}', ([\d.]+)\)", output)
        assert value, output[-3000:]
        assert 0.0 <= float(value[1]) <= 1.0
