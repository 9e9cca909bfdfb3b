#!/usr/bin/env bash
# The GPU recipe, sized to a wall-clock budget: measure how many synthetic frames per second the
# data workers deliver, then train experiment=block_corruption_gpu for as many epochs as fit.
#   BUDGET_S=360 WORKERS=15 bash experiments/block_corruption/gpu_train.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-python}
BUDGET_S=${BUDGET_S:-360}
WORKERS=${WORKERS:-15}
RUN=${RUN:-logs/bench/block_corruption/train}
rate=$("$PY" experiments/block_corruption/bench_data_rate.py --workers "$WORKERS" --batches 30 | tail -1 | cut -d= -f2)
epochs=$("$PY" -c "print(max(2, int($BUDGET_S * $rate * 0.8 / 24000)))")
echo "data rate ${rate} frames/s -> ${epochs} epochs of 24000 frames in ~${BUDGET_S} s"
"$PY" train.py experiment=block_corruption_gpu "trainer.max_epochs=$epochs" "data.num_workers=$WORKERS" "hydra.run.dir=$RUN" "$@"
