#!/usr/bin/env bash
# The GPU check (.ci/gpu/README.md), run on the lent GPU machine from the
# repository root, with .gpu/wheels and .gpu/project carried there:
#   1. issue 5: tests/test_launchers.py's GPU tests (mim train, then mim test
#      of the checkpoint it saved, with --launcher pytorch --gpus 1 and with
#      --launcher slurm through a stand-in srun) and test_torch2_compat.py's,
#      for cls and seg (det needs mmcv-full's CUDA ops, which the carried
#      CPU-ops wheel lacks);
#   2. issue 4: tools/benchmark.py, eager in every mode, then compiled in
#      the anchor mode (bf16, channels_last), batch 128.
# At most 570 s (the timeouts below); the device tool allows 600 s a call.
# Everything it prints is also written to $OUT. Without a GPU (the dry run
# of prepare.sh) the benchmark shrinks to a smoke run.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$ROOT/.gpu/out}
SITE=${SITE:-/tmp/gpu-check-site}
mkdir -p "$OUT"

# Run a command, its output also in $OUT/<log>; its exit status.
logged() {
    local log=$1
    shift
    "$@" 2>&1 | tee "$OUT/$log"
    return "${PIPESTATUS[0]}"
}

main() {
    echo "== install the carried wheels into $SITE"
    rm -rf "$SITE"
    "$PYTHON" -m pip install -q --disable-pip-version-check --no-index --no-deps \
        --no-compile --no-cache-dir --target "$SITE" "$ROOT"/.gpu/wheels/*.whl \
        || return 1
    cd "$ROOT/.gpu/project" || return 1
    # The project first (its sitecustomize.py), then the carried packages, then
    # the machine's own site-packages.
    export PYTHONPATH="$(pwd):$SITE" PYTHONUNBUFFERED=1

    "$PYTHON" - <<'PY' || return 1
from importlib.metadata import version

import torch
import mim, mmcls, mmcv.ops, mmdet, mmseg  # noqa: F401
print(', '.join(f'{name} {version(name)}' for name in (
    'torch', 'torchvision', 'mmcv-full', 'mmcls', 'mmdet', 'mmsegmentation',
    'openmim', 'numpy', 'setuptools', 'click')))
print('GPU:', torch.cuda.get_device_name(0) if torch.cuda.is_available()
      else 'none')
PY
    has_gpu=$("$PYTHON" -c 'import torch; print(int(torch.cuda.is_available()))')
    # The dry run on 2 CPU cores is slower than the GPU machine's 16 cores.
    tests_limit=$([ "$has_gpu" = 1 ] && echo 240 || echo 1200)

    echo "== issue 5: launchers (and the torch 2 fixes) on the GPU"
    logged tests.log timeout "$tests_limit" "$PYTHON" -m pytest -v -rs \
        -p no:cacheprovider tests/test_torch2_compat.py \
        tests/test_launchers.py -k 'not det'
    local tests_status=$? bench_status=0

    echo "== issue 4: benchmark"
    if [ "$has_gpu" = 1 ]; then
        logged benchmark_eager.log timeout 80 "$PYTHON" tools/benchmark.py \
            --device cuda --batch-size 128 --iters 20 --warmup 5 \
            || bench_status=$?
        # Compiling takes about a minute a model and mode: timm only, whose
        # compiled speed is the target (the eager run compares with mmcls).
        logged benchmark_compiled.log timeout 250 "$PYTHON" \
            tools/benchmark.py --device cuda --batch-size 128 --iters 20 \
            --warmup 5 --compile --precisions bf16 --formats channels_last \
            --references timm || bench_status=$?
    else
        logged benchmark_eager.log timeout 600 "$PYTHON" tools/benchmark.py \
            --device cpu --batch-size 2 --img-size 64 --iters 1 --warmup 1 \
            --modes infer || bench_status=$?
    fi

    echo "== done: tests exit $tests_status, benchmark exit $bench_status"
    [ "$tests_status" = 0 ] && [ "$bench_status" = 0 ]
}

main 2>&1 | tee "$OUT/check.log"
exit "${PIPESTATUS[0]}"
