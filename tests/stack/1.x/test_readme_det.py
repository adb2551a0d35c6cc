{%- set finetunes = 'cls' in cookiecutter.__tasks.split(',') -%}
"""The README's detection commands start from the classifier and draw."""


def test_det_starts_from_the_readme_classification_run(try_it):
{%- if finetunes %}
    try_it.train('mmcls')
{%- endif %}
    try_it.train('mmdet', finetunes={{ finetunes }})


def test_det_look_at_data_and_predictions(try_it):
{%- if finetunes %}
    try_it.train('mmcls')
{%- endif %}
    try_it.train('mmdet', finetunes={{ finetunes }})
    folders = try_it.look('mmdet')
    try_it.assert_drew_each_image(folders['--output-dir'],
                                  'data/toy/coco/train2017')
    try_it.assert_drew_each_image(folders['--show-dir'],
                                  'data/toy/coco/val2017')
