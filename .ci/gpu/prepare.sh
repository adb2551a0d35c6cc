#!/usr/bin/env bash
# Prepares the GPU check (.ci/gpu/README.md) on this machine, for the lent
# GPU machine, which has Python 3.12 and torch 2.11 but none of the
# OpenMMLab stack and no network:
#   .gpu/venv     Python 3.12 with that torch and the stack, installed by the
#                 project's own tools/install.sh (mmcv-full built from the
#                 sdist: about 40 minutes on 2 cores, once);
#   .gpu/wheels   the wheels that the GPU machine lacks (mmcv-full, the
#                 toolboxes, their pure-Python needs), about 35 MB;
#   .gpu/project  the default project (ConvNeXt; cls, det, seg).
# Then it dry-runs check.sh here on the CPU, installing the wheels the way
# the GPU machine will. .gpu/ is git-ignored; rerunning reuses what is there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GPU_DIR=$ROOT/.gpu
# What the GPU machine has (device tool's KINDS.md): keep in step with it.
DEVICE_PYTHON=${DEVICE_PYTHON:-python3.12}
DEVICE_TORCH=${DEVICE_TORCH:-2.11.0}
DEVICE_TORCHVISION=${DEVICE_TORCHVISION:-0.26.0}
PROJECT_TEMPLATE="$ROOT/{{cookiecutter.__project_folder}}"
log() { printf '\n[prepare] %s\n' "$*"; }

mkdir -p "$GPU_DIR/wheels"
VENV_PYTHON=$GPU_DIR/venv/bin/python
if [ ! -x "$VENV_PYTHON" ]; then
    log "a $DEVICE_PYTHON venv with torch $DEVICE_TORCH"
    "$DEVICE_PYTHON" -m venv "$GPU_DIR/venv"
    "$VENV_PYTHON" -m pip install -q --disable-pip-version-check "pip<26"
fi
"$VENV_PYTHON" -m pip install -q --disable-pip-version-check \
    "torch==$DEVICE_TORCH" "torchvision==$DEVICE_TORCHVISION"

log "the OpenMMLab stack, with the project's tools/install.sh"
PYTHON=$VENV_PYTHON MMCV_WHEEL_DIR=$GPU_DIR/wheels \
    bash "$PROJECT_TEMPLATE/tools/install.sh" \
    -r "$PROJECT_TEMPLATE/requirements/tests.txt"

log "wheels for what the GPU machine lacks"
# Carried: every installed package the GPU machine does not list, and the
# ones whose version the stack pins (setuptools<82 for pkg_resources,
# click<8.3.1 for mim's --launcher slurm).
"$VENV_PYTHON" - "$ROOT/.ci/gpu/device-packages.txt" > "$GPU_DIR/carried.txt" <<'PY'
import re
import sys
from importlib.metadata import distributions


def canonical(name):
    return re.sub(r'[-_.]+', '-', name).lower()


with open(sys.argv[1]) as f:
    on_device = {canonical(line.strip()) for line in f
                 if line.strip() and not line.startswith('#')}
pinned = {'setuptools', 'click'}
for dist in sorted(distributions(), key=lambda d: canonical(d.name)):
    name = canonical(dist.name)
    if name.startswith('nvidia-') or name in ('pip', 'torch', 'torchvision',
                                               'mmcv-full', 'triton'):
        continue
    if name not in on_device or name in pinned:
        print(f'{name}=={dist.version}')
PY
"$VENV_PYTHON" -m pip download -q --disable-pip-version-check --no-deps \
    --only-binary :all: -d "$GPU_DIR/wheels" -r "$GPU_DIR/carried.txt"
# Only the wheels of this stack: drop any left over from other versions.
keep=$(sed 's/==.*//' "$GPU_DIR/carried.txt" | tr '\n' ' ')
for wheel in "$GPU_DIR"/wheels/*.whl; do
    name=$(basename "$wheel" | cut -d- -f1 | tr '_.' '--' | tr 'A-Z' 'a-z')
    case " $keep mmcv-full " in
        *" $name "*) ;;
        *) rm -f "$wheel" ;;
    esac
done
echo "carried: $(wc -l < "$GPU_DIR/carried.txt") packages + mmcv-full," \
    "$(du -sh "$GPU_DIR/wheels" | cut -f1)"

log "the default project"
rm -rf "$GPU_DIR/project" "$GPU_DIR/bake"
"$VENV_PYTHON" -m pip install -q --disable-pip-version-check cookiecutter==2.7.1
"$GPU_DIR/venv/bin/cookiecutter" "$ROOT" --no-input -o "$GPU_DIR/bake"
mv "$GPU_DIR"/bake/* "$GPU_DIR/project"
rm -rf "$GPU_DIR/bake"

log "dry run of check.sh on the CPU (the wheels installed as on the GPU machine)"
# Without the carried packages in the venv, so that a wheel missing from
# .gpu/wheels shows up here rather than on the GPU machine.
sed 's/==.*//' "$GPU_DIR/carried.txt" | xargs "$VENV_PYTHON" -m pip uninstall -q -y mmcv-full
PYTHON=$VENV_PYTHON OUT=$GPU_DIR/dry-run bash "$ROOT/.ci/gpu/check.sh"
# Back to a complete venv for the next run of this script.
"$VENV_PYTHON" -m pip install -q --disable-pip-version-check --no-index \
    --no-deps "$GPU_DIR"/wheels/*.whl
