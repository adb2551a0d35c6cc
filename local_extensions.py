"""Jinja filters of the template: how answers become names in the project.

The filters never raise: a bad answer is reported, with a clear message, by
``hooks/pre_gen_project.py``, so here it only has to render to something
harmless.
"""
import os
import re

from jinja2.ext import Extension

KNOWN_TASKS = ('cls', 'det', 'seg')
# The template's folder, for the pre-gen hook's scratch bake. Cookiecutter
# passes the template to the hooks only as typed (``cookiecutter .``), which
# a hook, run inside the new project, cannot resolve.
TEMPLATE_DIR = os.path.dirname(os.path.abspath(__file__))

# Names whose usual OpenMMLab spelling the generic CamelCase split would break
# (ConvNeXt -> conv_ne_xt).
_MODULE_NAMES = {'ConvNeXt': 'convnext'}


def module_name(class_name):
    """``MyNet`` -> ``my_net``, ``ConvNeXt`` -> ``convnext``."""
    class_name = str(class_name)
    if class_name in _MODULE_NAMES:
        return _MODULE_NAMES[class_name]
    words = re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', class_name)
    words = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', words)
    return re.sub(r'\W+', '_', words).strip('_').lower() or 'backbone'


def config_prefix(class_name):
    """``MyNet`` -> ``my-net``: OpenMMLab config names use dashes."""
    return module_name(class_name).replace('_', '-')


def package_name(text):
    """``My Net Backbone!`` -> ``my_net_backbone``: a valid package name."""
    slug = re.sub(r'[^0-9a-zA-Z]+', '_', str(text)).strip('_').lower()
    if not slug:
        return 'backbone_project'
    # A package name cannot start with a digit ("3D Net" -> project_3d_net).
    return 'project_' + slug if slug[0].isdigit() else slug


def folder_name(slug):
    """A single folder name for the project, whatever the slug holds.

    A valid slug comes out unchanged; an invalid one (refused by the pre-gen
    hook) must still name one new folder inside the output directory, so
    that cookiecutter's clean-up after the refusal leaves nothing behind.
    """
    name = re.sub(r'[^0-9A-Za-z_.-]', '_', str(slug))
    return name if name.strip('.') else '_' + name


def task_list(text):
    """``'Seg, cls cls'`` -> ``['cls', 'seg']``; unknown words are dropped."""
    words = set(re.split(r'[\s,]+', str(text).strip().lower()))
    return [task for task in KNOWN_TASKS if task in words]


def recorded_answers(context):
    """The bake's context without this machine's paths, for replay files."""
    return {
        key: value
        for key, value in dict(context).items()
        if key not in ('_output_dir', '_repo_dir')
    }


class TemplateFilters(Extension):

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(
            module_name=module_name,
            config_prefix=config_prefix,
            package_name=package_name,
            folder_name=folder_name,
            task_list=task_list,
            recorded_answers=recorded_answers)
        environment.globals['template_dir'] = TEMPLATE_DIR
