#!/usr/bin/env bash
# The GPU check: a baked project's multi-GPU commands and its benchmark.
#
#   bash .ci/gpu/check.sh [--dry-run] [PROJECT]
#
# Bakes the default project (or takes PROJECT, a baked one, of either
# OpenMMLab generation), copies it into
# $OUT/project and there, on the toy data:
#   1. runs the README's `mim train` / `mim test` commands with
#      `--launcher pytorch --gpus N` for every task of the project, to the end;
#   2. runs its `--launcher slurm` commands the same way where `srun` exists
#      (and PARTITION is set);
#   3. runs tools/benchmark.py against the classification toolbox's and
#      timm's ConvNeXt, eager in every mode, then compiled in bf16 and
#      channels_last.
# It prints what each step measured and a summary; the logs stay in $OUT.
# --dry-run checks the same environment on a machine without a GPU: it runs
# the toy data and a small CPU benchmark only.
#
# Environment:
#   PYTHON         the Python with the project's stack (default python3).
#   OPENMMLAB      the generation of the project to bake: 1.x (default) or
#                  2.x; a PROJECT given says its own.
#   GPUS           the GPUs to use (default: every visible one).
#   GPUS_PER_NODE  Slurm's --gpus-per-node (default GPUS).
#   PARTITION      the Slurm partition (needed for step 2).
#   WHEELS         a folder of wheels to install first into $OUT/site, for a
#                  machine without network (.ci/gpu/prepare.sh makes one).
#   OUT            where everything goes (default .gpu/out).
#   STEP_TIMEOUT   seconds each command may take (default 1800).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-python3}
OUT=${OUT:-$ROOT/.gpu/out}
STEP_TIMEOUT=${STEP_TIMEOUT:-1800}
DRY_RUN=0
PROJECT=
for arg in "$@"; do
    case $arg in
        --dry-run) DRY_RUN=1 ;;
        -h | --help) sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "check.sh: unknown option $arg" >&2; exit 2 ;;
        *) PROJECT=$(cd "$arg" && pwd) || exit 2 ;;
    esac
done
SUMMARY=()
FAILED=0

say() { printf '\n== %s\n' "$*"; }
note() { SUMMARY+=("$1"); printf '%s\n' "$1"; }

# step NAME LOG COMMAND...: run a command, its output also in $OUT/logs/LOG.
step() {
    local name=$1 log=$OUT/logs/$2 start=$SECONDS status
    shift 2
    say "$name"
    printf '+ %s\n' "$*"
    timeout "$STEP_TIMEOUT" "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    if [ "$status" = 0 ]; then
        note "ok      $name ($((SECONDS - start)) s)"
    else
        note "FAILED  $name (exit $status after $((SECONDS - start)) s, log $log)"
        FAILED=1
    fi
    return "$status"
}

