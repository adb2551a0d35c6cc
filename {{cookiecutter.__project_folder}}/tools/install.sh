{%- import 'openmmlab/' ~ cookiecutter.openmmlab ~ '.jinja' as openmmlab -%}
#!/usr/bin/env bash
# Installs the {{ openmmlab.name }} stack ({{ openmmlab.requirements }}) into the
# active Python on today's PyTorch, working around what the old packages
# cannot do by themselves. Extra arguments are handed to the final
# `pip install` (e.g. `-r requirements/tests.txt`).
#
# Environment:
#   TORCH_VERSION / TORCHVISION_VERSION  the pair to install when torch and a
#       matching torchvision are not importable yet (default 2.14.1 / 0.29.1).
#   PIP_FIND_LINKS  folders of prebuilt wheels, e.g. a {{ openmmlab.mmcv_package }} wheel built
#       for your torch; pip reads it by itself.
#   MMCV_WHEEL_DIR  where a locally built {{ openmmlab.mmcv_package }} wheel is kept for reuse
#       (default ~/.cache/mmbackbone/wheels).
#   FORCE_CUDA=1, TORCH_CUDA_ARCH_LIST  {{ openmmlab.mmcv_package }} with CUDA ops on a machine
#       without GPU, for the GPUs named (e.g. "8.0;9.0"); where torch sees a
#       GPU they are built anyway, for its GPUs. How, and the toolchain's
#       other settings (CUDA_HOME, CUDA_FROM_PYPI): tools/cuda_env.sh.
# A wheel with CUDA ops carries them in its local version
# ({{ openmmlab.mmcv_version }}+cu130.sm80.sm90 for CUDA 13.0, sm_80 and sm_90; CPU ops: plain
# {{ openmmlab.mmcv_version }}), and the script takes only the build that it asks for.
set -euo pipefail

PYTHON=${PYTHON:-python}
TORCH_VERSION=${TORCH_VERSION:-2.14.1}
TORCHVISION_VERSION=${TORCHVISION_VERSION:-0.29.1}
MMCV_VERSION={{ openmmlab.mmcv_version }}
MMCV_WHEEL_DIR=${MMCV_WHEEL_DIR:-$HOME/.cache/mmbackbone/wheels}
MMCV_PACKAGE={{ openmmlab.mmcv_package }}
PROJECT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/cuda_env.sh
source "$PROJECT_ROOT/tools/cuda_env.sh"
pip_install() { "$PYTHON" -m pip install --disable-pip-version-check "$@"; }
log() { printf '\n[install] %s\n' "$*"; }

# The final `pip install` reads these; a wrong path must not wait for it,
# after what can be a {{ openmmlab.mmcv_build_minutes }}-minute build of {{ openmmlab.mmcv_package }}.
args=("$@")
for i in "${!args[@]}"; do
    case ${args[i]} in
        -r | --requirement) requirements=${args[i + 1]:-} ;;
        --requirement=*) requirements=${args[i]#--requirement=} ;;
        -r*) requirements=${args[i]#-r} ;;
        *) continue ;;
    esac
    if [ ! -f "$requirements" ]; then
        echo "install.sh: error: -r '$requirements': no such requirements file" >&2
        exit 2
    fi
done

log "build tools (setuptools<82 still ships pkg_resources, which mmcv and mim import)"
pip_install "setuptools>=77,<82" wheel ninja "numpy" opencv-python-headless

if "$PYTHON" -c "import torch, torchvision" 2>/dev/null; then
    log "keeping the installed $("$PYTHON" -c 'import torch, torchvision as tv; print("torch", torch.__version__, "torchvision", tv.__version__)')"
else
    log "torch==$TORCH_VERSION torchvision==$TORCHVISION_VERSION"
    pip_install "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION"
fi

