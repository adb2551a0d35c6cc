{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""The README's detection commands train and evaluate."""
import re

from conftest import train_losses


def test_shapes_train_and_test(try_it):
{%- if 'cls' in tasks %}
    try_it.run('mim train mmcls')
{%- endif %}
    train = try_it.command('mim train mmdet')
    output = try_it.run('mim train mmdet')
{%- if 'cls' in tasks %}
    loaded = r'load backbone\. in model from: work_dirs/\S+/latest\.pth'
    assert re.search(loaded, output), output[-3000:]
{%- endif %}
    work_dir = re.search(r'--work-dir (\S+)', train)[1]
    losses = train_losses(try_it.workspace / work_dir)
    assert len(losses) >= 4
    assert min(losses[-2:]) < max(losses[:2])

    output = try_it.run('mim test mmdet')
    for metric in ('bbox_mAP', 'segm_mAP'):
        value = re.search(rf"\('{metric}', ([\d.]+)\)", output)
        assert value, output[-3000:]
        assert 0.0 <= float(value[1]) <= 1.0
