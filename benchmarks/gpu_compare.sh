#!/usr/bin/env bash
# The transformer against nanoGPT at equal wall time on one GPU, then a smaller transformer
# for the demo; run from the repository root with nanoGPT's model.py, train.py,
# configurator.py and config/ in $NANOGPT and the corpus at corpus/input.txt:
#     NANOGPT=path/to/nanoGPT OUT=results bash benchmarks/gpu_compare.sh
# TINY=1 runs every stage at toy sizes on a CPU (a check of this script, not a figure).
set -uo pipefail
PY=${PY:-python3}
OUT=${OUT:-results}; mkdir -p "$OUT"
WORK=$(mktemp -d)
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
now() { date +%s.%N; }
log() { echo "== $(date -u +%H:%M:%S) $*"; }
summary() { tr '\r' '\n' < "$1" | grep -E "^epoch [0-9]+/[0-9]+: train|val loss at|best checkpoint|parameters|Error|error"; }

if [ "${TINY:-0}" = 1 ]; then
    NG_ARGS=(--device=cpu --compile=False --max_iters=30 --lr_decay_iters=30 --eval_interval=10 --eval_iters=2
             --n_layer=1 --n_head=2 --n_embd=32 --block_size=64 --batch_size=4 --warmup_iters=5)
    OURS=(--device cpu --rnn-size 32 --num-layers 1 --n-head 2 --block-size 64 --batch-size 64 --max-epochs 1)
    DEMO=(--device cpu --rnn-size 32 --num-layers 1 --n-head 2 --block-size 64 --batch-size 64 --max-epochs 2)
    DEMO_MINUTES=1
    WINDOW=64
else
    WINDOW=256
    NG_ARGS=()
    OURS=(--device cuda --bf16 --compile --max-epochs 40)
    DEMO=(--device cuda --bf16 --compile --max-epochs 15 --rnn-size 256 --num-layers 6 --n-head 4)
    DEMO_MINUTES=${DEMO_MINUTES:-2}
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"

log "nanoGPT data from the project's split"
"$PY" benchmarks/nanogpt_data.py corpus/input.txt "$WORK/data/dreamjobs_char" || exit 1
cp -r "$NANOGPT"/. "$WORK/"

log "nanoGPT config/train_shakespeare_char.py, as its README runs it"
t0=$(now)
(cd "$WORK" && "$PY" train.py config/train_shakespeare_char.py --dataset=dreamjobs_char --out_dir=out-ng \
    "${NG_ARGS[@]}") > "$OUT/nanogpt.log" 2>&1
t1=$(now)
NG_SECONDS=$("$PY" -c "print(round($t1 - $t0, 1))")
log "nanoGPT took $NG_SECONDS s"; tail -4 "$OUT/nanogpt.log"

MINUTES=$("$PY" -c "print(round($NG_SECONDS / 60, 3))")
log "charlm transformer, the same wall time: --max-minutes $MINUTES"
t0=$(now)
"$PY" -m charlm.train --model transformer --checkpoint-dir "$WORK/runs" --run-name t6x384 \
    --max-minutes "$MINUTES" "${OURS[@]}" > "$OUT/charlm.log" 2>&1
t1=$(now)
log "charlm took $("$PY" -c "print(round($t1 - $t0, 1))") s"; summary "$OUT/charlm.log"

log "both scored the same way"
"$PY" benchmarks/score_windows.py "$WORK/data/dreamjobs_char/val.bin" --window $WINDOW --nanogpt "$WORK/out-ng/ckpt.pt" "$WORK" \
    --charlm "$WORK/runs/t6x384/latest.pt" 2>&1 | tee "$OUT/scores.txt"

# Back from the GPU host: the comparison run's weights at the end of its budget (latest.pt
# less its optimizer state, float16) and metrics; the demo run's best checkpoint and metrics.
mkdir -p "$WORK/ship/t6x384"
"$PY" -c "import sys, torch; c = torch.load(sys.argv[1], weights_only=True); c.pop('resume');
c['model_state'] = {k: v.half() if v.is_floating_point() else v for k, v in c['model_state'].items()}
torch.save(c, sys.argv[2])" "$WORK/runs/t6x384/latest.pt" "$WORK/ship/t6x384/final.pt"
cp "$WORK/runs/t6x384/metrics.jsonl" "$WORK/ship/t6x384/"
tar -C "$WORK/ship" -cf - t6x384 | split -b 15m - "$OUT/t6x384.tar.part-"

log "the demo's candidate transformer, $DEMO_MINUTES minutes"
"$PY" -m charlm.train --model transformer --checkpoint-dir "$WORK/runs" --run-name demo \
    --max-minutes "$DEMO_MINUTES" "${DEMO[@]}" > "$OUT/demo.log" 2>&1
summary "$OUT/demo.log"
"$PY" benchmarks/score_windows.py "$WORK/data/dreamjobs_char/val.bin" --window $WINDOW --charlm "$WORK/runs/demo/best.pt" \
    2>&1 | tee -a "$OUT/scores.txt"
"$PY" -m charlm.export "$WORK/runs/demo" "$WORK/ship/demo" --epochs best >/dev/null
tar -C "$WORK/ship" -cf "$OUT/demo.tar" demo

log "the sampler on this host's cores"
timeout 75 "$PY" -m charlm.bench --checkpoint checkpoints/demo/best.pt --busy 0 --threads auto,2,8,16 --seconds 1.5 \
    --length 4000 2>&1 | tee "$OUT/bench16.txt"
ls -la "$OUT"
