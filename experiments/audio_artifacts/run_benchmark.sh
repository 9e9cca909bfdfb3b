#!/usr/bin/env bash
# Reproduces every number in experiments/audio_artifacts/README.md on this machine (2 CPU cores):
# train the CPU recipe, evaluate it (with the DSP baseline), export it, and time data and inference.
#   bash experiments/audio_artifacts/run_benchmark.sh            # everything
#   ONLY=top bash experiments/audio_artifacts/run_benchmark.sh   # only the top-band recipe (or ONLY=e12,
#                                                                 # e12_seed7, clicks, clicks_seed7, hiss3, bf16,
#                                                                 # default, lr, dropout, dropout0, dropout0_seed7,
#                                                                 # fill, freq_bands, bands4, bands4_seed7, rows8,
#                                                                 # smoothing, weight_decay, wave, wave_seed7,
#                                                                 # tmin, tmin_seed7, codec, codec25, codec25_seed7,
#                                                                 # codecfast, cnn10, codecs, clippers, atan, noises,
#                                                                 # violet, spectra, frames_probe, frames, frames_seed7,
#                                                                 # frames_wave, frames_wave_seed7, frames_w2, frames_checks,
#                                                                 # frames_fill, wide, wide_seed7, wide_checks, wide_bf16,
#                                                                 # layout, fit_check, dips, dips_seed7,
#                                                                 # dips_checks, dips_fill, dips_fill_seed7,
#                                                                 # dips_fill_checks)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RUN=${RUN:-logs/bench/audio_artifacts}
RESULTS=experiments/audio_artifacts/results
mkdir -p "$RESULTS"

# Every recipe before audio_artifacts_clicks_e12_cpu30 trained on clicks that stayed where drawn; eval.py
# composes the data itself, so their test split needs the same setting ($EVAL_DATA).
OLD_DATA=defect.clicks.min_level_db=null
EVAL_DATA=$OLD_DATA

# part NAME...: true when this run does everything (no ONLY) or ONLY names one of the NAMEs.
part() {
  [ -z "${ONLY:-}" ] && return 0
  local name
  for name in "$@"; do [ "$ONLY" = "$name" ] && return 0; done
  return 1
}

# best NAME: the best checkpoint of the training run $RUN/NAME_train.
best() { ls "$RUN/$1_train"/checkpoints/best-*.ckpt | head -1; }

# recipe NAME EXPERIMENT [OVERRIDES...]: train experiment=EXPERIMENT ("" for the defaults, i.e. what
# `make train` runs) into $RUN/NAME_train (timed; the epoch count callbacks.fit_to_time chose, if it
# ran, to $RESULTS/NAME_fit_to_time.txt),
# evaluate its best checkpoint on the simulated test split ($EVAL_DATA), and copy the report, learning
# curve and confusion matrix to $RESULTS/NAME_*; CKPT is left set for what follows.
recipe() {
  local name=$1 experiment=$2 start
  shift 2
  rm -rf "$RUN/${name}_train"  # a rerun must not find an earlier run's checkpoints (best picks by name)
  start=$(date +%s)
  "$PY" train.py ${experiment:+"experiment=$experiment"} "$@" "hydra.run.dir=$RUN/${name}_train"
  echo "train wall time: $(( $(date +%s) - start )) s" | tee "$RESULTS/${name}_train_wall_time.txt"
  if grep -qs "fit_to_time:" "$RUN/${name}_train/train.log"; then  # the epoch count fit_to_time chose
    grep -h "fit_to_time:" "$RUN/${name}_train/train.log" | tee "$RESULTS/${name}_fit_to_time.txt"
  fi
  CKPT=$(best "$name")
  cp "$RUN/${name}_train/learning_curve.json" "$RESULTS/${name}_learning_curve.json"
  "$PY" eval.py detector=audio_artifacts "ckpt_path=$CKPT" "hydra.run.dir=$RUN/${name}_eval" $EVAL_DATA
  cp "$RUN/${name}_eval/metrics.json" "$RESULTS/${name}_eval_simulated_test.json"
  cp "$RUN/${name}_eval/confusion_matrix.png" "$RESULTS/${name}_confusion_matrix.png"
}

