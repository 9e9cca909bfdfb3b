"""Where a block-corruption detector errs on a real decoder-corruption set, from its eval report.

Reads ``metrics.json`` of ``eval.py detector=block_corruption real_set=DIR`` (its per-frame scores)
and the set's ``manifest.csv`` (corrupted area, clip), and reports the learned decision's corrupted
recall by corrupted area, its false-positive rate by clip, and what the threshold is worth: the
report's own, the best one on this set (an upper bound, chosen on the frames it scores) and, with
``--dev REPORT``, the best one on another real set (the development set), applied here. The learned
decision flags a frame when the frame head's probability is above 0.5.

    python experiments/block_corruption/real_errors.py experiments/block_corruption/results/clips_cpu_eval_real_set.json \
        --dev experiments/block_corruption/results/clips_cpu_eval_real_dev_set.json --out <name>.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from vqa_train.data.manifest import read_manifest

AREA_BINS = (0.0, 0.01, 0.02, 0.05, 0.1, 1.0)
LEARNED_THRESHOLD = 0.5  # eval.py's learned decision: frame head probability > 0.5


def _scores(report_path: Path) -> tuple[dict, list[dict]]:
    report = json.loads(report_path.read_text())
    frames = report.get("frames")
    if not report.get("real_set") or not frames:
        raise SystemExit(f"{report_path}: not a real-set eval report with per-frame scores")
    classes = sorted({f["label"] for f in frames})
    manifest, rows = read_manifest(report["real_set"], classes, required=("path", "label", "area_ratio"))
    by_path = {str(r.path): dict(r.extra) for r in rows}
    out = []
    for f in frames:
        extra = by_path.get(f["path"])
        if extra is None:
            raise SystemExit(f"{report_path}: frame {f['path']} is not in {manifest}")
        out.append({**f, "area_ratio": float(extra["area_ratio"] or 0.0), "clip": extra.get("clip", "")})
    return report, out


def balanced_accuracy(scores: np.ndarray, corrupted: np.ndarray, threshold: float) -> float:
    flagged = scores > threshold
    return float(0.5 * (flagged[corrupted].mean() + (~flagged[~corrupted]).mean()))


def best_threshold(scores: np.ndarray, corrupted: np.ndarray) -> tuple[float, float]:
    """The threshold with the highest balanced accuracy on these frames (ties: the lowest)."""
    candidates = np.unique(np.concatenate([[0.0], scores]))
    baccs = [balanced_accuracy(scores, corrupted, t) for t in candidates]
    i = int(np.argmax(baccs))
    return float(candidates[i]), float(baccs[i])


def analyse(report_path: Path, dev_path: Path | None = None) -> dict:
    report, frames = _scores(report_path)
    threshold = LEARNED_THRESHOLD
    scores = np.array([f["frame_prob"] for f in frames])
    corrupted = np.array([f["label"] == "corrupted" for f in frames])
    area = np.array([f["area_ratio"] for f in frames])
    clips = np.array([f["clip"] for f in frames])
    flagged = scores > threshold

    by_area = []
    for lo, hi in zip(AREA_BINS[:-1], AREA_BINS[1:]):
        sel = corrupted & (area >= lo) & (area < hi)
        recall = float(flagged[sel].mean()) if sel.any() else None
        by_area.append({"area_from": lo, "area_to": hi, "frames": int(sel.sum()), "recall": recall})
    by_clip = []
    for clip in sorted(set(clips[~corrupted])):
        sel = ~corrupted & (clips == clip)
        by_clip.append({"clip": str(clip), "clean_frames": int(sel.sum()), "fpr": float(flagged[sel].mean())})
    by_clip.sort(key=lambda c: (-c["fpr"] * c["clean_frames"], c["clip"]))
    best_t, best_bacc = best_threshold(scores, corrupted)
    out = {
        "report": str(report_path),
        "threshold": threshold,
        "balanced_accuracy": balanced_accuracy(scores, corrupted, threshold),
        "clean_false_alarms": int(flagged[~corrupted].sum()),
        "corrupted_missed": int((~flagged[corrupted]).sum()),
        "best_threshold_here": {"threshold": best_t, "balanced_accuracy": best_bacc},
        "recall_by_area": by_area,
        "false_alarms_by_clip": [c for c in by_clip if c["fpr"] > 0],
    }
    if dev_path is not None:
        _, dev = _scores(dev_path)
        dev_t, dev_bacc = best_threshold(
            np.array([f["frame_prob"] for f in dev]), np.array([f["label"] == "corrupted" for f in dev])
        )
        out["threshold_from_dev"] = {
            "dev_report": str(dev_path),
            "threshold": dev_t,
            "dev_balanced_accuracy": dev_bacc,
            "balanced_accuracy": balanced_accuracy(scores, corrupted, dev_t),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path, help="metrics.json of eval.py on a real set")
    ap.add_argument("--dev", type=Path, help="the same model's report on another real set")
    ap.add_argument("--out", type=Path, help="also write the breakdown here (JSON)")
    a = ap.parse_args()
    res = analyse(a.report, a.dev)
    print(
        f"threshold {res['threshold']:.3f}: balanced accuracy {res['balanced_accuracy']:.3f} "
        f"({res['clean_false_alarms']} false alarms, {res['corrupted_missed']} missed)"
    )
    best = res["best_threshold_here"]
    print(
        f"best threshold on these frames (upper bound) {best['threshold']:.3f}: {best['balanced_accuracy']:.3f}"
    )
    if "threshold_from_dev" in res:
        d = res["threshold_from_dev"]
        print(f"threshold chosen on the dev set {d['threshold']:.3f}: {d['balanced_accuracy']:.3f}")
    for b in res["recall_by_area"]:
        recall = "-" if b["recall"] is None else f"{b['recall']:.3f}"
        print(
            f"corrupted area {b['area_from']:.0%}-{b['area_to']:.0%}: {b['frames']:4d} frames, recall {recall}"
        )
    for c in res["false_alarms_by_clip"][:8]:
        print(f"clip {c['clip']}: {c['fpr']:.0%} of {c['clean_frames']} clean frames flagged")
    if a.out:
        tmp = a.out.with_suffix(a.out.suffix + ".tmp")
        tmp.write_text(json.dumps(res, indent=2) + "\n")
        tmp.replace(a.out)


if __name__ == "__main__":
    main()
