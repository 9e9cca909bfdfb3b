"""Balanced accuracy of an eval report broken down by the kind of pristine content under each segment.

    python experiments/audio_artifacts/bacc_by_kind.py experiments/audio_artifacts/results/clicks_eval_simulated_test.json \\
        --experiment audio_artifacts_clicks_e12_cpu30

Re-draws the source segment of every test sample of the experiment that produced the report
(samples are a pure function of seed, split and index, and the source is drawn first), then
scores the report's predictions per content kind (music, speech, ambience, mixture, quiet), for
loud masters, and for segments with and without the layers built as look-alikes of a defect
(cymbals, drums, drones, bass, wind, rain, traffic). Every class appears about equally often in
each group, so each group's balanced accuracy is comparable with the whole split's. Prints a table
and writes it as JSON beside the report (``<report>.bacc_by_kind.json``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from errors_by_source import run, save_beside, test_synth

from synth.core import sample_rng
from vqa_train.metrics import balanced_accuracy

LOOK_ALIKES = ("cymbals", "drums", "drone", "bass", "wind", "rain", "traffic")


def groups_of(info: dict) -> list[str]:
    layers = set(info.get("layers") or [])
    out = [f"kind:{info.get('kind')}"]
    if info.get("loud"):
        out.append("loud master")
    out.append("with look-alike layers" if layers & set(LOOK_ALIKES) else "without look-alike layers")
    return out


def main(report_path: str, experiment: str) -> dict:
    report = json.loads(Path(report_path).read_text())
    predicted = {e["index"]: e["predicted"] for e in report["errors"]}
    synth, test_size = test_synth(experiment)
    classes = list(synth.classes)
    labels: dict[str, list[int]] = defaultdict(list)
    preds: dict[str, list[int]] = defaultdict(list)
    for index in range(test_size):
        rng = sample_rng(synth.seed, "test", index)
        _, info = synth.source.segment(rng, "test", synth.num_samples, synth.sample_rate)
        label = synth.label_of(index)
        for group in ["all", *groups_of(info)]:
            labels[group].append(classes.index(label))
            preds[group].append(classes.index(predicted.get(index, label)))
    rows = []
    print(f"{'content':28} {'segments':>8} {'errors':>7} {'balanced accuracy':>18}")
    for group in sorted(labels, key=lambda g: (g != "all", g)):
        y, p = labels[group], preds[group]
        errors = sum(a != b for a, b in zip(y, p))
        bacc = balanced_accuracy(y, p)
        rows.append(
            {"content": group, "segments": len(y), "errors": errors, "balanced_accuracy": round(bacc, 4)}
        )
        print(f"{group:28} {len(y):8d} {errors:7d} {bacc:18.4f}")
    return save_beside(
        report_path,
        "bacc_by_kind",
        experiment,
        {
            "look_alike_layers": list(LOOK_ALIKES),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    run(main, __doc__)