# probed NAME EXPERIMENT PROBE: recipe NAME on the current data ($EVAL_DATA emptied), then
# experiments/audio_artifacts/PROBE.py on its best checkpoint and the default's test split, into
# $RESULTS/PROBE_NAME.json.
probed() {
  EVAL_DATA=
  recipe "$1" "$2"
  "$PY" "experiments/audio_artifacts/$3.py" "$CKPT" --experiment audio_artifacts_bands4_cpu30 --out "$3_$1"
}

# coded NAME EXPERIMENT [OVERRIDES...]: recipe NAME on the current data ($EVAL_DATA emptied), then its
# best checkpoint scored as delivered (16-bit PCM, AAC) into $RESULTS/codec_robustness_NAME.json.
coded() {
  EVAL_DATA=
  recipe "$@"
  "$PY" experiments/audio_artifacts/codec_robustness.py "$CKPT" --experiment "$2" --out "codec_robustness_$1"
}

# seed_checks NAME EXPERIMENT: the checks on a recipe's two seeds ($RUN/NAME_train, $RUN/NAME_seed7_train):
# the clicks their test reports miss, both best checkpoints as delivered (16-bit PCM, AAC) into
# $RESULTS/codec_robustness_NAME.json, and the data/train rate of EXPERIMENT.
seed_checks() {
  local name=$1 experiment=$2
  "$PY" experiments/audio_artifacts/missed_clicks.py "$RESULTS/${name}_eval_simulated_test.json" \
    "$RESULTS/${name}_seed7_eval_simulated_test.json" --experiment "$experiment"
  "$PY" experiments/audio_artifacts/codec_robustness.py "$(best "$name")" "$(best "${name}_seed7")" \
    --experiment "$experiment" --out "codec_robustness_$name"
  "$PY" experiments/audio_artifacts/bench_throughput.py "experiment=$experiment"
}

# onnx_speed NAME: export NAME's best checkpoint and time ONNX Runtime against eager on it
# ($RESULTS/NAME_onnx_speed.json).
onnx_speed() {
  "$PY" export.py detector=audio_artifacts "ckpt_path=$(best "$1")" "export_dir=$RUN/$1_exports" "hydra.run.dir=$RUN/$1_export"
  "$PY" experiments/audio_artifacts/bench_onnx.py "$RUN/$1_exports" 32 "$RESULTS/$1_onnx_speed.json"
}

if [ "${ONLY:-}" = "" ]; then
start=$(date +%s)
"$PY" train.py experiment=audio_artifacts_cpu30 "hydra.run.dir=$RUN/train"
echo "train wall time: $(( $(date +%s) - start )) s" | tee "$RESULTS/train_wall_time.txt"
CKPT=$(ls "$RUN"/train/checkpoints/best-*.ckpt | head -1)
cp "$RUN/train/learning_curve.json" "$RUN/train/learning_curve.png" "$RESULTS/"

"$PY" eval.py detector=audio_artifacts "ckpt_path=$CKPT" "hydra.run.dir=$RUN/eval" $OLD_DATA
cp "$RUN/eval/metrics.json" "$RESULTS/eval_simulated_test.json"
cp "$RUN/eval/confusion_matrix.png" "$RESULTS/confusion_matrix.png"
cp "$RUN/eval/confusion_matrix_dsp_baseline.png" "$RESULTS/confusion_matrix_dsp_baseline.png"

"$PY" export.py detector=audio_artifacts "ckpt_path=$CKPT" "export_dir=$RUN/exports" "hydra.run.dir=$RUN/export"
"$PY" experiments/audio_artifacts/bench_onnx.py "$RUN/exports" 32
"$PY" experiments/audio_artifacts/bench_throughput.py

