#!/usr/bin/env bash
# The transformer against nanoGPT at equal CPU time: both at once, one core each, then both
# scored the same way. Run from the repository root with nanoGPT's model.py, train.py,
# configurator.py and config/ in $NANOGPT and the corpus at corpus/input.txt:
#     NANOGPT=path/to/nanoGPT OUT=results bash benchmarks/cpu_compare.sh
# MINUTES (15) is charlm's --max-minutes. nanoGPT has no time budget, so ITERS (14000, about
# 56 ms each on a Zen 5 core) is set to end inside the same minutes; its log says when it did.
# TINY=1 runs both at toy sizes (a check of this script, not a figure).
set -uo pipefail
PY=$(command -v "${PY:-python3}") || exit 1
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")  # nanoGPT runs from its own folder
OUT=${OUT:-results}; mkdir -p "$OUT"
WORK=$(mktemp -d)
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1
log() { echo "== $(date -u +%H:%M:%S) $*"; }

# nanoGPT's README CPU recipe; charlm's CPU recipe (charlm/recipes/transformer-cpu.toml) is
# the same model shape, trained its own way.
SHAPE_NG=(--n_layer=4 --n_head=4 --n_embd=128 --block_size=64 --batch_size=12 --dropout=0.0)
SHAPE_OURS=()
if [ "${TINY:-0}" = 1 ]; then
    MINUTES=0.3 ITERS=40
    SHAPE_NG=(--n_layer=1 --n_head=2 --n_embd=32 --block_size=64 --batch_size=4 --dropout=0.0 --eval_interval=20)
    SHAPE_OURS=(--rnn-size 32 --num-layers 1 --n-head 2 --batch-size 4)
fi
MINUTES=${MINUTES:-15}; ITERS=${ITERS:-14000}

# One core each: the first and the last this process may run on (the same one on a one-core machine).
read -r CORE_NG CORE_OURS < <("$PY" -c "import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])")
lscpu | grep -E "^Model name" ; "$PY" -c "import torch; print('torch', torch.__version__)"
log "nanoGPT data from the project's split"
"$PY" benchmarks/nanogpt_data.py corpus/input.txt "$WORK/data/dreamjobs_char" || exit 1
cp -r "$NANOGPT"/. "$WORK/"

log "both at once: nanoGPT on core $CORE_NG ($ITERS iterations), charlm on core $CORE_OURS ($MINUTES minutes)"
(cd "$WORK" && /usr/bin/time -f "nanoGPT wall %e s" taskset -c "$CORE_NG" "$PY" train.py \
    config/train_shakespeare_char.py --dataset=dreamjobs_char --out_dir=out-ng --device=cpu --compile=False \
    --eval_iters=20 --log_interval=1 --max_iters="$ITERS" --lr_decay_iters="$ITERS" "${SHAPE_NG[@]}") \
    > "$OUT/nanogpt.log" 2>&1 &
taskset -c "$CORE_OURS" "$PY" -m charlm.train --recipe transformer-cpu --threads 1 --checkpoint-dir "$WORK/runs" \
    --run-name cpu --max-minutes "$MINUTES" "${SHAPE_OURS[@]}" > "$OUT/charlm.log" 2>&1 &
wait
tail -2 "$OUT/nanogpt.log"; tr '\r' '\n' < "$OUT/charlm.log" | grep -E "^epoch [0-9]+/[0-9]+: train|val loss at|time budget"

log "both scored the same way: windows of 64, every character with at least 32 before it"
OMP_NUM_THREADS=2 "$PY" benchmarks/score_windows.py "$WORK/data/dreamjobs_char/val.bin" --window 64 \
    --nanogpt "$WORK/out-ng/ckpt.pt" "$WORK" --charlm "$WORK/runs/cpu/latest.pt" 2>&1 | tee "$OUT/scores.txt"
cp "$WORK/runs/cpu/metrics.jsonl" "$OUT/charlm_metrics.jsonl"
rm -rf "$WORK"
