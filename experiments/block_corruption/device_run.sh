#!/usr/bin/env bash
# One GPU call that trains a block-corruption recipe and evaluates it on the same machine:
# the simulated test split (without and with 30 % codec frames) and both real decoder-corruption
# sets, the network on the GPU (eval.py device=auto). Reports and logs come back packed in one
# archive, $OUT/results.tar.gz, and the weights as a slim checkpoint in parts (a lent machine returns
# at most 8 files of 16 MB each), with a summary on stdout.
#
# On the lent H200 (no package registry) the packages its image lacks travel as wheels in .whl/
# (README.md of this folder, "Running it on a lent GPU"):
#   run(command="bash experiments/block_corruption/device_run.sh", carry=[".whl"], timeout_s=600)
# A CPU smoke test of the whole script (seconds, numbers meaningless):
#   SMOKE=1 OUT=/tmp/smoke bash experiments/block_corruption/device_run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-python3}
OUT=${OUT:-/tmp/device_out}
EXPERIMENT=${EXPERIMENT:-block_corruption_codec_clips_gpu}
RUN=${RUN:-logs/bench/block_corruption/${EXPERIMENT}}
DEV=${DEV:-data/real/block_corruption}            # seed 7: the development set
REAL=${REAL:-data/real/block_corruption_report}   # seed 11: the reported set
CLIPS=${CLIPS:-40}
TRAIN_EXTRA=${TRAIN_EXTRA:-}
EVAL_EXTRA=${EVAL_EXTRA:-}
if [ -n "${SMOKE:-}" ]; then  # tiny everything, on the CPU
  CLIPS=2 DEV=$OUT/real_dev REAL=$OUT/real RUN=$OUT/run
  TRAIN_EXTRA="trainer=cpu debug=fdr data.num_workers=1 data.batch_size=16 data.pin_memory=false"
  EVAL_EXTRA="data.val_size=16 data.test_size=16"
fi
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 WANDB_MODE=offline WANDB_SILENT=true NO_ALBUMENTATIONS_UPDATE=1
if ! "$PY" -c "import hydra, albumentations, av, soundfile" 2>/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
start=$(date +%s)

# The real sets are built on two cores while the GPU trains (about a minute each).
(
  [ -f "$REAL/manifest.csv" ] || nice -n 10 "$PY" -m synth.video.realset --out "$REAL" --clips "$CLIPS" --seed 11 --no-progress
  [ -f "$DEV/manifest.csv" ] || nice -n 10 "$PY" -m synth.video.realset --out "$DEV" --clips "$CLIPS" --seed 7 --no-progress
) >"$OUT/realset.log" 2>&1 &
realsets=$!

# shellcheck disable=SC2086  # the extra overrides are meant to split into words
"$PY" train.py "experiment=$EXPERIMENT" test=false "hydra.run.dir=$RUN/train" $TRAIN_EXTRA >"$OUT/train.log" 2>&1 \
  || { tail -n 40 "$OUT/train.log"; exit 1; }
echo "trained in $(($(date +%s) - start)) s"
grep -h "fit_to_time:" "$OUT/train.log" || true  # the epoch count fitted to the time budget
CKPT=$(ls "$RUN"/train/checkpoints/best-*.ckpt 2>/dev/null | head -1 || true)
CKPT=${CKPT:-$RUN/train/checkpoints/last.ckpt}  # fast_dev_run (SMOKE) keeps no best checkpoint
wait "$realsets" || { tail -n 20 "$OUT/realset.log"; exit 1; }

# Four evaluations side by side, four threads each.
pids=()
for spec in "sim:" "sim_codec:data.codec.prob=0.3" "real:real_set=$REAL" "real_dev:real_set=$DEV"; do
  name=${spec%%:*} arg=${spec#*:}
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=4 "$PY" eval.py detector=block_corruption "ckpt_path=$CKPT" device=auto \
    "hydra.run.dir=$RUN/eval_$name" ${arg:+"$arg"} $EVAL_EXTRA >"$OUT/eval_$name.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || { tail -n 20 "$OUT"/eval_*.log; exit 1; }; done
echo "trained and evaluated in $(($(date +%s) - start)) s"

"$PY" - "$RUN" <<'PY'
import json, sys
from pathlib import Path
run = Path(sys.argv[1])
for name in ("sim", "sim_codec", "real", "real_dev"):
    m = json.loads((run / f"eval_{name}" / "metrics.json").read_text())
    d = m["decisions"]
    hard = m.get("hard_negatives", {}).get("any_hard_negative", {})
    print(
        f"{name:9} learned {d['learned']['balanced_accuracy']:.3f}  capped {d['learned_capped']['balanced_accuracy']:.3f}"
        f" (thr {d['learned_capped']['threshold']:.3f})  area {d['area_ratio']['balanced_accuracy']:.3f}"
        f"  blockdetect {m['dsp_baseline']['balanced_accuracy']:.3f}"
        + (f"  hard-neg FPR learned {hard['fpr_learned']:.3f} capped {hard['fpr_learned_capped']:.3f}" if hard else "")
    )
PY
# The weights come back too, as a slim checkpoint (no optimizer state) in 15 MB parts (a lent machine
# returns files of at most 16 MB): cat best.slim.ckpt.part-* > best.slim.ckpt, then eval/export here.
"$PY" - "$CKPT" "$OUT/best.slim.ckpt" <<'PY'
import sys
import torch
from vqa_train.train import CHECKPOINT_KEY
ckpt = torch.load(sys.argv[1], map_location="cpu", weights_only=True)
torch.save({"state_dict": ckpt["state_dict"], CHECKPOINT_KEY: ckpt[CHECKPOINT_KEY]}, sys.argv[2])
PY
split -b 15M -d "$OUT/best.slim.ckpt" "$OUT/best.slim.ckpt.part-" && rm "$OUT/best.slim.ckpt"
mv "$OUT"/*.log "$RUN/"
tar -czf "$OUT/results.tar.gz" -C "$RUN" train/learning_curve.json train/learning_curve.png \
  eval_sim/metrics.json eval_sim_codec/metrics.json eval_real/metrics.json eval_real_dev/metrics.json \
  eval_sim/overlays.png eval_real/overlays.png train.log realset.log eval_sim.log eval_sim_codec.log \
  eval_real.log eval_real_dev.log
ls -la "$OUT"
