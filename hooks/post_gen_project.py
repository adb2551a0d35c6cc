"""Shape the generated project to the answers and print the next steps.

``OWNED_PATHS`` is the one table of what the answers own. Cookiecutter has
written every file of the template; this hook removes the files of the
paths that no chosen answer keeps, and only those: a bake over an existing
project (``-f``) leaves the user's own files where they are. A folder left
empty goes too. A folder that still holds files this bake did not write
stays, and one line says so.

The answers, and the backbone name against the generated code, were checked
by the pre-gen hook before anything was written.
"""
import json
import os
import sys
from pathlib import Path

CONTEXT = json.loads(r'''{{ cookiecutter | tojson }}''')
TEMPLATE_DIR = json.loads(
    r'''{{ cookiecutter._repo_dir|default('')|template_folder|tojson }}''')

# What the answers own. Each key names tasks, backbone sources or OpenMMLab
# generations (the answers' ``__tasks``, ``__backbone_source`` and
# ``openmmlab``), or ``baseline`` (a backbone_name other than ConvNeXt,
# whose project trains the toolbox's ConvNeXt beside it); its paths are kept
# when any of them is chosen, and a ``+`` joins answers that must all be
# chosen. A path ending in / is a folder: every file that the template has
# under it. Every other file of the template is kept by every bake. A path
# belongs to the first key that names it (or a folder above it), so a
# folder inside another owner's folder comes first. The template's tests and
# README tree follow this table.
OWNED_PATHS = {
    'cls+baseline': ['configs/cls/baseline/'],
    'det+baseline': ['configs/det/baseline/'],
    'seg+baseline': ['configs/seg/baseline/'],
    'cls': [
        'configs/cls/',
        'data/imagenet/',
        'tests/test_train_cls.py',
        'tools/toy_data/cls_imagenet_digits.py',
    ],
    'det': [
        'configs/det/',
        'data/coco/',
        'tests/test_train_det.py',
        'tools/toy_data/det_coco_shapes.py',
    ],
    'seg': [
        'configs/seg/',
        'data/ade/',
        'tests/test_train_seg.py',
        'tools/toy_data/seg_ade_shapes.py',
    ],
    'det seg': [
        'models/layer_decay_optimizer_constructor.py',
        'tests/test_layer_decay_optimizer_constructor.py',
        'tools/toy_data/shapes.py',
    ],
    'convnext': ['tests/test_convnext_parity.py'],
    'convnext+1.x': ['tools/model_converters/timm_convnext_to_mmcls.py'],
    'convnext+2.x': ['tools/model_converters/timm_convnext_to_mmpretrain.py'],
    '1.x': [
        'requirements/openmmlab1x.txt',
        'upstream_fixes/data_parallel.py',
        'upstream_fixes/iter_runner_resume.py',
        'upstream_fixes/launcher_argv.py',
    ],
    'seg+1.x': ['upstream_fixes/seg_repeat_dataset.py'],
    '2.x': ['requirements/openmmlab2x.txt'],
}
# Files of the user's named in the line about kept folders; the rest are
# counted.
KEPT_FILES_SHOWN = 3


def unwanted_paths(chosen):
    """The entries of ``OWNED_PATHS`` that no chosen answer keeps."""
    from local_extensions import owners_chosen

    return [
        path for owners, paths in OWNED_PATHS.items()
        if not owners_chosen(owners, chosen) for path in paths
    ]


def unwanted_files(chosen):
    """The files this bake wrote that its answers do not keep."""
    # Imported here, not at the top: a bake that keeps every path does not
    # walk the template.
    import jinja2

    from local_extensions import baked_files, keeps

    # File names hold only the context's names: a plain strict environment
    # renders them as cookiecutter does, without loading its extensions.
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)

    def render(text):
        return environment.from_string(text).render(cookiecutter=CONTEXT)

    return sorted(path for path in baked_files(TEMPLATE_DIR, render)
                  if not keeps(path, OWNED_PATHS, chosen))


def remove(files, folders):
    """Remove this bake's ``files`` and the folders they leave empty.

    Args:
        files (list[str]): Files this bake wrote, relative to the project.
        folders (list[Path]): The unwanted folders that hold them.

    Returns:
        dict: Each of ``folders`` that stays because it holds other files,
        mapped to those files.
    """
    emptied = set()
    for file in map(Path, files):
        if file.is_file() or file.is_symlink():
            file.unlink()
        emptied.update(file.parents[:-1])
    # A folder that is a link (data/coco to a data set kept elsewhere, as
    # OpenMMLab suggests) is the user's: nothing in it is emptied.
    own_folders = [folder for folder in folders if not folder.is_symlink()]
    for folder in own_folders:
        emptied.update(Path(root) for root, _, _ in os.walk(folder))
    # Deepest first, so that a folder's empty subfolders are gone by then.
    for folder in sorted(emptied, key=lambda f: len(f.parts), reverse=True):
        if folder.is_dir() and not folder.is_symlink() and not any(
                folder.iterdir()):
            folder.rmdir()
    kept = {}
    for folder in folders:
        if folder.is_symlink():
            kept[folder] = [folder.as_posix()]
        elif folder.is_dir():
            # Links to folders count as files: their contents are elsewhere.
            kept[folder] = sorted(
                (Path(root) / name).as_posix()
                for root, subfolders, names in os.walk(folder)
                for name in names + [
                    subfolder for subfolder in subfolders
                    if (Path(root) / subfolder).is_symlink()
                ])
    return kept


def kept_line(kept):
    """One line on the owned folders that stay, and why."""
    folders = [f'{folder.as_posix()}/' for folder in kept]
    if len(folders) > 1:
        folders = [', '.join(folders[:-1]), folders[-1]]
    files = [file for names in kept.values() for file in names]
    shown = ', '.join(files[:KEPT_FILES_SHOWN])
    if len(files) > KEPT_FILES_SHOWN:
        shown += f' and {len(files) - KEPT_FILES_SHOWN} more'
    they = 'it holds' if len(kept) == 1 else 'they hold'
    return (f'Kept {" and ".join(folders)}: {they} files this bake did not '
            f'write ({shown})')


def next_steps(tasks):
    # The README's first training, as printed there.
    readme = Path('README.md').read_text(encoding='utf-8')
    first_training = next(line for line in readme.splitlines()
                          if line.startswith('mim train '))
    return '\n'.join([
        '',
        f'Created {CONTEXT["project_slug"]}/ for: {", ".join(tasks)}.',
        'Next steps:',
        f'  cd {CONTEXT["project_slug"]}',
        '  bash tools/install.sh -r requirements/tests.txt  # OpenMMLab '
        f'{CONTEXT["openmmlab"]}',
        '  export PYTHONPATH=$(pwd)',
        '  python tools/make_toy_data.py    # tiny datasets in data/toy/',
        f'  {first_training}',
        'README.md has the rest of "Try it in 5 minutes" and the commands',
        'for real data, many GPUs and Slurm.',
    ])


def main():
    if TEMPLATE_DIR not in sys.path:  # for local_extensions
        sys.path.insert(0, TEMPLATE_DIR)
    from local_extensions import chosen_answers

    tasks = CONTEXT['__tasks'].split(',')
    chosen = chosen_answers(CONTEXT)
    unwanted = unwanted_paths(chosen)
    if unwanted:
        kept = remove(
            unwanted_files(chosen),
            [Path(path) for path in unwanted if path.endswith('/')])
        if kept:
            print(kept_line(kept))
    print(next_steps(tasks))
    return 0


if __name__ == '__main__':
    sys.exit(main())
