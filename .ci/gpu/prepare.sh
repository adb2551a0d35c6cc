#!/usr/bin/env bash
# Prepares the GPU check (check.sh) for a GPU machine without network. Run it
# on a machine with network and the same CPU architecture and OS family; for
# OpenMMLab generation GEN (OPENMMLAB, default 1.x) it makes:
#   .gpu/GEN/project  the default project of that generation;
#   .gpu/GEN/venv     a venv of the GPU machine's Python and torch, with the
#                     stack installed by the project's own tools/install.sh
#                     (mmcv built from the sdist for that torch; without CUDA
#                     here, its ops are CPU-only, so check.sh leaves
#                     detection out);
#   .gpu/GEN/wheels   the wheels of every package the GPU machine lacks.
# Then it dry-runs check.sh here, with the wheels installed the way the GPU
# machine will install them. Copy .ci/gpu/, .gpu/GEN/wheels and
# .gpu/GEN/project there and run, from the copy of this repository:
#   WHEELS=.gpu/GEN/wheels bash .ci/gpu/check.sh .gpu/GEN/project
# Rerunning reuses .gpu/GEN/venv and bakes the project afresh.
#
# Environment:
#   OPENMMLAB           the generation: 1.x (default) or 2.x.
#   TARGET_PYTHON       the GPU machine's Python version's interpreter here
#                       (default python3).
#   TARGET_TORCH, TARGET_TORCHVISION
#                       its torch and torchvision (default 2.14.1, 0.29.1).
#   TARGET_PACKAGES     a file of the packages the GPU machine already has,
#                       one a line (`python3 -m pip list --format=freeze`
#                       there); without it every package but torch is carried.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OPENMMLAB=${OPENMMLAB:-1.x}
GPU_DIR=$ROOT/.gpu/$OPENMMLAB
MMCV_PACKAGE=$([ "$OPENMMLAB" = 1.x ] && echo mmcv-full || echo mmcv)
TARGET_PYTHON=${TARGET_PYTHON:-python3}
TARGET_TORCH=${TARGET_TORCH:-2.14.1}
TARGET_TORCHVISION=${TARGET_TORCHVISION:-0.29.1}
TARGET_PACKAGES=${TARGET_PACKAGES:-/dev/null}
log() { printf '\n[prepare] %s\n' "$*"; }

mkdir -p "$GPU_DIR/wheels"
VENV_PYTHON=$GPU_DIR/venv/bin/python
if [ ! -x "$VENV_PYTHON" ]; then
    log "a $TARGET_PYTHON venv with torch $TARGET_TORCH"
    "$TARGET_PYTHON" -m venv "$GPU_DIR/venv"
    "$VENV_PYTHON" -m pip install -q --disable-pip-version-check "pip<26"
fi
"$VENV_PYTHON" -m pip install -q --disable-pip-version-check \
    "torch==$TARGET_TORCH" "torchvision==$TARGET_TORCHVISION" cookiecutter

log "the default project of OpenMMLab $OPENMMLAB"
rm -rf "$GPU_DIR/project" "$GPU_DIR/bake"
"$VENV_PYTHON" -m cookiecutter "$ROOT" --no-input -o "$GPU_DIR/bake" \
    openmmlab="$OPENMMLAB"
mv "$GPU_DIR"/bake/* "$GPU_DIR/project"
rm -rf "$GPU_DIR/bake"

log "the OpenMMLab stack, with the project's tools/install.sh"
PYTHON=$VENV_PYTHON MMCV_WHEEL_DIR=$GPU_DIR/wheels \
    bash "$GPU_DIR/project/tools/install.sh" \
    -r "$GPU_DIR/project/requirements/tests.txt" timm cookiecutter

log "wheels for what the GPU machine lacks"
# Carried: every installed package that the GPU machine does not list, and
# setuptools, which the stack needs below 82 (pkg_resources).
"$VENV_PYTHON" - "$TARGET_PACKAGES" > "$GPU_DIR/carried.txt" <<'PY'
import re
import sys
from importlib.metadata import distributions


def canonical(name):
    return re.sub(r'[-_.]+', '-', name).lower()


with open(sys.argv[1]) as f:
    on_target = {
        canonical(re.split(r'[=<>~ @]', line.strip())[0])
        for line in f if line.strip() and not line.startswith('#')
    }
for dist in sorted(distributions(), key=lambda d: canonical(d.name)):
    name = canonical(dist.name)
    if name.startswith('nvidia-') or name in ('pip', 'torch', 'torchvision',
                                               'mmcv-full', 'mmcv', 'triton'):
        continue
    if name not in on_target or name == 'setuptools':
        print(f'{name}=={dist.version}')
PY
"$VENV_PYTHON" -m pip download -q --disable-pip-version-check --no-deps \
    --only-binary :all: -d "$GPU_DIR/wheels" -r "$GPU_DIR/carried.txt"
# Only the wheels of this stack: drop any left over from other versions.
keep=$(sed 's/==.*//' "$GPU_DIR/carried.txt" | tr '\n' ' ')
for wheel in "$GPU_DIR"/wheels/*.whl; do
    name=$(basename "$wheel" | cut -d- -f1 | tr '_.' '--' | tr 'A-Z' 'a-z')
    case " $keep $MMCV_PACKAGE " in
        *" $name "*) ;;
        *) rm -f "$wheel" ;;
    esac
done
echo "carried: $(wc -l < "$GPU_DIR/carried.txt") packages + $MMCV_PACKAGE," \
    "$(du -sh "$GPU_DIR/wheels" | cut -f1)"

log "dry run of check.sh (the wheels installed as on the GPU machine)"
# Without the carried packages in the venv, so that a wheel missing from
# .gpu/wheels shows up here rather than on the GPU machine.
sed 's/==.*//' "$GPU_DIR/carried.txt" |
    xargs "$VENV_PYTHON" -m pip uninstall -q -y "$MMCV_PACKAGE"
status=0
PYTHON=$VENV_PYTHON WHEELS=$GPU_DIR/wheels OUT=$GPU_DIR/dry-run \
    bash "$ROOT/.ci/gpu/check.sh" --dry-run "$GPU_DIR/project" || status=$?
# Back to a complete venv for the next run of this script.
"$VENV_PYTHON" -m pip install -q --disable-pip-version-check --no-index \
    --no-deps "$GPU_DIR"/wheels/*.whl
exit "$status"
