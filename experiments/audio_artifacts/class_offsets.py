"""Do per-class logit offsets chosen on the val split raise test balanced accuracy? (No.)

    python experiments/audio_artifacts/class_offsets.py CKPT [CKPT ...] --experiment audio_artifacts_clicks_e12_cpu30

Scores the simulated val and test splits of the experiment's data with each checkpoint, then picks
one additive offset per class on the log-probabilities (coordinate ascent, three sweeps over
-2..2 in steps of 0.05) that maximises val balanced accuracy, and reports val and test balanced
accuracy with argmax and with the offsets. Writes ``results/class_offsets.json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from errors_by_source import command_line, experiment_data

from vqa_train.checkpoint import load_detector
from vqa_train.evaluation.audio_segments import predict_probs, simulated_split
from vqa_train.metrics import balanced_accuracy
from vqa_train.utils.atomic import write_json

OUT = Path(__file__).parent / "results" / "class_offsets.json"


def fit_offsets(logp: np.ndarray, y: np.ndarray, sweeps: int = 3) -> np.ndarray:
    """Per-class offsets maximising the balanced accuracy of ``argmax(logp + offsets)``."""
    k = logp.shape[1]
    offsets = np.zeros(k)
    for _ in range(sweeps):
        for c in range(k):
            best_score, best_value = balanced_accuracy(y, (logp + offsets).argmax(1)), offsets[c]
            for value in np.linspace(-2.0, 2.0, 81):
                trial = offsets.copy()
                trial[c] = value
                score = balanced_accuracy(y, (logp + trial).argmax(1))
                if score > best_score + 1e-9:
                    best_score, best_value = score, value
            offsets[c] = best_value
    return offsets


def main(checkpoints: list[str], experiment: str) -> dict:
    cfg, dm = experiment_data(experiment)
    classes = list(cfg.detector.classes)
    splits = {}
    for split in ("val", "test"):
        segments, labels = simulated_split(dm, split)
        splits[split] = (segments, np.array([classes.index(label) for label in labels]))
    rows = []
    for ckpt in checkpoints:
        net, _ = load_detector(ckpt)
        logp = {s: np.log(predict_probs(net, splits[s][0], 64) + 1e-9) for s in splits}
        offsets = fit_offsets(logp["val"], splits["val"][1])
        row = {"ckpt_path": ckpt, "offsets": dict(zip(classes, np.round(offsets, 3).tolist()))}
        for s in splits:
            y = splits[s][1]
            row[f"{s}_bacc_argmax"] = balanced_accuracy(y, logp[s].argmax(1))
            row[f"{s}_bacc_offsets"] = balanced_accuracy(y, (logp[s] + offsets).argmax(1))
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})
        rows.append(row)
    result = {
        "command": command_line(__file__, checkpoints, experiment, OUT.stem),
        "rows": rows,
    }
    write_json(OUT, result)
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--experiment", default="audio_artifacts_clicks_e12_cpu30")
    a = ap.parse_args()
    main(a.checkpoints, a.experiment)
