#!/usr/bin/env bash
# Reproduces every number in experiments/block_corruption/README.md.
#   bash experiments/block_corruption/run_benchmark.sh            # trains with the GPU recipe
#   CKPT=path/to/best.ckpt bash experiments/block_corruption/run_benchmark.sh   # skip training
#   CODEC=1 ... (or CODEC_CKPT=path/to/best.ckpt ...)   # also the codec-in-the-loop recipe
#   CLIPS_CPU=1 ... (or CLIPS_CPU_CKPT=path/to/best.ckpt ...)   # also the codec clips on 2 CPU cores
#   GPU_RECIPES=0 CLIPS_CPU=1 bash experiments/block_corruption/run_benchmark.sh   # only those, no GPU
#   GPU_RECIPES=0 MORE_FROM=path/to/last.ckpt ...   # 120 more CPU minutes from the codec clips' last.ckpt
# The first two recipes train on a GPU (experiment=block_corruption_gpu, block_corruption_codec_gpu);
# block_corruption_codec_clips_cpu trains in about 85 minutes on 2 CPU cores. Everything after
# training runs on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-logs/bench/block_corruption}
DEV=${DEV:-data/real/block_corruption}            # seed 7: looked at while developing the defects
REAL=${REAL:-data/real/block_corruption_report}   # seed 11: the reported numbers
RESULTS=experiments/block_corruption/results
mkdir -p "$RESULTS"

# 1. The real decoder-corruption set: held-out pristine content, x264-encoded, bytes of non-IDR
#    packets overwritten, decoded with FFmpeg's error concealment, labelled against the clean decode.
[ -f "$DEV/manifest.csv" ] || "$PY" -m synth.video.realset --out "$DEV" --clips 40 --seed 7
[ -f "$REAL/manifest.csv" ] || "$PY" -m synth.video.realset --out "$REAL" --clips 40 --seed 11
cp "$REAL/summary.json" "$RESULTS/real_set_summary.json"

# evaluate CKPT PREFIX: the simulated held-out split (also with 30 % codec frames) and both real
# sets: both decisions, map IoU, blockdetect side by side. Writes results/PREFIXeval_*.json.
evaluate() {
  local ckpt=$1 p=$2
  "$PY" eval.py detector=block_corruption "ckpt_path=$ckpt" "hydra.run.dir=$RUN/${p}eval_sim"
  cp "$RUN/${p}eval_sim/metrics.json" "$RESULTS/${p}eval_simulated_test.json"
  cp "$RUN/${p}eval_sim/overlays.png" "$RESULTS/${p}overlays_simulated.png"
  "$PY" eval.py detector=block_corruption "ckpt_path=$ckpt" data.codec.prob=0.3 "hydra.run.dir=$RUN/${p}eval_sim_codec"
  cp "$RUN/${p}eval_sim_codec/metrics.json" "$RESULTS/${p}eval_simulated_test_with_codec.json"
  "$PY" eval.py detector=block_corruption "ckpt_path=$ckpt" "real_set=$REAL" "hydra.run.dir=$RUN/${p}eval_real"
  cp "$RUN/${p}eval_real/metrics.json" "$RESULTS/${p}eval_real_set.json"
  cp "$RUN/${p}eval_real/overlays.png" "$RESULTS/${p}overlays_real.png"
  "$PY" eval.py detector=block_corruption "ckpt_path=$ckpt" "real_set=$DEV" "hydra.run.dir=$RUN/${p}eval_real_dev"
  cp "$RUN/${p}eval_real_dev/metrics.json" "$RESULTS/${p}eval_real_dev_set.json"
}

# trained PREFIX EXPERIMENT [OVERRIDES...]: train EXPERIMENT afresh into $RUN/PREFIXtrain, copy its
# learning curve to results/PREFIXlearning_curve.{json,png} and leave its best checkpoint in BEST.
trained() {
  local p=$1 experiment=$2
  shift 2
  rm -rf "$RUN/${p}train"  # a rerun must not find an earlier run's best checkpoint
  "$PY" train.py "experiment=$experiment" "$@" "hydra.run.dir=$RUN/${p}train"
  BEST=$(ls "$RUN/${p}train"/checkpoints/best-*.ckpt | head -1)
  for ext in json png; do
    cp "$RUN/${p}train/learning_curve.$ext" "$RESULTS/${p}learning_curve.$ext"
  done
}

if [ "${GPU_RECIPES:-1}" != 0 ]; then
  # 2. Train (unless CKPT is given).
  if [ -z "${CKPT:-}" ]; then
    "$PY" train.py experiment=block_corruption_gpu "hydra.run.dir=$RUN/train"
    CKPT=$(ls "$RUN"/train/checkpoints/best-*.ckpt | head -1)
  fi

  # 3. Simulated held-out split (also with 30 % codec frames) and both real sets.
  evaluate "$CKPT" ""

  # 4. Export (ONNX parity at two sizes) and CPU speed at 224x224, 640x360, 1280x720.
  "$PY" export.py detector=block_corruption "ckpt_path=$CKPT" "export_dir=$RUN/exports" "hydra.run.dir=$RUN/export"
  "$PY" experiments/block_corruption/bench_speed.py "$RUN/exports" --threads 2

  # 5. Codec in the loop (README section of that name): train experiment=block_corruption_codec_gpu
  #    (GPU) unless CODEC_CKPT is given, then the same evaluations.
  if [ -n "${CODEC:-}${CODEC_CKPT:-}" ]; then
    if [ -z "${CODEC_CKPT:-}" ]; then
      trained codec_ block_corruption_codec_gpu test=false
      CODEC_CKPT=$BEST
    fi
    evaluate "$CODEC_CKPT" codec_
  fi
fi

# 6. The codec clips on two CPU cores (README section "On two CPU cores"): train
#    experiment=block_corruption_codec_clips_cpu (about 85 minutes) unless CLIPS_CPU_CKPT is given,
#    then the same evaluations. First the training-step speed by precision and layout.
if [ -n "${CLIPS_CPU:-}${CLIPS_CPU_CKPT:-}" ]; then
  "$PY" experiments/block_corruption/bench_cpu_step.py
  if [ -z "${CLIPS_CPU_CKPT:-}" ]; then
    trained clips_cpu_ block_corruption_codec_clips_cpu
    CLIPS_CPU_CKPT=$BEST
  fi
  evaluate "$CLIPS_CPU_CKPT" clips_cpu_
fi

# 7. More epochs (README section of that name): experiment=block_corruption_codec_clips_cpu_more
#    continues from MORE_FROM (the last.ckpt of step 6's training) for 120 minutes on frames the
#    first run never drew, unless MORE_CKPT is given; then the same evaluations.
if [ -n "${MORE_FROM:-}${MORE_CKPT:-}" ]; then
  if [ -z "${MORE_CKPT:-}" ]; then
    trained clips_cpu_more_ block_corruption_codec_clips_cpu_more "init_ckpt_path=$MORE_FROM"
    MORE_CKPT=$BEST
  fi
  evaluate "$MORE_CKPT" clips_cpu_more_
  "$PY" experiments/block_corruption/real_errors.py "$RESULTS/clips_cpu_more_eval_real_set.json" \
    --dev "$RESULTS/clips_cpu_more_eval_real_dev_set.json" --out "$RESULTS/clips_cpu_more_real_errors.json"
fi