# readme_command TOOL PACKAGE LAUNCHER: the README's (or docs') command line.
readme_command() {
    cat README.md docs/en/*.md 2>/dev/null |
        grep -m1 -E "^mim $1 $2 \\\$CONFIG .*--launcher $3( |$)"
}

# run_task TASK LAUNCHER WORK_DIR SED_SCRIPT: train then test the toy config.
run_task() {
    local task=$1 launcher=$2 work_dir=$3 edit=$4 config tool line
    config=$(ls configs/"$task"/*toy-*.py 2>/dev/null | head -n 1)
    if [ -z "$config" ]; then
        note "FAILED  $task: no toy config in configs/$task"; FAILED=1; return
    fi
    for tool in train test; do
        line=$(readme_command "$tool" "${PACKAGE[$task]}" "$launcher")
        if [ -z "$line" ]; then
            note "FAILED  $task $tool: the README has no --launcher $launcher command"
            FAILED=1; return
        fi
        line=$(sed -E "$edit" <<< "$line")
        CONFIG=$config WORK_DIR=$work_dir CHECKPOINT=$(checkpoint_of "$work_dir") \
            step "$task $tool, --launcher $launcher" \
            "${task}_${tool}_$launcher.log" bash -c "$line" || return
    done
    local metrics metric
    mapfile -t metrics < <(metrics_of "$task" "$OUT/logs/${task}_test_$launcher.log")
    for metric in "${metrics[@]}"; do note "        $metric"; done
}

# checkpoint_of WORK_DIR: the last checkpoint a run saved there.
checkpoint_of() {
    if [ "$GENERATION" = 1.x ]; then
        echo "$1/latest.pth"
    else  # mmengine names it in a file
        cat "$1/last_checkpoint" 2>/dev/null
    fi
}

# metrics_of TASK LOG: the metrics that the toolbox's test printed.
metrics_of() {
    case $GENERATION-$1 in
        1.x-cls) grep -E 'accuracy_top-[0-9]+ *:' "$2" ;;
        1.x-det) grep -E '_mAP_copypaste' "$2" ;;
        1.x-seg) grep -A 6 '^Summary:' "$2" | grep '^|' ;;  # names, values
        *) grep -E 'Epoch\(test\)|Iter\(test\).*(accuracy|mAP|mIoU)' "$2" | tail -n 1 ;;
    esac
}

main() {
    mkdir -p "$OUT/logs"
    if [ -n "${WHEELS:-}" ]; then
        say "install the wheels of $WHEELS into $OUT/site"
        rm -rf "$OUT/site"
        "$PYTHON" -m pip install -q --disable-pip-version-check --no-index \
            --no-deps --no-compile --target "$OUT/site" "$WHEELS"/*.whl || return 1
        export PATH="$OUT/site/bin:$PATH"
    fi
    if [ -z "$PROJECT" ]; then
        say "bake the default project"
        rm -rf "$OUT/bake"
        PYTHONPATH=${WHEELS:+$OUT/site} "$PYTHON" -m cookiecutter "$ROOT" \
            --no-input -o "$OUT/bake" openmmlab="${OPENMMLAB:-1.x}" \
            > "$OUT/logs/bake.log" 2>&1 ||
            { cat "$OUT/logs/bake.log"; return 1; }
        PROJECT=$(ls -d "$OUT"/bake/*/)
    fi
    say "copy $PROJECT into $OUT/project"
    rm -rf "$OUT/project"
    mkdir "$OUT/project"
    (cd "$PROJECT" && tar cf - --exclude=./work_dirs --exclude=./data \
        --exclude=__pycache__ .) | tar xf - -C "$OUT/project" || return 1
    cd "$OUT/project" || return 1
    GENERATION=$("$PYTHON" -c 'import json; print(json.load(open(".cookiecutter.json"))["cookiecutter"]["openmmlab"])') || return 1
    if [ "$GENERATION" = 1.x ]; then
        declare -gA PACKAGE=([cls]=mmcls [det]=mmdet [seg]=mmseg)
        TOOLBOXES="mmcv-full mmcls mmdet mmsegmentation"
    else
        declare -gA PACKAGE=([cls]=mmpretrain [det]=mmdet [seg]=mmsegmentation)
        TOOLBOXES="mmengine mmcv mmpretrain mmdet mmsegmentation"
    fi
    note "OpenMMLab $GENERATION project"
    # As the README's `export PYTHONPATH=$(pwd)`; the wheels after it.
    export PYTHONPATH="$(pwd)${WHEELS:+:$OUT/site}" PYTHONUNBUFFERED=1

    say "environment"
    "$PYTHON" - $TOOLBOXES <<'PY' | tee "$OUT/logs/environment.log" || return 1
import sys
from importlib.metadata import PackageNotFoundError, version

import torch
import mim, mmcv.ops, mmdet, mmseg  # noqa: F401


