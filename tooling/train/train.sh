#!/usr/bin/env bash
# Reproduce the shipped models: ./train.sh all, or one stage: ./train.sh base | ./train.sh gqa ...
#   base   an MHA model trained from scratch in two stages (retrieval at 96 tokens, then 256..2048)
#   <v>    variant v uptrained from the base (K/V heads mean-pooled, shared layers' K/V dropped) in two
#          stages, the same data and steps for every variant: mha gqa mqa mlkv4 mlkv2 cla2 yoco
# Checkpoints and logs go to runs/ (a stage whose checkpoint is there is not run again), model folders
# to ../../packages/models/<v>/ (weights stored as f16), and the expected-logits fixture of each model to
# ../../packages/runtime/test/fixtures/<v>.logits.json.
# DEVICE=cuda ./train.sh all trains on a GPU (same flags; the weights then differ from the CPU's).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
DEVICE=${DEVICE:-cpu}
# One thread: two OpenBLAS/OpenMP threads are slower than one on a 2-core machine. Debian's OpenBLAS takes
# some virtual CPUs for a generic core without AVX: name the core type the CPU really has.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1} PYTHONUNBUFFERED=1
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
fi
DATA=(--batch-tokens 4096 --answer-weight 8 --facts-per-384 3 --repeat-prob 0.5 --device "$DEVICE")
LONG=0.25:256,0.25:512,0.25:1024,0.25:2048
VARIANTS=(mha gqa mqa mlkv4 mlkv2 cla2 yoco)

train() { # <out> <train.py flags...>: skipped when runs/<out>/checkpoint.pt exists
  local out=$1; shift
  [ -f "runs/$out/checkpoint.pt" ] && { echo "runs/$out: done" >&2; return; }
  mkdir -p "runs/$out"
  "$PY" -m kvkit_train.train --out "runs/$out" "$@" 2>&1 | tee "runs/$out/train.out"
}

stage() {
  case $1 in
    base)
      # Stage 1: short samples until the retrieval (induction) heads form; constant learning rate.
      train base1 --variant mha --steps 1200 --lr 1e-3 --warmup 100 --lr-shape constant --schedule 1:96 "${DATA[@]}"
      # Stage 2: the same heads at long range, up to the full 2048-token context.
      train base --variant mha --init-from runs/base1/checkpoint.pt --tokenizer runs/base1/tokenizer.json \
        --steps 600 --lr 1e-3 --warmup 20 --schedule 0.2:256,0.3:512,0.3:1024,0.2:2048 "${DATA[@]}" ;;
    mha|gqa|mqa|mlkv4|mlkv2|cla2|yoco)
      stage base
      # Stage 1: the variant from the base; codes of exactly 5 digits, as kvkit eval needle asks.
      train "$1" --variant "$1" --init-from runs/base/checkpoint.pt --tokenizer runs/base1/tokenizer.json \
        --steps 400 --lr 5e-4 --warmup 20 --schedule "$LONG" --code-digits 5,5 "${DATA[@]}"
      # Stage 2: fresh samples (seed 1235), answers weighted 12x, a lower learning rate.
      train "$1-2" --variant "$1" --init-from "runs/$1/checkpoint.pt" --tokenizer runs/base1/tokenizer.json \
        --steps 400 --lr 3e-4 --warmup 10 --schedule 0.3:256,0.2:512,0.2:1024,0.3:2048 --code-digits 5,5 \
        "${DATA[@]}" --answer-weight 12 --seed 1235
      "$PY" -m kvkit_train.export --checkpoint "runs/$1-2/checkpoint.pt" --out "../../packages/models/$1" \
        --fixture "../../packages/runtime/test/fixtures/$1.logits.json" ;;
    all) stage base; for v in "${VARIANTS[@]}"; do stage "$v"; done ;;
    *) echo "usage: ./train.sh all|base|${VARIANTS[*]// /|}" >&2; exit 2 ;;
  esac
}
stage "${1:?usage: ./train.sh all|base|<variant>}"
