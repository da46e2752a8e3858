#!/usr/bin/env bash
# The transformer against nanoGPT at equal CPU time, then both scored the same way. Run from
# the repository root with nanoGPT's model.py, train.py, configurator.py and config/ in
# $NANOGPT and the corpus at corpus/input.txt:
#     NANOGPT=path/to/nanoGPT OUT=results bash benchmarks/cpu_compare.sh
# CORES=1 (the default): both at once, one core each, charlm's transformer-cpu recipe.
# CORES=2: the one-hour laptop comparison: charlm's laptop-1h recipe, then nanoGPT, each
#   given both cores (2 threads) and the same minutes, one after the other.
# MINUTES (15, or 60 with CORES=2) is charlm's --max-minutes. nanoGPT has no time budget, so
# ITERS is set to end inside the same minutes: 14000 (about 56 ms each on a Zen 5 core) with
# CORES=1; with CORES=2 it is measured first, from 250 iterations (one estimate of the loss
# among them, as in the run). Its log says when it ended.
# TINY=1 runs both at toy sizes (a check of this script, not a figure).
set -uo pipefail
CORES=${CORES:-1}
case "$CORES" in 1|2) ;; *) echo "CORES must be 1 (both at once, a core each) or 2 (one after the other, both cores), not '$CORES'" >&2; exit 2;; esac
PY=$(command -v "${PY:-python3}") || exit 1
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")  # nanoGPT runs from its own folder
OUT=${OUT:-results}; mkdir -p "$OUT"
WORK=$(mktemp -d)
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=$CORES
log() { echo "== $(date -u +%H:%M:%S) $*"; }

# nanoGPT's README CPU recipe; charlm's CPU recipe (charlm/recipes/transformer-cpu.toml) is
# the same model shape, trained its own way.
SHAPE_NG=(--n_layer=4 --n_head=4 --n_embd=128 --block_size=64 --batch_size=12 --dropout=0.0)
SHAPE_OURS=()
RECIPE=transformer-cpu
[ "$CORES" = 2 ] && RECIPE=laptop-1h MINUTES=${MINUTES:-60}
if [ "${TINY:-0}" = 1 ]; then
    MINUTES=0.3; [ "$CORES" = 1 ] && ITERS=40
    SHAPE_NG=(--n_layer=1 --n_head=2 --n_embd=32 --block_size=64 --batch_size=4 --dropout=0.0 --eval_interval=20)
    SHAPE_OURS=(--rnn-size 32 --num-layers 1 --n-head 2 --batch-size 4)
fi
MINUTES=${MINUTES:-15}; [ "$CORES" = 1 ] && ITERS=${ITERS:-14000}

# One core each: the first and the last this process may run on (the same one on a one-core machine).
read -r CORE_NG CORE_OURS < <("$PY" -c "import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])")
lscpu | grep -E "^Model name" ; "$PY" -c "import torch; print('torch', torch.__version__)"
log "nanoGPT data from the project's split"
"$PY" benchmarks/nanogpt_data.py corpus/input.txt "$WORK/data/dreamjobs_char" || exit 1
cp -r "$NANOGPT"/. "$WORK/"

NANOGPT_ARGS=(config/train_shakespeare_char.py --dataset=dreamjobs_char --out_dir=out-ng --device=cpu
    --compile=False --eval_iters=20 --log_interval=1 "${SHAPE_NG[@]}")
nanogpt() {  # ITERS, then taskset's core list
    (cd "$WORK" && /usr/bin/time -f "nanoGPT wall %e s" taskset -c "$2" "$PY" train.py "${NANOGPT_ARGS[@]}" \
        --max_iters="$1" --lr_decay_iters="$1")
}
charlm() {  # taskset's core list
    taskset -c "$1" "$PY" -m charlm.train --recipe "$RECIPE" --threads "$CORES" --checkpoint-dir "$WORK/runs" \
        --run-name cpu --max-minutes "$MINUTES" "${SHAPE_OURS[@]}"
}
if [ "$CORES" = 1 ]; then
    log "both at once: nanoGPT on core $CORE_NG ($ITERS iterations), charlm on core $CORE_OURS ($MINUTES minutes)"
    nanogpt "$ITERS" "$CORE_NG" > "$OUT/nanogpt.log" 2>&1 &
    charlm "$CORE_OURS" > "$OUT/charlm.log" 2>&1 &
    wait
else
    BOTH="$CORE_NG,$CORE_OURS"
    log "charlm on cores $BOTH, $MINUTES minutes"
    charlm "$BOTH" > "$OUT/charlm.log" 2>&1
    # The dt nanoGPT prints for an iteration includes any estimate of the loss before it.
    ITERS=$(nanogpt 250 "$BOTH" 2>&1 | "$PY" -c "
import re, sys
dt = [float(m.group(1)) for m in re.finditer(r'^iter \d+: .* time ([\d.]+)ms', sys.stdin.read(), re.M)][1:]
print(int($MINUTES * 60e3 * len(dt) / sum(dt)))")
    rm -rf "$WORK/out-ng"
    log "nanoGPT on cores $BOTH, $ITERS iterations (measured to fill $MINUTES minutes)"
    nanogpt "$ITERS" "$BOTH" > "$OUT/nanogpt.log" 2>&1
fi
tail -2 "$OUT/nanogpt.log"; tr '\r' '\n' < "$OUT/charlm.log" | grep -E "^epoch [0-9]+/[0-9]+: train|val loss at|time budget"
log "both scored the same way: windows of 64, every character with at least 32 before it"
OMP_NUM_THREADS=2 "$PY" benchmarks/score_windows.py "$WORK/data/dreamjobs_char/val.bin" --window 64 \
    --nanogpt "$WORK/out-ng/ckpt.pt" "$WORK" --charlm "$WORK/runs/cpu/latest.pt" 2>&1 | tee "$OUT/scores.txt"
cp "$WORK/runs/cpu/metrics.jsonl" "$OUT/charlm_metrics.jsonl"
rm -rf "$WORK"
