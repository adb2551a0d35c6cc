"""Jinja filters of the template: how answers become names in the project.

The filters never raise: a bad answer is reported, with a clear message, by
``hooks/pre_gen_project.py``, so here it only has to render to something
harmless.

Both hooks also import this module, for what a bake writes
(:func:`baked_files`) and which of it the answers keep (:func:`keeps`).
"""
import os
import re

from jinja2.ext import Extension

KNOWN_TASKS = ('cls', 'det', 'seg')
# The folder this module was first imported from: the template's, unless
# one process bakes several templates (see :func:`template_folder`).
TEMPLATE_DIR = os.path.dirname(os.path.abspath(__file__))
# The folder that cookiecutter renders into the project.
PROJECT_TEMPLATE = '{{cookiecutter.__project_folder}}'

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


def template_folder(repo_dir):
    """The template's folder, for the hooks, from the context's ``_repo_dir``.

    Cookiecutter records the template as typed (``cookiecutter .``), which
    a hook, run inside the new project, cannot resolve; this filter runs
    where cookiecutter runs. A process that bakes several templates
    (pytest-cookies) imports this module once, so ``_repo_dir`` comes first.
    """
    repo_dir = str(repo_dir)
    if repo_dir and os.path.isdir(repo_dir):
        return os.path.abspath(repo_dir)
    return TEMPLATE_DIR


def recorded_answers(context):
    """The bake's context without this machine's paths, for replay files."""
    return {
        key: value
        for key, value in dict(context).items()
        if key not in ('_output_dir', '_repo_dir')
    }


def baked_files(template_dir, render):
    """Where a bake writes each file of the template's project folder.

    Cookiecutter writes every file of the folder, under its rendered name,
    before the post-gen hook removes what the answers do not keep.

    Args:
        template_dir (str): The template's root folder.
        render (callable): Renders a path that holds Jinja syntax with the
            bake's context.

    Returns:
        dict: The written path (relative to the project, with ``/``) of each
        file, mapped to its path in the project folder of the template, which
        is also its name for cookiecutter's Jinja loader.
    """
    root = os.path.join(template_dir, PROJECT_TEMPLATE)
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            source = os.path.relpath(os.path.join(folder, name), root)
            source = source.replace(os.sep, '/')
            files[render(source) if '{' in source else source] = source
    return files


def chosen_answers(context):
    """What a bake chose, in the words of the post-gen hook's table.

    Args:
        context (dict): The bake's ``cookiecutter`` context.

    Returns:
        set: Its tasks, its backbone source and its OpenMMLab generation,
        and ``baseline`` for a backbone other than ConvNeXt (the toolbox's
        ConvNeXt is its baseline).
    """
    chosen = set(context['__tasks'].split(',')) | {
        context['__backbone_source'], context['openmmlab']
    }
    if context['backbone_name'] != 'ConvNeXt':
        chosen.add('baseline')
    return chosen


def owners_chosen(owners, chosen):
    """Whether a key of ``OWNED_PATHS`` names answers that are chosen.

    Args:
        owners (str): Alternatives separated by spaces, each one answer or
            answers joined by ``+`` that must all be chosen: ``'det seg'``
            is det or seg, ``'seg+1.x'`` is seg in a 1.x bake.
        chosen (set): What :func:`chosen_answers` gives.

    Returns:
        bool
    """
    return any(
        set(alternative.split('+')) <= chosen
        for alternative in owners.split())


def keeps(path, owned_paths, chosen):
    """Whether a bake keeps a file it wrote.

    Args:
        path (str): The file, relative to the project, with ``/``.
        owned_paths (dict): The post-gen hook's ``OWNED_PATHS``: for the
            answers named in each key, the files (and folders, ending in
            ``/``) that only they keep.
        chosen (set): What :func:`chosen_answers` gives.

    Returns:
        bool: False if an entry of ``owned_paths`` holds ``path`` and its
        key names no chosen answers.
    """
    for owners, paths in owned_paths.items():
        for owned in paths:
            if path == owned or owned.endswith('/') and path.startswith(owned):
                return owners_chosen(owners, chosen)
    return True


class TemplateFilters(Extension):

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(
            module_name=module_name,
            config_prefix=config_prefix,
            package_name=package_name,
            folder_name=folder_name,
            task_list=task_list,
            template_folder=template_folder,
            recorded_answers=recorded_answers)
