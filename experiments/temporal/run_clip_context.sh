#!/usr/bin/env bash
# Freeze, stutter and tearing with clip context, visible defects and a capped-FPR operating point
# (experiments/temporal/README.md, "Clip context and an operating point").
#   bash experiments/temporal/run_clip_context.sh          # trains the three presets, then evaluates
#   TRAIN=0 bash experiments/temporal/run_clip_context.sh  # evaluates the checkpoints already there
#   PRESETS="stutter tearing" bash experiments/temporal/run_clip_context.sh  # some of the presets
# Each preset trains 5 epochs x 2,000 clips on 2 CPU cores (about 10 minutes) into
# logs/bench/<preset>/ctx_train; eval.py scores the simulated test split and the real-mechanism set
# (built by run_real_sets.sh's command if missing), with the preset's operating point.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RESULTS=experiments/temporal/results
mkdir -p "$RESULTS"
for preset in ${PRESETS:-freeze stutter tearing}; do
  if [ "${TRAIN:-1}" = 1 ]; then
    "$PY" train.py "detector=$preset" logger=csv test=false "hydra.run.dir=logs/bench/$preset/ctx_train"
  fi
  SET=data/real/temporal_$preset
  [ -f "$SET/manifest.csv" ] || "$PY" -m synth.video.temporal_realset --out "$SET" --defect "$preset" --clips 60 --seed 11
  CKPT=$(ls logs/bench/$preset/ctx_train/checkpoints/best-*.ckpt | head -1)
  "$PY" eval.py "detector=$preset" "ckpt_path=$CKPT" "hydra.run.dir=logs/bench/$preset/ctx_eval_sim"
  cp "logs/bench/$preset/ctx_eval_sim/metrics.json" "$RESULTS/${preset}_ctx_eval_simulated_test.json"
  "$PY" eval.py "detector=$preset" "ckpt_path=$CKPT" "real_set=$SET" "hydra.run.dir=logs/bench/$preset/ctx_eval_real"
  cp "logs/bench/$preset/ctx_eval_real/metrics.json" "$RESULTS/${preset}_ctx_eval_real_set.json"
done
