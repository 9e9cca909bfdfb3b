#!/usr/bin/env bash
# Reproduces every number in experiments/av_sync/README.md on 2 CPU cores (~1 h 15 min).
#   bash experiments/av_sync/run_benchmark.sh                          # trains the CPU recipe
#   CKPT=path/to/best.ckpt bash experiments/av_sync/run_benchmark.sh   # skip training
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-logs/bench/av_sync}
TALK=${TALK:-data/real/av_talking_videos}   # procedural talking-head MP4s at 29.97 fps (in sync)
REAL=${REAL:-data/real/av_sync}             # container-level offsets re-muxed from them
RESULTS=experiments/av_sync/results
mkdir -p "$RESULTS"

# 1. Train the sync network on procedural talking-head windows (unless CKPT is given).
if [ -z "${CKPT:-}" ]; then
  "$PY" train.py experiment=av_sync_cpu "hydra.run.dir=$RUN/train"
  CKPT=$(ls "$RUN"/train/checkpoints/best-*.ckpt | head -1)
fi
cp "$(dirname "$CKPT")/../learning_curve.png" "$RESULTS/learning_curve.png" 2>/dev/null || true

# 2. The whole pipeline on 200 simulated 4-s test clips (single, multi, cut, silent_face, no_face).
"$PY" eval.py detector=av_sync "ckpt_path=$CKPT" data.test_size=200 "hydra.run.dir=$RUN/eval_sim"
cp "$RUN/eval_sim/metrics.json" "$RESULTS/eval_simulated_test.json"
cp "$RUN/eval_sim/confusion_matrix.png" "$RESULTS/confusion_simulated.png"
cp "$RUN/eval_sim/offset_curves.png" "$RESULTS/offset_curves_simulated.png"

# 3. A real-offset set: talking videos encoded at 29.97 fps (H.264 + AAC), windows re-muxed with
#    genuine container-level A/V timestamp offsets, decoded and resampled to 25 fps at eval time.
[ -f "$TALK/meta.json" ] || "$PY" -m synth.av.talking_videos --out "$TALK" --videos 12 --seconds 12 --fps 29.97 --seed 11
[ -f "$REAL/manifest.csv" ] || "$PY" -m synth.av.realset --folder "$TALK" --out "$REAL" --clips 60 --seed 11
"$PY" eval.py detector=av_sync "ckpt_path=$CKPT" "real_set=$REAL" "hydra.run.dir=$RUN/eval_real"
cp "$RUN/eval_real/metrics.json" "$RESULTS/eval_real_offset_set.json"
cp "$RUN/eval_real/confusion_matrix.png" "$RESULTS/confusion_real_offset_set.png"

# 3b. The independent dev set (seed 7) that checked the vote rule (tracks under 1 s do not vote).
DEVTALK=${DEVTALK:-data/real/av_talking_videos_dev}
DEV=${DEV:-data/real/av_sync_dev}
[ -f "$DEVTALK/meta.json" ] || "$PY" -m synth.av.talking_videos --out "$DEVTALK" --videos 8 --seconds 12 --fps 29.97 --seed 7
[ -f "$DEV/manifest.csv" ] || "$PY" -m synth.av.realset --folder "$DEVTALK" --out "$DEV" --clips 40 --seed 7
"$PY" eval.py detector=av_sync "ckpt_path=$CKPT" "real_set=$DEV" "hydra.run.dir=$RUN/eval_dev"
cp "$RUN/eval_dev/metrics.json" "$RESULTS/eval_real_offset_dev_set.json"
"$PY" eval.py detector=av_sync "ckpt_path=$CKPT" "real_set=$DEV" detector.pipeline.min_vote_frames=0 "hydra.run.dir=$RUN/eval_dev_vote0"
cp "$RUN/eval_dev_vote0/metrics.json" "$RESULTS/eval_real_offset_dev_set_min_vote_0.json"

# 4. Export (three ONNX graphs, parity checked) and the stage-by-stage speed of a 4-s 640x360 clip.
"$PY" export.py detector=av_sync "ckpt_path=$CKPT" "export_dir=$RUN/exports" "hydra.run.dir=$RUN/export"
"$PY" experiments/av_sync/bench_speed.py "$RUN/exports" --threads 2
"$PY" experiments/av_sync/bench_speed.py "$CKPT" --threads 2
