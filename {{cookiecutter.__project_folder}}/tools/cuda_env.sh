# shellcheck shell=bash
# CUDA ops for mmcv: which ops to build, and the toolchain to build them
# against the installed torch. tools/install.sh sources this file; it also
# sets up the build of any PyTorch CUDA extension by itself:
#
#   source tools/cuda_env.sh && cuda_ops && cuda_toolchain
#
# cuda_ops        CUDA ops where torch sees a GPU or FORCE_CUDA=1 asks for
#                 them (a login node without GPU), CPU ops otherwise. Sets
#                 OPS (what is built, in words) and OPS_TAG: empty for CPU
#                 ops, else the local version that names the wheel, e.g.
#                 cu130.sm80.sm90 (torch's CUDA 13.0, code for sm_80 and
#                 sm_90). For CUDA ops it exports FORCE_CUDA=1 and
#                 TORCH_CUDA_ARCH_LIST.
# cuda_toolchain  an nvcc of torch's CUDA version (major.minor) and the
#                 headers that torch's nvidia-* wheels carry (cuBLAS,
#                 cuSPARSE, ...), which a bare nvcc lacks. Exports
#                 CUDA_HOME, PATH and CPATH.
# mmcv_requirement PACKAGE VERSION
#                 prints the pip requirement of exactly the build that
#                 cuda_ops chose: PACKAGE===VERSION[+OPS_TAG].
# cuda_ops and cuda_toolchain return 1 after one line
# `cuda_env.sh: error: ...` when they cannot.
#
# Environment:
#   PYTHON                the Python whose torch is built against (`python`).
#   FORCE_CUDA=1          CUDA ops without a GPU.
#   TORCH_CUDA_ARCH_LIST  the GPUs' compute capabilities, e.g. "8.0;9.0";
#       needed without a GPU, else those of the visible GPUs.
#   CUDA_HOME             the CUDA toolkit to use; else nvcc on PATH; else,
#       or with CUDA_FROM_PYPI=1, nvcc and its headers from PyPI
#       (nvidia-cuda-nvcc, ...), installed into CUDA_PYPI_DIR
#       (default ~/.cache/mmbackbone/cuda-<major.minor>).

_cuda_error() {
    echo "cuda_env.sh: error: $*" >&2
    return 1
}

# torch's version, its CUDA version (- for a CPU build) and the compute
# capabilities of the visible GPUs (- for none), on one line.
_cuda_torch() {
    "${PYTHON:-python}" -c '
import torch
capabilities = sorted({"%d.%d" % torch.cuda.get_device_capability(i)
                       for i in range(torch.cuda.device_count())})
print(torch.__version__, torch.version.cuda or "-",
      ";".join(capabilities) or "-")' 2>/dev/null ||
        _cuda_error "torch cannot be imported by ${PYTHON:-python}"
}