# The cue-branch recipe (README section "Hand-designed cues"): the same budget with model.net.cues=true.
recipe cues audio_artifacts_cues_cpu30
cp "$RUN/cues_train/learning_curve.png" "$RESULTS/cues_learning_curve.png"
"$PY" export.py detector=audio_artifacts "ckpt_path=$CKPT" "export_dir=$RUN/cues_exports" "hydra.run.dir=$RUN/cues_export"
"$PY" experiments/audio_artifacts/bench_onnx.py "$RUN/cues_exports" 32 "$RESULTS/cues_onnx_speed.json"

# The top band (README "The mel front end stopped at 14 kHz"): what separates clean noise beds called
# hiss from hiss, then the cue recipe with the mel bank reaching 16 kHz.
"$PY" experiments/audio_artifacts/hiss_top_band.py "$RESULTS/cues_eval_simulated_test.json"
recipe cues16k audio_artifacts_cues16k_cpu30
"$PY" experiments/audio_artifacts/hiss_top_band.py "$RESULTS/cues16k_eval_simulated_test.json" --experiment audio_artifacts_cues16k_cpu30
fi

# The top-band cues (README "Top-band cues"): the 16 kHz recipe plus the 11-14 -> 14-15 kHz step
# computed directly. ONLY=top runs just this part.
if part top; then
recipe top audio_artifacts_top_cpu30
"$PY" experiments/audio_artifacts/hiss_top_band.py "$RESULTS/top_eval_simulated_test.json" --experiment audio_artifacts_top_cpu30
fi

# The 16 kHz cue recipe given the whole 30-minute budget (README "The whole budget"): 12 epochs, with
# two training seeds. ONLY=e12 runs just this part; ONLY=e12_seed7 only the second seed.
if part e12; then
recipe e12 audio_artifacts_cues16k_e12_cpu30
fi
if part e12 e12_seed7; then
# The same recipe with another training seed (same data splits): the run-to-run spread.
recipe e12_seed7 audio_artifacts_cues16k_e12_cpu30 seed=7
fi

# Audible clicks (README "Clicks that are heard"): the 12-epoch recipe on data whose clicks realise at
# least 3 dB over the local energy where they land, two training seeds; and the 12-epoch model of
# above, trained on the old data, scored on the new test split. ONLY=clicks runs this part
# (ONLY=clicks_seed7 only the second seed).
EVAL_DATA=
if part clicks; then
recipe clicks audio_artifacts_clicks_e12_cpu30
OLD=$(best e12)
"$PY" eval.py detector=audio_artifacts "ckpt_path=$OLD" "hydra.run.dir=$RUN/e12_on_clicks_eval"
cp "$RUN/e12_on_clicks_eval/metrics.json" "$RESULTS/e12_on_clicks_eval_simulated_test.json"
fi
if part clicks clicks_seed7; then
recipe clicks_seed7 audio_artifacts_clicks_e12_cpu30 seed=7
fi

# How audible is the hiss (README): how far each hiss segment of the test split stands above its
# content, missed vs found; then the clicks recipe on data whose hiss stands >= 3 dB above the content
# in its best octave band, scored on its own test split and on the default one, and the clicks model
# scored on the new split. ONLY=hiss3 runs this part.
if part hiss3; then
"$PY" experiments/audio_artifacts/hiss_exposure.py "$RESULTS/clicks_eval_simulated_test.json" --experiment audio_artifacts_clicks_e12_cpu30
"$PY" experiments/audio_artifacts/hiss_exposure.py "$RESULTS/clicks_seed7_eval_simulated_test.json" --experiment audio_artifacts_clicks_e12_cpu30
HISS3="++defect.hiss.band_margin_db_range=[3.0,9.0]"
EVAL_DATA=$HISS3
recipe hiss3 audio_artifacts_hiss3_e12_cpu30
"$PY" experiments/audio_artifacts/hiss_exposure.py "$RESULTS/hiss3_eval_simulated_test.json" --experiment audio_artifacts_hiss3_e12_cpu30
for report in clicks hiss3; do
  "$PY" experiments/audio_artifacts/errors_by_source.py "$RESULTS/${report}_eval_simulated_test.json" \
    --experiment "audio_artifacts_${report}_e12_cpu30" --predicted hiss
