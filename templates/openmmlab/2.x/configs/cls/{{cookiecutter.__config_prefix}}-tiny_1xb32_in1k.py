{%- from 'configs/long_names.jinja' import noqa_if_long -%}
# {{ cookiecutter.backbone_name }}-tiny on ImageNet-1k:
# 32 images per GPU on 1 GPU.
{% call noqa_if_long() %}_base_ = './{{ cookiecutter.__config_prefix }}-tiny_8xb128_in1k.py'{% endcall %}

train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=3.125e-5))  # 1e-3 * total batch / 1024
