{%- set tasks = cookiecutter.__tasks.split(',') -%}
# The configs import this package through ``custom_imports``; importing it
# registers everything the configs refer to.
from . import torch2_compat  # noqa: F401
from .{{ cookiecutter.__backbone_module }} import {{ cookiecutter.backbone_name }}
{%- if 'det' in tasks or 'seg' in tasks %}
from .layer_decay_optimizer_constructor import \
    BackboneLayerDecayOptimizerConstructor
{%- endif %}

__all__ = [
    '{{ cookiecutter.backbone_name }}',
{%- if 'det' in tasks or 'seg' in tasks %}
    'BackboneLayerDecayOptimizerConstructor',
{%- endif %}
]
