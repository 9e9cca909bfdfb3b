"""Is a recipe limited by what it can fit or by what it generalises? Balanced accuracy per split.

    python experiments/audio_artifacts/fit_check.py CKPT [CKPT ...] --experiment audio_artifacts_frames_cpu30

Scores each checkpoint on the first ``--size`` segments (default 2,000) of the train, val and test
splits of the experiment's data. The training split's first segments are those of epoch 0 (fresh
samples: later epochs draw new ones). A model that scores no better on the data it trained on than
on test is not memorising: it is short of capacity or of training, which is what a wider or longer
run can buy. Writes ``results/fit_check.json`` (``--out`` names another).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from errors_by_source import checkpoint_parser, command_line, experiment_data

from vqa_train.checkpoint import load_detector
from vqa_train.evaluation.audio_segments import predict_probs, simulated_split
from vqa_train.metrics import balanced_accuracy
from vqa_train.utils.atomic import write_json

RESULTS = Path(__file__).parent / "results"
DEFAULT_SIZE = 2000  # segments scored per split


def main(checkpoints: list[str], experiment: str, out: str, size: int) -> dict:
    cfg, dm = experiment_data(experiment)
    classes = list(cfg.detector.classes)
    splits = {}
    for split in ("train", "val", "test"):
        segments, labels = simulated_split(dm, split, min(size, dm.sizes[split]))
        splits[split] = (segments, np.array([classes.index(label) for label in labels]))
    rows = []
    for ckpt in checkpoints:
        net, _ = load_detector(ckpt)
        row = {"ckpt_path": ckpt}
        for split, (segments, y) in splits.items():
            pred = predict_probs(net, segments, 64, f"scoring {split}").argmax(1)
            row[f"{split}_bacc"] = round(float(balanced_accuracy(y, pred)), 4)
            row[f"{split}_segments"] = len(y)
        print(row)
        rows.append(row)
    extra = [] if size == DEFAULT_SIZE else ["--size", str(size)]
    result = {"command": command_line(__file__, checkpoints, experiment, out, *extra), "rows": rows}
    write_json(RESULTS / f"{out}.json", result)
    return result


if __name__ == "__main__":
    ap = checkpoint_parser(__doc__, "fit_check")
    ap.add_argument("--size", type=int, default=DEFAULT_SIZE)
    a = ap.parse_args()
    main(a.checkpoints, a.experiment, a.out, a.size)