done
EVAL_DATA=
"$PY" eval.py detector=audio_artifacts "ckpt_path=$CKPT" "hydra.run.dir=$RUN/hiss3_on_default_eval"
cp "$RUN/hiss3_on_default_eval/metrics.json" "$RESULTS/hiss3_on_default_eval_simulated_test.json"
CLICKS=$(best clicks)
"$PY" eval.py detector=audio_artifacts "ckpt_path=$CLICKS" "hydra.run.dir=$RUN/clicks_on_hiss3_eval" "$HISS3"
cp "$RUN/clicks_on_hiss3_eval/metrics.json" "$RESULTS/clicks_on_hiss3_eval_simulated_test.json"
# Balanced accuracy by the kind of content under the segments (README "Where the errors are").
for report in clicks clicks_seed7; do
  "$PY" experiments/audio_artifacts/bacc_by_kind.py "$RESULTS/${report}_eval_simulated_test.json" --experiment audio_artifacts_clicks_e12_cpu30
done
"$PY" experiments/audio_artifacts/bacc_by_kind.py "$RESULTS/hiss3_eval_simulated_test.json" --experiment audio_artifacts_hiss3_e12_cpu30
"$PY" experiments/audio_artifacts/click_probe.py "$RESULTS/clicks_eval_simulated_test.json" --experiment audio_artifacts_clicks_e12_cpu30
fi

# bf16 on the CPU (README "bf16 on the CPU"): the clicks recipe with bf16 autocast and its epoch count
# fitted to 28 minutes by callbacks.fit_to_time. ONLY=bf16 runs this part.
if part bf16; then
EVAL_DATA=
recipe bf16 audio_artifacts_bf16_cpu30
for experiment in audio_artifacts_clicks_e12_cpu30 audio_artifacts_bf16_cpu30; do
  "$PY" experiments/audio_artifacts/bench_throughput.py "experiment=$experiment"
done
fi

# The default recipe (README "The default recipe"): `python train.py` with no experiment, which is what
# `make train` runs; callbacks.fit_to_time holds it to 28 minutes. ONLY=default runs this part.
if part default; then
EVAL_DATA=
recipe default ""
# the defaults draw the clicks recipe's data (same seed, defects and test split)
"$PY" experiments/audio_artifacts/bacc_by_kind.py "$RESULTS/default_eval_simulated_test.json" \
  --experiment audio_artifacts_clicks_e12_cpu30
fi

# probe PART NAME EXPERIMENT KEY VALUES [OVERRIDES...]: the recipe EXPERIMENT (plus OVERRIDES) cut to
# 4 epochs, one run per value of KEY (a Hydra multirun); the val curves go to $RESULTS/NAME.json, with
# the command that reruns them (ONLY=PART).
probe() {
  local part=$1 name=$2 experiment=$3 key=$4 values=$5
  shift 5
  rm -rf "$RUN/$name"
  "$PY" train.py -m "experiment=$experiment" trainer.max_epochs=4 test=false \
    "$@" "$key=$values" "hydra.sweep.dir=$RUN/$name"
  "$PY" - "$RUN/$name" "$RESULTS/$name.json" "$key" "ONLY=$part bash experiments/audio_artifacts/run_benchmark.sh" <<'PY'
import json, sys
from pathlib import Path
from omegaconf import OmegaConf
from vqa_train.utils.atomic import write_json
rows = []
for job in sorted(Path(sys.argv[1]).glob("[0-9]*")):
    cfg = OmegaConf.load(job / ".hydra/config.yaml")
    curve = json.loads((job / "learning_curve.json").read_text())
    rows.append({sys.argv[3]: OmegaConf.select(cfg, sys.argv[3]), "val_bacc": [round(e["val/bacc"], 4) for e in curve],
                 "elapsed_s": round(curve[-1]["elapsed_s"], 1)})
    print(rows[-1])
write_json(Path(sys.argv[2]), {"command": sys.argv[4], "runs": rows})
PY
}

