#!/usr/bin/env bash
# Real-mechanism sets for the temporal presets and their evaluation (numbers in experiments/temporal/README.md).
#   bash experiments/temporal/run_real_sets.sh      # uses the checkpoints under logs/bench/<preset>/train
# Each set: 60 clips of 4 s at 25 fps (144x256), half clean, from held-out procedural content; every clip
# goes through a libx264 + AAC encode and FFmpeg decode (synth/video/temporal_realset.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RESULTS=experiments/temporal/results
mkdir -p "$RESULTS"
for pair in black_frames:black freeze:freeze stutter:stutter; do
  preset=${pair%%:*}; defect=${pair##*:}
  SET=data/real/temporal_$defect
  [ -f "$SET/manifest.csv" ] || "$PY" -m synth.video.temporal_realset --out "$SET" --defect "$defect" --clips 60 --seed 11
  CKPT=$(ls logs/bench/$preset/train/checkpoints/best-*.ckpt | head -1)
  # The first tables in the README predate the cadence rule: it is off there.
  "$PY" eval.py "detector=$preset" "ckpt_path=$CKPT" "real_set=$SET" "hydra.run.dir=logs/bench/$preset/eval_real" \
    $([ "$preset" = black_frames ] || echo detector.cadence_veto=false)
  cp "logs/bench/$preset/eval_real/metrics.json" "$RESULTS/${preset}_eval_real_set.json"
done

# The cadence rule (README "Pulldown: a cadence rule"): stutter and freeze, real set and simulated test split.
for preset in stutter freeze; do
  CKPT=$(ls logs/bench/$preset/train/checkpoints/best-*.ckpt | head -1)
  "$PY" eval.py "detector=$preset" "ckpt_path=$CKPT" "real_set=data/real/temporal_$preset" detector.cadence_veto=true \
    "hydra.run.dir=logs/bench/$preset/eval_real_cadence"
  cp "logs/bench/$preset/eval_real_cadence/metrics.json" "$RESULTS/${preset}_cadence_eval_real_set.json"
  "$PY" eval.py "detector=$preset" "ckpt_path=$CKPT" detector.cadence_veto=true "hydra.run.dir=logs/bench/$preset/eval_sim_cadence"
  cp "logs/bench/$preset/eval_sim_cadence/metrics.json" "$RESULTS/${preset}_cadence_eval_simulated_test.json"
done

# Audio dropouts: muxed digital silence and real AAC packet loss (decoded on the timeline), with clean
# round trips, speech pauses and quiet passages (synth/audio/dropout_realset.py).
SET=data/real/audio_dropout
[ -f "$SET/manifest.csv" ] || "$PY" -m synth.audio.dropout_realset --out "$SET" --clips 60 --seed 11
CKPT=$(ls logs/bench/audio_dropout/train/checkpoints/best-*.ckpt | head -1)
"$PY" eval.py detector=audio_dropout "ckpt_path=$CKPT" "real_set=$SET" "hydra.run.dir=logs/bench/audio_dropout/eval_real"
cp logs/bench/audio_dropout/eval_real/metrics.json "$RESULTS/audio_dropout_eval_real_set.json"

# Tearing (README "Tearing on a real mechanism"): a capture of a display scanned without vsync, through
# x264. The first checkpoint trained on isolated swaps only (logs/bench/tearing/train); the second with
# half the tearing clips in scan-out runs: python train.py detector=tearing (logs/bench/tearing/scanout_train).
SET=data/real/temporal_tearing
[ -f "$SET/manifest.csv" ] || "$PY" -m synth.video.temporal_realset --out "$SET" --defect tearing --clips 60 --seed 11
for run in train scanout_train; do
  CKPT=$(ls logs/bench/tearing/$run/checkpoints/best-*.ckpt | head -1)
  "$PY" eval.py detector=tearing "ckpt_path=$CKPT" "real_set=$SET" "hydra.run.dir=logs/bench/tearing/${run}_eval_real"
  cp "logs/bench/tearing/${run}_eval_real/metrics.json" "$RESULTS/tearing_${run}_eval_real_set.json"
done
CKPT=$(ls logs/bench/tearing/scanout_train/checkpoints/best-*.ckpt | head -1)
"$PY" eval.py detector=tearing "ckpt_path=$CKPT" "hydra.run.dir=logs/bench/tearing/scanout_eval_sim"
cp logs/bench/tearing/scanout_eval_sim/metrics.json "$RESULTS/tearing_scanout_eval_simulated_test.json"

# Stutter with bit-exact still shots among the clean clips (README "Still shots after a codec"):
# python train.py detector=stutter (logs/bench/stutter/exact_train), cadence rule on.
CKPT=$(ls logs/bench/stutter/exact_train/checkpoints/best-*.ckpt | head -1)
"$PY" eval.py detector=stutter "ckpt_path=$CKPT" real_set=data/real/temporal_stutter "hydra.run.dir=logs/bench/stutter/exact_eval_real"
cp logs/bench/stutter/exact_eval_real/metrics.json "$RESULTS/stutter_exact_eval_real_set.json"
"$PY" eval.py detector=stutter "ckpt_path=$CKPT" "hydra.run.dir=logs/bench/stutter/exact_eval_sim"
cp logs/bench/stutter/exact_eval_sim/metrics.json "$RESULTS/stutter_exact_eval_simulated_test.json"
