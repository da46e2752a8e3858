#!/usr/bin/env bash
# A recipe's training on every core three ways, one after the other on the same corpus:
# one process on one thread, one process on every thread, and torchrun's processes, one a
# core on one thread each (DistributedDataParallel over gloo, the global batch the same).
# Prints each way's characters a second (the median of its log's train rows) and each
# against one thread. Run from the repository root with the corpus at corpus/input.txt:
#     bash benchmarks/train_processes.sh [RECIPE (transformer-cpu)] [SECONDS a way (60)]
set -uo pipefail
RECIPE=${1:-transformer-cpu}; SECONDS_EACH=${2:-60}
PY=$(command -v "${PY:-python3}") || exit 1
CORES=$("$PY" -c "import os; print(len(os.sched_getaffinity(0)))")
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
export PYTHONPATH=$PWD
MINUTES=$("$PY" -c "print($SECONDS_EACH / 60)")
COMMON=(--recipe "$RECIPE" --checkpoint-dir "$WORK" --max-minutes "$MINUTES" --max-epochs 1 --log-every 5)
lscpu | grep -E "^Model name"
echo "recipe $RECIPE, $CORES cores, $SECONDS_EACH s a way"

median() {  # the median chars/s of a run's train rows, its first window left out (warm-up)
    "$PY" -c "import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(round(statistics.median([r['chars_per_s'] for r in rows if r.get('type') == 'train'][1:])))" "$1/metrics.jsonl"
}

"$PY" -m charlm.train "${COMMON[@]}" --threads 1 --run-name one >/dev/null 2>&1 || exit 1
"$PY" -m charlm.train "${COMMON[@]}" --threads "$CORES" --run-name threads >/dev/null 2>&1 || exit 1
"$PY" -m torch.distributed.run --standalone --nproc_per_node "$CORES" -m charlm.train "${COMMON[@]}" --threads 1 \
    --run-name processes >/dev/null 2>&1 || exit 1
ONE=$(median "$WORK/one")
echo "| way | chars/s | against one thread |"
echo "|---|---:|---:|"
for way in one threads processes; do
    case $way in
        one) LABEL="1 process, 1 thread" ;;
        threads) LABEL="1 process, $CORES threads" ;;
        processes) LABEL="$CORES processes (torchrun), 1 thread each" ;;
    esac
    "$PY" -c "import sys; w, r, one = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]); print(f'| {w} | {r:,} | {r / one:.2f}x |')" \
        "$LABEL" "$(median "$WORK/$way")" "$ONE"
done