cuda_ops() {
    local info torch_version torch_cuda gpu_archs archs arch
    info=$(_cuda_torch) || return 1
    read -r torch_version torch_cuda gpu_archs <<<"$info"
    if [ "${FORCE_CUDA:-0}" != 1 ] && [ "$gpu_archs" = - ]; then
        OPS="CPU ops (no GPU visible; FORCE_CUDA=1 builds CUDA ops)"
        OPS_TAG=
        return 0
    fi
    if [ "$torch_cuda" = - ]; then
        _cuda_error "FORCE_CUDA=1, but torch $torch_version is a CPU build: CUDA ops need a CUDA build of torch"
        return 1
    fi
    archs=${TORCH_CUDA_ARCH_LIST:-}
    [ "$gpu_archs" = - ] || archs=${archs:-$gpu_archs}
    if [ -z "$archs" ]; then
        _cuda_error "no GPU here to read the architectures from: set TORCH_CUDA_ARCH_LIST to your GPUs' compute capabilities, e.g. TORCH_CUDA_ARCH_LIST=\"8.0;9.0\""
        return 1
    fi
    # One order, so that the same GPUs always give the same wheel name.
    archs=$(tr ' ;' '\n\n' <<<"$archs" | sed '/^$/d' | sort -u -V)
    OPS_TAG=cu${torch_cuda//./}
    OPS=
    for arch in $archs; do
        if ! [[ $arch =~ ^[0-9]+\.[0-9]+a?(\+PTX)?$ ]]; then
            _cuda_error "TORCH_CUDA_ARCH_LIST=\"$TORCH_CUDA_ARCH_LIST\": '$arch' is not a compute capability such as 8.0, 9.0a or 9.0+PTX"
            return 1
        fi
        arch=${arch//./}
        arch=${arch/+PTX/ptx}
        OPS_TAG+=.sm$arch
        OPS+="${OPS:+, }sm_${arch/ptx/ (+PTX)}"
    done
    OPS="CUDA ops for $OPS (torch's CUDA $torch_cuda)"
    TORCH_CUDA_ARCH_LIST=$(paste -sd ';' <<<"$archs")
    export FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST
}

# `===` matches the version as written: a request of CPU ops never takes a
# wheel with CUDA ops (`==1.7.2` would take 1.7.2+cu130...), nor the reverse.
mmcv_requirement() {
    echo "$1===$2${OPS_TAG:++$OPS_TAG}"
}

# nvcc and the headers it needs, from PyPI, into a folder laid out as a
# CUDA toolkit: bin/, include/, lib/, nvvm/ (lib64 and libcudart.so as
# links).
_cuda_from_pypi() {
    local cuda=$1 dir=$2 log root package packages=()
    [ -x "$dir/bin/nvcc" ] && return 0
    for package in nvidia-cuda-nvcc nvidia-cuda-crt nvidia-nvvm \
        nvidia-cuda-cccl nvidia-cuda-runtime; do
        packages+=("$package==$cuda.*")
    done
    echo "[cuda] nvcc $cuda from PyPI (${packages[*]}) into $dir"
    # Laid out in a folder of its own, then moved: never half of a toolkit.
    rm -rf "$dir.partial"
    if ! log=$("${PYTHON:-python}" -m pip install --disable-pip-version-check \
        -q --no-deps --target "$dir.partial/site" "${packages[@]}" 2>&1); then
        rm -rf "$dir.partial"
        if grep -q 'No matching distribution' <<<"$log"; then
            _cuda_error "PyPI has no nvcc release for torch's CUDA $cuda (${packages[*]}): install CUDA $cuda's nvcc and set CUDA_HOME"
        else
            printf '%s\n' "$log" >&2
            _cuda_error "pip could not install nvcc $cuda from PyPI (above)"
        fi
        return 1
    fi
    # nvcc looks for lib64 beside its bin/ (nvcc.profile).
    root=$(dirname "$(dirname "$(find "$dir.partial/site" -path '*/bin/nvcc' | head -n 1)")")
    mv "$root"/* "$dir.partial"
    rm -rf "$dir.partial/site"
    ln -s lib "$dir.partial/lib64"
    ln -s "$(basename "$(ls "$dir.partial"/lib/libcudart.so.* | head -n 1)")" \
        "$dir.partial/lib/libcudart.so"
    rm -rf "$dir"
    mv "$dir.partial" "$dir"
}

cuda_toolchain() {
    local info torch_version torch_cuda gpu_archs nvcc version home includes
    info=$(_cuda_torch) || return 1
    read -r torch_version torch_cuda gpu_archs <<<"$info"
    if [ "$torch_cuda" = - ]; then
        _cuda_error "torch $torch_version is a CPU build: CUDA ops need a CUDA build of torch"
        return 1
    fi
    if [ "${CUDA_FROM_PYPI:-0}" = 1 ] || { [ -z "${CUDA_HOME:-}" ] && ! command -v nvcc >/dev/null; }; then
        home=${CUDA_PYPI_DIR:-$HOME/.cache/mmbackbone/cuda-$torch_cuda}
        _cuda_from_pypi "$torch_cuda" "$home" || return 1
        nvcc=$home/bin/nvcc
    elif [ -n "${CUDA_HOME:-}" ]; then
        home=$CUDA_HOME
        nvcc=$home/bin/nvcc
        if [ ! -x "$nvcc" ]; then
            _cuda_error "CUDA_HOME=$CUDA_HOME has no bin/nvcc"
            return 1
        fi
    else
        nvcc=$(command -v nvcc)
    fi
    version=$("$nvcc" --version 2>/dev/null | sed -n 's/.*release \([0-9]*\.[0-9]*\).*/\1/p')
    if [ "$version" != "$torch_cuda" ]; then
        _cuda_error "$nvcc is CUDA ${version:-of an unknown version}, torch $torch_version is built with CUDA $torch_cuda: they must match in major.minor; put CUDA $torch_cuda's nvcc on PATH or in CUDA_HOME, or set CUDA_FROM_PYPI=1 to take it from PyPI"
        return 1
    fi
    # Where nvcc finds its own files (nvcc on PATH can be a wrapper script).
    if [ -z "${home:-}" ]; then
        home=$("$nvcc" -dryrun -x cu -c /dev/null -o /dev/null 2>&1 | sed -n 's/^#\$ _HERE_=//p')
        home=$(dirname "${home:-$(dirname "$nvcc")}")
    fi
    includes=$("${PYTHON:-python}" -c '
import glob, os, nvidia
print(":".join(sorted(include for path in nvidia.__path__
                      for include in glob.glob(os.path.join(path, "*", "include")))))' 2>/dev/null || true)
    export CUDA_HOME=$home PATH=$home/bin:$PATH
    export CPATH=$includes${CPATH:+:$CPATH}
    echo "[cuda] nvcc $version in $CUDA_HOME; headers of torch's nvidia-* wheels: ${includes:-none}"
}
