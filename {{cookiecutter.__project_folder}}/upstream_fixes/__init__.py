{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
{%- set tasks = cookiecutter.__tasks.split(',') -%}
"""{{ openmmlab.upstream_fixes_summary(tasks) }}

Each fix applies only where the installed versions are ones it is known to
be needed for (the pinned versions and older). A release that fixes the
problem upstream is left alone.

Importing this package applies each fix once the upstream module it fixes
has been imported: at once for those already imported (the configs import
this package through ``custom_imports``, after {{ openmmlab.config_library }}), the others when their
import ends. ``sitecustomize.py`` imports the package when a Python process
starts with the project on ``PYTHONPATH`` (the fixes then also reach ``mim``
itself and the processes of the launchers), so the package itself imports
only a few modules of the standard library.
"""
import sys

__all__ = [
    'APPLIED', 'ORIGINALS', 'FIX_MODULES', 'apply_all', 'apply_at_startup',
    'record', 'release', 'run_shadowed_sitecustomize', 'when_imported'
]

#: Names of the fixes applied in this process, in the order applied.
APPLIED = []

#: The upstream object that each applied fix replaced, by fix name, so that
#: tests can show that upstream is still broken (None: upstream had none).
ORIGINALS = {}

#: The modules of this package that fix an upstream module, with the
#: upstream module whose import applies them.
FIX_MODULES = {
{{- openmmlab.upstream_fix_modules(tasks) }}
}


def release(version):
    """The release numbers at the start of a version string.

    Args:
        version (str): A version such as ``'2.14.1+cu128'`` or ``'1.7.2'``.

    Returns:
        tuple[int]: E.g. ``(2, 14, 1)``; ``()`` if it starts with no number.
    """
    numbers = []
    for part in version.split('.'):
        digits = len(part) - len(part.lstrip('0123456789'))
        if digits:
            numbers.append(int(part[:digits]))
        if digits < len(part):
            break
    return tuple(numbers)


def record(name, original):
    """Note that fix ``name`` is applied and what upstream had before it.

    Args:
        name (str): The fix's name.
        original (object): The upstream object that the fix replaced.
    """
    ORIGINALS[name] = original
    APPLIED.append(name)


class _AfterImport:
    """A ``sys.meta_path`` finder that calls functions after an import.

    It finds nothing itself: for a module with callbacks it asks the other
    finders for the module's spec and makes its loader call them once the
    module's code has run. All other imports pass it with one lookup.
    """

    def __init__(self):
        self.callbacks = {}

    def find_spec(self, name, path=None, target=None):
        if name not in self.callbacks:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, 'exec_module'):
            return spec
        exec_module = loader.exec_module

        def exec_then_call(module):
            # The loader is this module's own: undo the wrapping first.
            del loader.exec_module
            exec_module(module)
            for callback in self.callbacks.pop(name, []):
                callback()

        loader.exec_module = exec_then_call
        return spec


_AFTER_IMPORT = _AfterImport()


def when_imported(module, callback):
    """Call ``callback()`` now if ``module`` is imported, else after it is.

    Args:
        module (str): A module's full name, e.g. ``'{{ openmmlab.config_library }}.runner'``.
        callback (callable): Called with no arguments, once.
    """
    if module in sys.modules:
        callback()
        return
    _AFTER_IMPORT.callbacks.setdefault(module, []).append(callback)
    if _AFTER_IMPORT not in sys.meta_path:
        sys.meta_path.insert(0, _AFTER_IMPORT)


def _apply_module(name):
    import importlib
    importlib.import_module(f'{__name__}.{name}').apply()


def apply_all():
    """Apply every fix whose upstream module is imported, the rest later.

    Safe to call again: each fix applies once.

    Returns:
        list[str]: :data:`APPLIED`, the names of the fixes applied so far.
    """
    for name, upstream in FIX_MODULES.items():
        when_imported(upstream, lambda name=name: _apply_module(name))
    return APPLIED


{{ openmmlab.apply_at_startup() }}


def run_shadowed_sitecustomize(folder):
    """Run the ``sitecustomize`` that the one in ``folder`` hides.

    Python imports only the first ``sitecustomize`` on ``sys.path``; a
    distribution's or a virtual environment's own one comes later there.

    Args:
        folder (str): The folder of the ``sitecustomize.py`` that runs.
    """
    import importlib.machinery
    import os
    here = os.path.abspath(folder)
    path = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec('sitecustomize', path)
    if spec is None or spec.loader is None:
        return
    # importlib.util.module_from_spec would cost more than all the rest.
    module = type(sys)(spec.name)
    module.__file__ = spec.origin
    module.__loader__ = spec.loader
    module.__spec__ = spec
    spec.loader.exec_module(module)


apply_all()