# Learning-rate probe (README "Is the learning rate right?"): three peak learning rates. ONLY=lr runs it.
if part lr; then
probe lr lr_probe audio_artifacts_clicks_e12_cpu30 model.optimizer.lr 1e-3,2e-3,4e-3
fi

# Dropout probe (README "Dropout on data that never repeats"): the recipe without dropout. ONLY=dropout
# runs it (compare with the 2e-3 row of lr_probe.json, the same recipe with dropout 0.2).
if part dropout; then
probe dropout dropout_probe audio_artifacts_clicks_e12_cpu30 model.net.dropout 0.0
fi

# The clicks recipe without dropout, full length (README "Dropout on data that never repeats").
# ONLY=dropout0 runs this part.
if part dropout0; then
EVAL_DATA=
recipe dropout0 audio_artifacts_dropout0_cpu30
"$PY" experiments/audio_artifacts/bacc_by_kind.py "$RESULTS/dropout0_eval_simulated_test.json" \
  --experiment audio_artifacts_dropout0_cpu30
fi

# The same with the second seed of the earlier recipes. ONLY=dropout0_seed7 runs this part.
if part dropout0_seed7; then
EVAL_DATA=
recipe dropout0_seed7 audio_artifacts_dropout0_cpu30 seed=7
fi

# The dropout-free recipe given the whole 28 minutes on this machine (README "The whole budget on a
# faster machine"): callbacks.fit_to_time picks the epoch count. ONLY=fill runs this part.
if part fill; then
EVAL_DATA=
recipe fill audio_artifacts_fill_cpu30
"$PY" experiments/audio_artifacts/bench_throughput.py experiment=audio_artifacts_fill_cpu30
"$PY" experiments/audio_artifacts/bacc_by_kind.py "$RESULTS/fill_eval_simulated_test.json" \
  --experiment audio_artifacts_fill_cpu30
fi

# Frequency bands probe (README "Where in frequency"): the dropout-free recipe, 4 epochs, with the last
# block's mel rows averaged into 1 band (PANNs) or kept as 4. ONLY=freq_bands runs it.
if part freq_bands; then
probe freq_bands freq_bands_probe audio_artifacts_dropout0_cpu30 model.net.freq_bands 1,4
fi

# The dropout-free recipe with 4 frequency bands, full length, two seeds (README "Where in frequency").
# ONLY=bands4 runs both; ONLY=bands4_seed7 only the second seed.
if part bands4; then
EVAL_DATA=
recipe bands4 audio_artifacts_bands4_cpu30
"$PY" experiments/audio_artifacts/bacc_by_kind.py "$RESULTS/bands4_eval_simulated_test.json" \
  --experiment audio_artifacts_bands4_cpu30
fi
if part bands4 bands4_seed7; then
EVAL_DATA=
recipe bands4_seed7 audio_artifacts_bands4_cpu30 seed=7
fi

# Eight mel rows probe (README "Where in frequency"): the 4-band probe with the last block halving
# time only, so 8 rows reach the embedding (compare with freq_bands_probe.json). ONLY=rows8 runs it.
if part rows8; then
probe rows8 rows8_probe audio_artifacts_bands4_cpu30 model.net.last_pool_mel false model.net.freq_bands=8
fi

# Label smoothing probe (README "Where in frequency"): the 4-band probe with label smoothing 0.1
# (compare with the 4-band row of freq_bands_probe.json). ONLY=smoothing runs it.
if part smoothing; then
probe smoothing smoothing_probe audio_artifacts_bands4_cpu30 model.label_smoothing 0.1
fi

