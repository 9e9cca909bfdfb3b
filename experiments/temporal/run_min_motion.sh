#!/usr/bin/env bash
# The stutter preset's motion rule (conf/detector/stutter.yaml detector.min_motion_levels; README
# "Motion: a stutter needs a picture that moves"). No training: the clip-context checkpoint of
# run_clip_context.sh, scored with the rule (the preset now) on the simulated test split and the real set,
# after the sweep that chose the rule's level on simulated val clips.
#   bash experiments/temporal/run_min_motion.sh   # about 3 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RESULTS=experiments/temporal/results
CKPT=${CKPT:-$(ls logs/bench/stutter/ctx_train/checkpoints/best-*.ckpt | head -1)}
SET=data/real/temporal_stutter
[ -f "$SET/manifest.csv" ] || "$PY" -m synth.video.temporal_realset --out "$SET" --defect stutter --clips 60 --seed 11
"$PY" experiments/temporal/motion_sweep.py --ckpt "$CKPT" --real-set "$SET" --out "$RESULTS/stutter_motion_sweep"
ev() {  # ev NAME [OVERRIDES...]: one eval.py run, its report copied into results/
  local name=$1; shift
  "$PY" eval.py detector=stutter "ckpt_path=$CKPT" "$@" "hydra.run.dir=logs/bench/stutter/$name"
  cp "logs/bench/stutter/$name/metrics.json" "$RESULTS/stutter_$name.json"
}
ev motion_eval_simulated_test
ev motion_eval_real_set "real_set=$SET"