# CPU or CUDA ops (OPS, in words), and the version that tells them apart.
cuda_ops
mmcv_spec=$(mmcv_requirement "$MMCV_PACKAGE" "$MMCV_VERSION")
mmcv_wanted=${mmcv_spec#*===}
log "$MMCV_PACKAGE $mmcv_wanted: $OPS"

# The installed {{ openmmlab.mmcv_package }} is the wanted build, and its ops load.
mmcv_works() {
    "$PYTHON" - "$MMCV_PACKAGE" "$mmcv_wanted" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version

import mmcv.ops

package, wanted = sys.argv[1:]
with_cuda = mmcv.ops.get_compiling_cuda_version() != 'not available'
sys.exit(version(package) != wanted or with_cuda != ('+' in wanted))
PY
}

mkdir -p "$MMCV_WHEEL_DIR"
export PIP_FIND_LINKS="${PIP_FIND_LINKS:+$PIP_FIND_LINKS }$MMCV_WHEEL_DIR"
if mmcv_works; then
    log "$MMCV_PACKAGE $mmcv_wanted already works"
else
    log "$MMCV_PACKAGE $mmcv_wanted from a prebuilt wheel, if one is in PIP_FIND_LINKS"
    if pip_install --no-deps --only-binary "$MMCV_PACKAGE" "$mmcv_spec" \
        && pip_install "$mmcv_spec" && mmcv_works; then
        log "the prebuilt $MMCV_PACKAGE wheel works with this torch"
    else
        # The compiler first: a toolchain that cannot build stops the script
        # before it removes anything.
        [ -z "$OPS_TAG" ] || cuda_toolchain
        "$PYTHON" -m pip uninstall -y "$MMCV_PACKAGE" >/dev/null 2>&1 || true
        log "building $MMCV_PACKAGE $mmcv_wanted from the sdist: $OPS (CPU ops: about {{ openmmlab.mmcv_build_minutes }} minutes on 2 cores)"
        src=$(mktemp -d)
        trap 'rm -rf "$src"' EXIT
        "$PYTHON" -m pip download --no-deps --no-binary :all: -d "$src" "$MMCV_PACKAGE==$MMCV_VERSION"
        tar -xzf "$src/$MMCV_PACKAGE"-*.tar.gz -C "$src"
        srcdir=$src/$MMCV_PACKAGE-$MMCV_VERSION
        # PyTorch >= 2.14 headers require C++20 (ATen.h says so with an
        # #error); mmcv's setup.py hard-codes C++17.
        if grep -qs "C++20 or later" "$("$PYTHON" -c 'import torch, os; print(os.path.dirname(torch.__file__))')/include/ATen/ATen.h"; then
            sed -i 's/-std=c++17/-std=c++20/g' "$srcdir/setup.py"
        fi
        # The wheel's version: setuptools appends egg_info's tag_build.
        if [ -n "$OPS_TAG" ]; then
            sed -i "s/^tag_build *=.*/tag_build = +$OPS_TAG/" "$srcdir/setup.cfg"
            grep -q "^tag_build = +$OPS_TAG$" "$srcdir/setup.cfg"
        fi
        # Build isolation would hide torch and bring setuptools>=82.
        MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PYTHON" -m pip wheel \
            --no-build-isolation --no-deps -w "$MMCV_WHEEL_DIR" "$srcdir"
        pip_install "$MMCV_WHEEL_DIR/{{ openmmlab.mmcv_package|replace('-', '_') }}-$mmcv_wanted-"*.whl
        pip_install "$mmcv_spec"
        if ! mmcv_works; then
            echo "install.sh: error: the $MMCV_PACKAGE $mmcv_wanted just built does not import mmcv.ops with $OPS" >&2
            exit 1
        fi
    fi
fi

log "OpenMMLab packages ({{ openmmlab.packages_note }})"
pip_install -r "$PROJECT_ROOT/{{ openmmlab.requirements }}" "$@"

log "checking the stack"
"$PYTHON" - <<'PY'
{{ openmmlab.stack_check() }}
PY