# Weight decay probe (README "Where in frequency"): the 4-band probe with AdamW weight decay 0.05
# instead of 1e-4 (compare with the 4-band row of freq_bands_probe.json). ONLY=weight_decay runs it.
if part weight_decay; then
probe weight_decay weight_decay_probe audio_artifacts_bands4_cpu30 model.optimizer.weight_decay 0.05
fi

# The 4-band recipe with a learned impulse detector on the waveform (README "Clicks at full time
# resolution"), full length, two seeds. ONLY=wave runs both; ONLY=wave_seed7 only the second seed.
if part wave; then
EVAL_DATA=
recipe wave audio_artifacts_wave_cpu30
"$PY" experiments/audio_artifacts/bacc_by_kind.py "$RESULTS/wave_eval_simulated_test.json" \
  --experiment audio_artifacts_wave_cpu30
fi
if part wave wave_seed7; then
EVAL_DATA=
recipe wave_seed7 audio_artifacts_wave_cpu30 seed=7
fi

# The 4-band recipe with the minimum over time pooled too (README "The quietest moments"), full
# length, two seeds. ONLY=tmin runs both; ONLY=tmin_seed7 only the second seed.
if part tmin; then
EVAL_DATA=
recipe tmin audio_artifacts_tmin_cpu30
fi
if part tmin tmin_seed7; then
EVAL_DATA=
recipe tmin_seed7 audio_artifacts_tmin_cpu30 seed=7
fi

# Delivered audio (README "After 16-bit PCM and AAC"): the default recipe's two seeds scored on the test
# split as synthesised, rounded to 16-bit PCM, and through an AAC round trip. Needs the bands4 runs.
# ONLY=codec runs it.
if part codec; then
"$PY" experiments/audio_artifacts/codec_robustness.py \
  "$(best bands4)" "$(best bands4_seed7)" \
  --experiment audio_artifacts_bands4_cpu30
fi

# The 4-band recipe with a quarter of its samples through an AAC round trip (README "After 16-bit PCM
# and AAC"): trained, scored on the plain test split, then as delivered. ONLY=codec25 runs it.
if part codec25; then
coded codec25 audio_artifacts_codec_cpu30
"$PY" experiments/audio_artifacts/bench_throughput.py experiment=audio_artifacts_codec_cpu30
fi
# Its second seed. ONLY=codec25_seed7 runs it.
if part codec25_seed7; then
coded codec25_seed7 audio_artifacts_codec_cpu30 seed=7
fi

# The same share through the cheap round trip (native 32 kHz, AAC's fast coder, 48-96 kbit/s drawn per
# sample; README "After 16-bit PCM and AAC"): trained, then scored like codec25 (the full 48 kHz,
# 96 kbit/s round trip) and timed. ONLY=codecfast runs it.
if part codecfast; then
coded codecfast audio_artifacts_codecfast_cpu30
"$PY" experiments/audio_artifacts/bench_throughput.py experiment=audio_artifacts_codecfast_cpu30
fi

# Depth instead of width (README "Deeper: CNN10"): the 4-band probe with CNN10's two 3x3 convs per
# block instead of CNN6's one 5x5 (compare with the 4-band row of freq_bands_probe.json). ONLY=cnn10 runs it.
if part cnn10; then
probe cnn10 cnn10_probe audio_artifacts_bands4_cpu30 model.net.arch cnn10
fi

# Three deliveries (README "After 16-bit PCM and AAC"): the default's two seeds and the coded recipe's
# two seeds through AAC, MP3 and Opus round trips. Needs the bands4 and codec25 runs. ONLY=codecs runs it.
if part codecs; then
"$PY" experiments/audio_artifacts/codec_robustness.py \
  "$(best bands4)" "$(best bands4_seed7)" "$(best codec25)" "$(best codec25_seed7)" \
  --experiment audio_artifacts_bands4_cpu30 --codecs aac mp3 opus --out codec_robustness_codecs
fi

