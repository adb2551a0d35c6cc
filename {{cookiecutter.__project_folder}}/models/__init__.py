{%- set tasks = cookiecutter.__tasks.split(',') -%}
{%- set exports = [(cookiecutter.__backbone_module, cookiecutter.backbone_name)] -%}
{%- if 'det' in tasks or 'seg' in tasks -%}
{%- set exports = exports + [('layer_decay_optimizer_constructor', 'BackboneLayerDecayOptimizerConstructor')] -%}
{%- endif -%}
# The configs import this package through ``custom_imports``; importing it
# registers everything the configs refer to.
{%- for module, name in exports|sort %}
{%- set line = 'from .' ~ module ~ ' import ' ~ name %}
{%- if line|length > 79 %}
from .{{ module }} import \
    {{ name }}
{%- else %}
{{ line }}
{%- endif %}
{%- endfor %}

__all__ = [
{%- for module, name in exports %}
    '{{ name }}',
{%- endfor %}
]
