"""Sweep the motion rule's level (``detector.min_motion_levels``) for a temporal preset.

    python experiments/temporal/motion_sweep.py --ckpt CKPT [--real-set DIR] --out results/stutter_motion_sweep

For each level of the grid, on the preset's simulated val clips (the ``operating_point_clips`` that
choose the operating point, other rules as the preset sets them):

- ``val_defect_frames_zeroed``: the share of defect frames inside clips the rule zeroes (what it can
  cost in recall, whatever the threshold);
- the operating point chosen again with the rule on, and val recall, balanced accuracy and
  hard-negative false-positive rate at it.

The level the preset should take is the one with the highest val balanced accuracy at its own
operating point (ties: the lower level). With ``--real-set`` the real-mechanism set is scored too, in windows as
``detect.py`` does, at each level's own operating point: shown for the record, not used for the choice.
Writes ``OUT.json`` and ``OUT.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from hydra import compose, initialize_config_dir

import vqa_train  # noqa: F401  (environment defaults)
from vqa_train.checkpoint import load_detector
from vqa_train.deploy.runners import DecisionRules, score_in_windows
from vqa_train.evaluation.common import per_mechanism
from vqa_train.evaluation.temporal_clips import (
    _model_probs,
    _score,
    choose_threshold,
    operating_point_clips,
    real_clips,
    simulated_clips,
)
from vqa_train.metrics import balanced_accuracy
from vqa_train.progress import track
from vqa_train.utils.atomic import write_json
from vqa_train.utils.config import CONF_DIR

GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def _val_at(rows: list[dict[str, Any]], level: float, clean: str, max_fpr: float) -> dict[str, Any]:
    """The rule at ``level`` on scored val rows (``raw``: probabilities without it; ``motion``)."""
    for r in rows:
        r["prob"] = r["raw"] * (r["motion"] >= level)
    labels = np.concatenate([r["frame_labels"] for r in rows]).astype(bool)
    zeroed = np.concatenate([np.full(len(r["raw"]), r["motion"] < level) for r in rows])
    op = choose_threshold(rows, clean, max_fpr)
    flags = np.concatenate([r["prob"] for r in rows]) > op["threshold"]
    return {
        "val_defect_frames_zeroed": float(zeroed[labels].mean()),
        "val_clips_zeroed": int(sum(r["motion"] < level for r in rows)),
        "threshold": op["threshold"],
        "val_recall": float(flags[labels].mean()),
        "val_bacc": balanced_accuracy(labels.astype(int), flags.astype(int)),
        "val_hard_negative_fpr": op["val_hard_negative_fpr"],
    }


class _Memo:
    """``predict`` that computes each distinct window once (the sweep scores the same windows per level)."""

    def __init__(self, net: Any) -> None:
        self.net, self.cache = net, {}

    def __call__(self, window: np.ndarray) -> np.ndarray:
        key = hashlib.sha1(np.ascontiguousarray(window).tobytes()).hexdigest()
        if key not in self.cache:
            self.cache[key] = _model_probs(self.net, [window])[0]
        return self.cache[key]


def _real_at(
    clips: list[dict[str, Any]],
    predict: _Memo,
    rules: DecisionRules,
    window: int,
    threshold: float,
    clean: str,
) -> dict[str, Any]:
    flags = [score_in_windows(c["clip"], window, rules.scorer(predict)) > threshold for c in clips]
    truth = np.concatenate([c["frame_labels"] for c in clips]).astype(bool)
    pred = np.concatenate(flags)
    mechanisms = per_mechanism(clips, clean, 0, flags, None)
    return {
        "real_bacc": balanced_accuracy(truth.astype(int), pred.astype(int)),
        "real_recall": float(pred[truth].mean()),
        # clean mechanisms: share of frames flagged; defect mechanisms: share of defect frames found
        "real_per_mechanism": {
            k: round(v.get("fpr_frames_model", v.get("recall_frames_model")), 4)
            for k, v in mechanisms.items()
        },
    }


def _plot(results: list[dict[str, Any]], chosen: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = [r["level"] for r in results]
    fig, axes = plt.subplots(1, 2 if "real_bacc" in results[0] else 1, figsize=(11, 4), squeeze=False)
    ax = axes[0][0]
    ax.plot(
        levels, [100 * r["val_defect_frames_zeroed"] for r in results], "o-", label="defect frames zeroed"
    )
    ax.plot(levels, [100 * r["val_hard_negative_fpr"] for r in results], "s-", label="hard-negative FPR")
    ax.plot(levels, [100 * (1 - r["val_recall"]) for r in results], "^-", label="defect frames missed")
    ax.set(xlabel="min_motion_levels", ylabel="% of frames", title="simulated val (chooses the level)")
    ax.axvline(chosen, color="grey", ls="--")
    ax.legend()
    if axes.shape[1] > 1:
        ax = axes[0][1]
        mechanisms = results[0]["real_per_mechanism"]
        for m in mechanisms:
            ax.plot(levels, [100 * r["real_per_mechanism"][m] for r in results], "o-", label=m)
        ax.set(
            xlabel="min_motion_levels", ylabel="% (clean: flagged; defect: found)", title="real set (record)"
        )
        ax.axvline(chosen, color="grey", ls="--")
        ax.axhline(2, color="red", lw=0.8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(ckpt: str, out: Path, preset: str, real_set: str | None) -> dict[str, Any]:
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"detector={preset}"])
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    net, info = load_detector(ckpt)
    net.eval()
    det = info["detector"]
    clean = str(det["classes"][0])
    base = DecisionRules.from_detector(cfg.detector)
    max_fpr = float(cfg.detector.max_hard_negative_fpr)
    n = operating_point_clips(cfg, dm)
    val = simulated_clips(dm, "val", n)
    rows, _ = _score(
        net, None, val, n, dm.fps, 32, "val clips", DecisionRules(cadence_veto=base.cadence_veto)
    )
    for r in rows:
        r["raw"] = r["prob"]
    real = None
    if real_set:
        _, items = real_clips(
            real_set, list(det["classes"]), float(det["fps"]), int(det["height"]), int(det["width"])
        )
        real = list(items)
    predict = _Memo(net)
    results = []
    for level in track(GRID, "levels", total=len(GRID)):
        r: dict[str, Any] = {"level": level, **_val_at(rows, level, clean, max_fpr)}
        if real is not None:
            rules = dataclasses.replace(base, min_motion_levels=level or None)
            r.update(_real_at(real, predict, rules, int(det["num_frames"]), r["threshold"], clean))
        results.append(r)
        print({k: v for k, v in r.items() if k != "real_per_mechanism"})
    chosen = max(results, key=lambda r: (round(r["val_bacc"], 6), -r["level"]))["level"]
    report = {
        "preset": preset,
        "ckpt_path": ckpt,
        "val_clips": len(rows),
        "criterion": "highest val balanced accuracy at the level's own operating point (ties: lower level)",
        "chosen_level": chosen,
        "real_set": real_set,
        "levels": results,
    }
    write_json(out.with_suffix(".json"), report)
    _plot(results, chosen, out.with_suffix(".png"))
    print(f"chosen min_motion_levels: {chosen} ({report['criterion']}); wrote {out.with_suffix('.json')}")
    return report


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", type=Path, required=True, help="path stem: OUT.json and OUT.png are written")
    ap.add_argument("--preset", default="stutter")
    ap.add_argument("--real-set", default=None)
    a = ap.parse_args()
    main(a.ckpt, a.out, a.preset, a.real_set)
