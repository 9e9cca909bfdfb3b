"""Are a recipe's test errors shared by its checkpoints and seeds? Ensembles as the measure.

    python experiments/audio_artifacts/shared_errors.py CKPT CKPT [CKPT ...] --experiment audio_artifacts_bands4_cpu30

Scores the experiment's simulated test split with every checkpoint, then with the mean class
probabilities of every pair and of all of them, and counts the segments every checkpoint gets
wrong. Errors that independent runs make at random shrink in an ensemble; errors they all make
belong to the data or to the model family. Prints the table and writes ``results/<--out>.json``
(default ``shared_errors``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import numpy as np
from errors_by_source import checkpoint_parser, command_line, experiment_data

from vqa_train.checkpoint import load_detector
from vqa_train.evaluation.audio_segments import predict_probs, simulated_split
from vqa_train.metrics import balanced_accuracy
from vqa_train.utils.atomic import write_json

RESULTS = Path(__file__).parent / "results"


def main(checkpoints: list[str], experiment: str, out_name: str) -> dict:
    if len(checkpoints) < 2:
        raise SystemExit("shared_errors.py: give at least two checkpoints")
    cfg, dm = experiment_data(experiment)
    classes = list(cfg.detector.classes)
    segments, labels = simulated_split(dm, "test")
    y = np.array([classes.index(label) for label in labels])
    probs = [predict_probs(load_detector(ckpt)[0], segments, 64) for ckpt in checkpoints]
    singles = [
        {
            "ckpt_path": c,
            "balanced_accuracy": balanced_accuracy(y, p.argmax(1)),
            "errors": int((p.argmax(1) != y).sum()),
        }
        for c, p in zip(checkpoints, probs)
    ]
    groups = [tuple(g) for g in itertools.combinations(range(len(probs)), 2)]
    if len(probs) > 2:
        groups.append(tuple(range(len(probs))))
    ensembles = []
    for group in groups:
        pred = np.mean([probs[i] for i in group], axis=0).argmax(1)
        ensembles.append(
            {
                "members": list(group),
                "balanced_accuracy": balanced_accuracy(y, pred),
                "errors": int((pred != y).sum()),
            }
        )
    wrong = np.array([p.argmax(1) != y for p in probs])
    shared = np.flatnonzero(wrong.all(axis=0))
    pairs = Counter(f"{classes[y[i]]}->{classes[probs[0][i].argmax()]}" for i in shared)
    for row in singles:
        print(f"{row['ckpt_path']}: balanced_accuracy={row['balanced_accuracy']:.4f} errors={row['errors']}")
    for row in ensembles:
        print(
            f"mean of {row['members']}: balanced_accuracy={row['balanced_accuracy']:.4f} errors={row['errors']}"
        )
    print(f"wrong for every checkpoint: {len(shared)} ({dict(pairs.most_common())}, as the first predicts)")
    result = {
        "command": command_line(__file__, checkpoints, experiment, out_name),
        "checkpoints": singles,
        "ensembles": ensembles,
        "wrong_for_all": {"count": int(len(shared)), "indices": shared.tolist(), "by_pair": dict(pairs)},
    }
    write_json(RESULTS / f"{out_name}.json", result)
    return result


if __name__ == "__main__":
    a = checkpoint_parser(__doc__, "shared_errors").parse_args()
    main(a.checkpoints, a.experiment, a.out)
