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
#   PYTHON  the interpreter to install into (default `python`): Python 3.10
#       to 3.13.
# A wheel with CUDA ops carries them in its local version
# ({{ openmmlab.mmcv_version }}+cu130.sm80.sm90 for CUDA 13.0, sm_80 and sm_90; CPU ops: plain
# {{ openmmlab.mmcv_version }}), and the script takes only the build that it asks for.
#
# Sourced (`source tools/install.sh`), it only defines its functions.
set -euo pipefail

PYTHON=${PYTHON:-python}
TORCH_VERSION=${TORCH_VERSION:-2.14.1}
TORCHVISION_VERSION=${TORCHVISION_VERSION:-0.29.1}
MMCV_VERSION={{ openmmlab.mmcv_version }}
MMCV_WHEEL_DIR=${MMCV_WHEEL_DIR:-$HOME/.cache/mmbackbone/wheels}
MMCV_PACKAGE={{ openmmlab.mmcv_package }}
# torch needs setuptools>=77; setuptools<82 still ships pkg_resources, which
# mmcv (its setup.py too) and mim import.
SETUPTOOLS='setuptools>=77,<82'
PROJECT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tools/cuda_env.sh
source "$PROJECT_ROOT/tools/cuda_env.sh"
pip_install() { "$PYTHON" -m pip install --disable-pip-version-check "$@"; }
log() { printf '\n[install] %s\n' "$*"; }

# Refuses, in one line, a Python the stack does not run on. torch 2.14 has
# no wheels below Python 3.10; Python 3.14 removed pkgutil.find_loader,
# which {{ openmmlab.find_loader_caller }} calls to build an optimizer with paramwise_cfg (as
# the ConvNeXt recipes do).
check_python() {
    local version
    if ! version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); then
        echo "install.sh: error: PYTHON=$PYTHON does not run" >&2
        return 2
    fi
    case $version in
        3.10 | 3.11 | 3.12 | 3.13) ;;
        *)
            echo "install.sh: error: Python $version ($PYTHON) is not supported: use Python 3.10 to 3.13 (torch 2.14 has no wheels below 3.10; {{ openmmlab.find_loader_caller }} calls pkgutil.find_loader, gone in 3.14)" >&2
            return 2
            ;;
    esac
}

# Unpacks the {{ openmmlab.mmcv_package }} sdist into a new folder under $1 and prints that
# folder. `pip download` checks an sdist's metadata by running its setup.py,
# which fails on Python 3.13 before it can be patched (below), and it saves
# the sdist only when that passes; with --no-clean it keeps what it unpacked
# in its build folder under TMPDIR. No build isolation: setup.py imports
# pkg_resources, which the newest setuptools no longer has ($SETUPTOOLS).
fetch_mmcv_sdist() {
    local work=$1 setup
    mkdir -p "$work/pip-tmp"
    if ! TMPDIR="$work/pip-tmp" "$PYTHON" -m pip download --disable-pip-version-check \
        --no-clean --no-build-isolation --no-deps --no-binary :all: -d "$work" \
        "{{ openmmlab.mmcv_package }}==$MMCV_VERSION" >"$work/download.log" 2>&1; then
        # On Python 3.13 the metadata step fails; anything else is shown.
        grep -q "KeyError: '__version__'" "$work/download.log" || cat "$work/download.log" >&2
    fi
    setup=$(find "$work/pip-tmp" -maxdepth 3 -name setup.py -print -quit)
    if [ -z "$setup" ]; then
        echo "install.sh: error: pip did not fetch the {{ openmmlab.mmcv_package }} $MMCV_VERSION sdist (above)" >&2
        return 1
    fi
    dirname "$setup"
}

# Patches an unpacked {{ openmmlab.mmcv_package }} sdist where this Python and torch need it.
patch_mmcv_sdist() {
    local srcdir=$1 torch_dir
    # PyTorch >= 2.14 headers require C++20 (ATen.h says so with an
    # #error); mmcv's setup.py hard-codes C++17.
    torch_dir=$("$PYTHON" -c 'import torch, os; print(os.path.dirname(torch.__file__))' 2>/dev/null) || true
    if [ -n "$torch_dir" ] && grep -qs "C++20 or later" "$torch_dir/include/ATen/ATen.h"; then
        sed -i 's/-std=c++17/-std=c++20/g' "$srcdir/setup.py"
        log "patched setup.py: C++20 (torch's headers need it)"
    fi
    # mmcv's get_version() execs mmcv/version.py and reads __version__ back
    # from locals(); since Python 3.13 (PEP 667) exec no longer writes into a
    # function's locals() (KeyError: '__version__'): exec into a dict.
    if ! "$PYTHON" -c 'def f(): exec("x = 1"); return "x" in locals()
raise SystemExit(not f())'; then
        sed -i -e "s/exec(compile(f.read(), version_file, 'exec'))/exec(compile(f.read(), version_file, 'exec'), namespace := {})/" \
            -e "s/return locals()\['__version__'\]/return namespace['__version__']/" "$srcdir/setup.py"
        log "patched setup.py: get_version() execs into a dict (Python 3.13, PEP 667)"
    fi
}

# Sourced: the functions only.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
    return 0
fi

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

check_python

log "build tools ($SETUPTOOLS: pkg_resources for mmcv and mim)"
pip_install "$SETUPTOOLS" wheel ninja "numpy" opencv-python-headless

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
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        srcdir=$(fetch_mmcv_sdist "$work")
        patch_mmcv_sdist "$srcdir"
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
