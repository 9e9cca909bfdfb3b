#!/usr/bin/env bash
# Reproduces every number in experiments/audio_artifacts/README.md on this machine (2 CPU cores):
# train the CPU recipe, evaluate it (with the DSP baseline), export it, and time data and inference.
#   bash experiments/audio_artifacts/run_benchmark.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-logs/bench/audio_artifacts}
RESULTS=experiments/audio_artifacts/results
mkdir -p "$RESULTS"

start=$(date +%s)
"$PY" train.py experiment=audio_artifacts_cpu30 "hydra.run.dir=$RUN/train"
echo "train wall time: $(( $(date +%s) - start )) s" | tee "$RESULTS/train_wall_time.txt"
CKPT=$(ls "$RUN"/train/checkpoints/best-*.ckpt | head -1)
cp "$RUN/train/learning_curve.json" "$RUN/train/learning_curve.png" "$RESULTS/"

"$PY" eval.py detector=audio_artifacts "ckpt_path=$CKPT" "hydra.run.dir=$RUN/eval"
cp "$RUN/eval/metrics.json" "$RESULTS/eval_simulated_test.json"
cp "$RUN/eval/confusion_matrix.png" "$RESULTS/confusion_matrix.png"
cp "$RUN/eval/confusion_matrix_dsp_baseline.png" "$RESULTS/confusion_matrix_dsp_baseline.png"

"$PY" export.py detector=audio_artifacts "ckpt_path=$CKPT" "export_dir=$RUN/exports" "hydra.run.dir=$RUN/export"
"$PY" experiments/audio_artifacts/bench_onnx.py "$RUN/exports" 32
"$PY" experiments/audio_artifacts/bench_throughput.py

# The cue-branch recipe (README section "Hand-designed cues"): the same budget with model.net.cues=true.
start=$(date +%s)
"$PY" train.py experiment=audio_artifacts_cues_cpu30 "hydra.run.dir=$RUN/cues_train"
echo "train wall time: $(( $(date +%s) - start )) s" | tee "$RESULTS/cues_train_wall_time.txt"
CKPT=$(ls "$RUN"/cues_train/checkpoints/best-*.ckpt | head -1)
cp "$RUN/cues_train/learning_curve.json" "$RESULTS/cues_learning_curve.json"
cp "$RUN/cues_train/learning_curve.png" "$RESULTS/cues_learning_curve.png"
"$PY" eval.py detector=audio_artifacts "ckpt_path=$CKPT" "hydra.run.dir=$RUN/cues_eval"
cp "$RUN/cues_eval/metrics.json" "$RESULTS/cues_eval_simulated_test.json"
cp "$RUN/cues_eval/confusion_matrix.png" "$RESULTS/cues_confusion_matrix.png"
"$PY" export.py detector=audio_artifacts "ckpt_path=$CKPT" "export_dir=$RUN/cues_exports" "hydra.run.dir=$RUN/cues_export"
"$PY" experiments/audio_artifacts/bench_onnx.py "$RUN/cues_exports" 32 "$RESULTS/cues_onnx_speed.json"

# The top band (README "The mel front end stopped at 14 kHz"): what separates clean noise beds called
# hiss from hiss, then the cue recipe with the mel bank reaching 16 kHz.
"$PY" experiments/audio_artifacts/hiss_top_band.py "$RESULTS/cues_eval_simulated_test.json"
start=$(date +%s)
"$PY" train.py experiment=audio_artifacts_cues16k_cpu30 "hydra.run.dir=$RUN/cues16k_train"
echo "train wall time: $(( $(date +%s) - start )) s" | tee "$RESULTS/cues16k_train_wall_time.txt"
CKPT=$(ls "$RUN"/cues16k_train/checkpoints/best-*.ckpt | head -1)
cp "$RUN/cues16k_train/learning_curve.json" "$RESULTS/cues16k_learning_curve.json"
"$PY" eval.py detector=audio_artifacts "ckpt_path=$CKPT" "hydra.run.dir=$RUN/cues16k_eval"
cp "$RUN/cues16k_eval/metrics.json" "$RESULTS/cues16k_eval_simulated_test.json"
cp "$RUN/cues16k_eval/confusion_matrix.png" "$RESULTS/cues16k_confusion_matrix.png"
"$PY" experiments/audio_artifacts/hiss_top_band.py "$RESULTS/cues16k_eval_simulated_test.json" --experiment audio_artifacts_cues16k_cpu30