def installed(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return 'not installed'


print(', '.join(f'{name} {installed(name)}' for name in (
    'torch', 'torchvision', *sys.argv[1:], 'openmim', 'timm', 'numpy')))
print('mmcv ops compiled with CUDA',
      mmcv.ops.get_compiling_cuda_version())
print(f'{torch.cuda.device_count()} CUDA GPU(s):',
      ', '.join(torch.cuda.get_device_name(i)
                for i in range(torch.cuda.device_count())) or 'none')
PY
    local visible tasks task
    visible=$("$PYTHON" -c 'import torch; print(torch.cuda.device_count())')
    GPUS=${GPUS:-$visible}
    GPUS_PER_NODE=${GPUS_PER_NODE:-$GPUS}
    if [ "$DRY_RUN" = 0 ] && [ "$visible" = 0 ]; then
        echo "check.sh: no CUDA GPU here; --dry-run checks the rest" >&2
        return 1
    fi
    tasks=$(ls -d configs/*/ | xargs -n 1 basename | grep -E '^(cls|det|seg)$' |
        sort -k 1,1 | tr '\n' ' ')

    step "toy data" toy_data.log "$PYTHON" tools/make_toy_data.py || return 1

    if [ "$DRY_RUN" = 1 ]; then
        note "skipped the launchers: --dry-run"
    else
        # cls first: the det and seg toy configs start from its checkpoint.
        for task in $tasks; do
            if [ "$task" = det ] && grep -q 'compiled with CUDA not available' \
                "$OUT/logs/environment.log"; then
                note "skipped det: Mask R-CNN needs mmcv's CUDA ops (RoIAlign, NMS), and this mmcv has CPU ops only"
                continue
            fi
            run_task "$task" pytorch "work_dirs/$(basename configs/"$task"/*toy-*.py .py)" \
                "s/--gpus [0-9]+/--gpus $GPUS/"
        done
        if ! command -v srun > /dev/null; then
            note "skipped --launcher slurm: no srun on this machine"
        elif [ -z "${PARTITION:-}" ]; then
            note "skipped --launcher slurm: set PARTITION to a Slurm partition"
        else
            export PARTITION
            for task in $tasks; do
                [ "$task" = det ] && grep -q 'compiled with CUDA not available' \
                    "$OUT/logs/environment.log" && continue
                run_task "$task" slurm "work_dirs/slurm_$task" \
                    "s/--gpus [0-9]+ --gpus-per-node [0-9]+/--gpus $GPUS --gpus-per-node $GPUS_PER_NODE/"
            done
        fi
    fi

    if ! "$PYTHON" -c 'import timm' 2> /dev/null; then
        note "note: timm is not installed, so the benchmark compares with ${PACKAGE[cls]} only"
    fi
    if [ "$DRY_RUN" = 1 ]; then
        step "benchmark (CPU smoke run)" benchmark_eager.log "$PYTHON" \
            tools/benchmark.py --device cpu --batch-size 2 --img-size 64 \
            --iters 1 --warmup 1 --modes infer
    else
        step "benchmark, eager" benchmark_eager.log "$PYTHON" \
            tools/benchmark.py --device cuda --batch-size 128 --iters 20 \
            --warmup 5
        # Compiling takes about a minute a model and mode: the mode that
        # runs fastest, beside timm only.
        step "benchmark, torch.compile in bf16 channels_last" \
            benchmark_compiled.log "$PYTHON" tools/benchmark.py --device cuda \
            --batch-size 128 --iters 20 --warmup 5 --compile \
            --precisions bf16 --formats channels_last --references timm
    fi

    say "summary (logs in $OUT/logs)"
    printf '%s\n' "${SUMMARY[@]}"
    local log
    for log in "$OUT"/logs/benchmark_*.log; do
        [ -f "$log" ] || continue
        printf '\n%s:\n' "$(basename "$log" .log)"
        sed -n '/^torch .* threads;/p; /graph break/p; /^ *mode |/,$p' "$log"
    done
    return "$FAILED"
}

mkdir -p "$OUT"
main 2>&1 | tee "$OUT/check.log"
exit "${PIPESTATUS[0]}"
