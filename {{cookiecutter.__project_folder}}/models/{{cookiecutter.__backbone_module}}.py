{%- if cookiecutter.__backbone_source == 'convnext' %}
{%- include 'backbones/convnext.py' %}
{%- else %}
{%- include 'backbones/skeleton.py' %}
{%- endif %}