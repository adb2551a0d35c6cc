"""Fixes to the stack that must be in place before a script or mim runs.

Python imports this file when it starts, from the first ``sys.path`` entry
that has one: the project root, after ``export PYTHONPATH=$(pwd)``. See
``docs/en/upstream_fixes.md``.
"""
import os
import sys

import upstream_fixes

upstream_fixes.apply_at_startup(sys.argv)
# Python runs only the first sitecustomize on sys.path: run the next one.
upstream_fixes.run_shadowed_sitecustomize(os.path.dirname(__file__))