# Other clippers (README "Other clippers"): the default's two seeds on the test split's distortion
# samples re-clipped along each of FFmpeg's asoftclip curves. Needs the bands4 runs. ONLY=clippers runs it.
if part clippers; then
"$PY" experiments/audio_artifacts/other_clippers.py "$(best bands4)" "$(best bands4_seed7)" \
  --experiment audio_artifacts_bands4_cpu30
fi

# The 4-band recipe with the arctangent clipper drawn too (README "Other clippers"): trained, scored on
# the default test split, then on its distortion re-clipped by FFmpeg's curves. ONLY=atan runs it.
if part atan; then
probed atan audio_artifacts_atan_cpu30 other_clippers
fi

# Other noises (README "Other clippers, other noises"): the default's two seeds on the test split's hiss
# with its noise swapped for each of FFmpeg's anoisesrc colours at the same exposure. Needs the bands4
# runs. ONLY=noises runs it.
if part noises; then
"$PY" experiments/audio_artifacts/other_noises.py "$(best bands4)" "$(best bands4_seed7)" \
  --experiment audio_artifacts_bands4_cpu30
fi

# The 4-band recipe with violet hiss drawn too (README "Other clippers, other noises"): trained, scored on
# the default test split, then on its hiss with FFmpeg's noises. ONLY=violet runs it.
if part violet; then
probed violet audio_artifacts_violet_cpu30 other_noises
fi

# Round-trip fidelity and noise spectra (README "After 16-bit PCM and AAC", "Other clippers, other
# noises"). ONLY=spectra runs it.
if part spectra; then
"$PY" experiments/audio_artifacts/spectra_checks.py
fi

# Where in time (README "Where in time"): the frame-loss recipe cut to the 4-epoch probe at two loss
# weights (compare with the 4-band row of freq_bands_probe.json). ONLY=frames_probe runs it.
if part frames_probe; then
probe frames_probe frames_probe audio_artifacts_frames_cpu30 model.frame_loss_weight 0.3,1.0
fi

# The frame-loss recipe at full length (README "Where in time"), two seeds. ONLY=frames runs both;
# ONLY=frames_seed7 only the second seed.
if part frames; then
EVAL_DATA=
recipe frames audio_artifacts_frames_cpu30
"$PY" experiments/audio_artifacts/bacc_by_kind.py "$RESULTS/frames_eval_simulated_test.json" \
  --experiment audio_artifacts_frames_cpu30
fi
if part frames frames_seed7; then
EVAL_DATA=
recipe frames_seed7 audio_artifacts_frames_cpu30 seed=7
fi

# The frame-loss recipe with the wave branch told where the clicks are (README "Where in time"), two
# seeds. ONLY=frames_wave runs both; ONLY=frames_wave_seed7 only the second seed.
if part frames_wave; then
EVAL_DATA=
recipe frames_wave audio_artifacts_frames_wave_cpu30
fi
if part frames_wave frames_wave_seed7; then
EVAL_DATA=
recipe frames_wave_seed7 audio_artifacts_frames_wave_cpu30 seed=7
fi

# The frame-loss recipe at twice the per-cell weight (README "Where in time"). ONLY=frames_w2 runs it.
if part frames_w2; then
EVAL_DATA=
recipe frames_w2 audio_artifacts_frames_cpu30 model.frame_loss_weight=2.0
fi

# Checks on the frame-loss recipe's two seeds (README "Where in time"): the clicks they miss, how they
# fare as delivered (16-bit PCM, AAC), and the data/train rate with the frame targets. Needs the frames
# runs. ONLY=frames_checks runs it.
if part frames_checks; then
seed_checks frames audio_artifacts_frames_cpu30
fi

# The frame-loss recipe given the whole 30-minute budget (README "Where in time"): callbacks.fit_to_time
# may lengthen it too (at most 30 epochs), as "The whole budget on a faster machine" did for the
# dropout-free recipe. ONLY=frames_fill runs it.
if part frames_fill; then
EVAL_DATA=
recipe frames_fill audio_artifacts_frames_cpu30 callbacks.fit_to_time.budget_s=1680 callbacks.fit_to_time.max_epochs_cap=30
fi

