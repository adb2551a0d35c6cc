# {{ cookiecutter.backbone_name }}-tiny on ImageNet-1k: 32 images per GPU on 1 GPU.
_base_ = ['./{{ cookiecutter.__config_prefix }}-tiny_8xb128_in1k.py']

data = dict(samples_per_gpu=32)
optimizer = dict(lr=3.125e-5)  # 1e-3 * total batch / 1024
