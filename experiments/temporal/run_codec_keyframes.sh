#!/usr/bin/env bash
# The freeze preset: the codec in the loop with keyframes inside the clips (conf/detector/freeze.yaml
# data.codec_*), scored with the still-window rule (experiments/temporal/README.md, "Keyframes, still
# windows and invisible freezes"). The run was trained with these as overrides before they became the
# preset's defaults; CODEC below spells them out, so the commands mean the same either way.
#   bash experiments/temporal/run_codec_keyframes.sh          # trains (about 11 minutes on 2 cores), evaluates
#   TRAIN=0 bash experiments/temporal/run_codec_keyframes.sh  # evaluates the checkpoint already there
#   PRESET=tearing bash experiments/temporal/run_codec_keyframes.sh  # the same codec recipe on another preset
#   PRESET=stutter TAG=_crf28 EXTRA='data.codec_crf_range=[18,28]' bash ...  # a variant, in its own folders
# Evaluations: the simulated test split and the real-mechanism set, each with the val clips that choose
# the operating point (and fit freezedetect) coded as the training clips were (the preset: *_codecval),
# and with data.codec_prob=0 (val and simulated test clips without the codec).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RESULTS=experiments/temporal/results
PRESET=${PRESET:-freeze}
TAG=${TAG:-}
RUN=logs/bench/$PRESET/ctx_codeckey${TAG}_train
CODEC=(data.codec_prob=0.5 'data.codec_keyint_range=[8,40]' 'data.codec_presets=[ultrafast,veryfast]' ${EXTRA:-})
mkdir -p "$RESULTS"
if [ "${TRAIN:-1}" = 1 ]; then
  "$PY" train.py "detector=$PRESET" "${CODEC[@]}" logger=csv test=false "hydra.run.dir=$RUN"
fi
SET=data/real/temporal_$PRESET
[ -f "$SET/manifest.csv" ] || "$PY" -m synth.video.temporal_realset --out "$SET" --defect "$PRESET" --clips 60 --seed 11
CKPT=$(ls $RUN/checkpoints/best-*.ckpt | head -1)
ev() {  # ev NAME [OVERRIDES...]: one eval.py run, its report copied into results/
  local name=$1; shift
  "$PY" eval.py "detector=$PRESET" "ckpt_path=$CKPT" "$@" "hydra.run.dir=logs/bench/$PRESET/$name"
  cp "logs/bench/$PRESET/$name/metrics.json" "$RESULTS/${PRESET}_$name.json"
}
ev "codeckey${TAG}_eval_simulated_test_codecval" "${CODEC[@]}"
ev "codeckey${TAG}_eval_real_set_codecval" "${CODEC[@]}" "real_set=$SET"
ev "codeckey${TAG}_eval_simulated_test" data.codec_prob=0
ev "codeckey${TAG}_eval_real_set" data.codec_prob=0 "real_set=$SET"