# Width 48 in channels-last layout, given the whole budget (README "Wider, in channels-last layout"),
# two seeds. ONLY=wide runs both; ONLY=wide_seed7 only the second seed.
if part wide; then
EVAL_DATA=
recipe wide audio_artifacts_wide_cpu30
fi
if part wide wide_seed7; then
EVAL_DATA=
recipe wide_seed7 audio_artifacts_wide_cpu30 seed=7
fi

# Checks on the wide recipe's two seeds (README "Wider, in channels-last layout"): the clicks they miss,
# the data/train rate, ONNX Runtime vs eager for the exported width-48 model, how they fare as
# delivered, and the clipping-cue probe on the distortions they miss. Needs the wide runs. ONLY=wide_checks runs it.
if part wide_checks; then
seed_checks wide audio_artifacts_wide_cpu30
onnx_speed wide
"$PY" experiments/audio_artifacts/clip_cue_probe.py "$RESULTS/wide_eval_simulated_test.json" \
  "$RESULTS/wide_seed7_eval_simulated_test.json" --experiment audio_artifacts_wide_cpu30
fi

# The wide recipe under bf16 autocast (README "Wider, in channels-last layout"), one seed.
# ONLY=wide_bf16 runs it.
if part wide_bf16; then
EVAL_DATA=
recipe wide_bf16 audio_artifacts_wide_bf16_cpu30
fi

# Training-step time in NCHW vs channels-last layout, CNN6 at widths 32 and 48 (README "Wider, in
# channels-last layout"). ONLY=layout runs it.
if part layout; then
"$PY" experiments/audio_artifacts/bench_layout.py
fi

# Train vs val vs test balanced accuracy of the frame-loss and wide runs (README "Wider, in
# channels-last layout"). Needs those runs. ONLY=fit_check runs it.
if part fit_check; then
"$PY" experiments/audio_artifacts/fit_check.py "$(best frames)" "$(best frames_seed7)" "$(best wide)" \
  "$(best wide_seed7)" --experiment audio_artifacts_frames_cpu30
fi

# The frame-loss recipe with the dropout cues (README "Dropouts"), two seeds. ONLY=dips runs both;
# ONLY=dips_seed7 only the second seed.
if part dips; then
EVAL_DATA=
recipe dips audio_artifacts_dips_cpu30
fi
if part dips dips_seed7; then
EVAL_DATA=
recipe dips_seed7 audio_artifacts_dips_cpu30 seed=7
fi

# Checks on the dropout-cue recipe's two seeds (README "Dropouts"): the clicks they miss, how they fare
# as delivered (16-bit PCM, AAC), and the data/train rate. Needs the dips runs. ONLY=dips_checks runs it.
if part dips_checks; then
seed_checks dips audio_artifacts_dips_cpu30
fi

# The dropout-cue recipe given the whole 30-minute budget by callbacks.fit_to_time (README "Dropouts"),
# two seeds. ONLY=dips_fill runs both; ONLY=dips_fill_seed7 only the second seed.
if part dips_fill; then
EVAL_DATA=
recipe dips_fill audio_artifacts_dips_fill_cpu30
fi
if part dips_fill dips_fill_seed7; then
EVAL_DATA=
recipe dips_fill_seed7 audio_artifacts_dips_fill_cpu30 seed=7
fi

# Checks on the whole-budget dropout-cue recipe, the default (README "Dropouts", "The default recipe"):
# the clicks its two seeds miss, how they fare as delivered (16-bit PCM, AAC), the data/train rate,
# and ONNX Runtime vs eager for its export. Needs the dips_fill runs. ONLY=dips_fill_checks runs it.
if part dips_fill_checks; then
seed_checks dips_fill audio_artifacts_dips_fill_cpu30
onnx_speed dips_fill
fi
