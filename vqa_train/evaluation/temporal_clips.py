"""Evaluate a temporal-defect segmenter (black frames, freeze, stutter, tearing) on simulated clips.

One report holds, on the same test clips of the simulated split:

- ``model``: frame-level classification report (a frame flagged when its probability > 0.5), with
  ``clip_level`` (a clip flagged when any frame is) and ``events`` (runs of flagged frames against
  the true spans, :func:`vqa_train.metrics.event_scores` with ``event_tolerance_frames``);
- ``dsp_baseline``: the FFmpeg-derived score that matches the defect, thresholded on the simulated
  val split (:class:`vqa_train.baselines.temporal_dsp.TemporalDSPBaseline`), the same three levels,
  plus ``ffmpeg_flags``, the filter's own decision at its default settings where it has one;
- ``hard_negatives``: false-positive rates of both on clean clips carrying each temporal negative;
- ``roc_auc`` of both per frame.

PNGs: the frame-level confusion matrices and a timeline of a few clips (probability vs truth).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hydra
import matplotlib.pyplot as plt
import numpy as np
import torch
from omegaconf import DictConfig

from vqa_train.baselines import temporal_dsp
from vqa_train.checkpoint import load_detector
from vqa_train.evaluation.common import hard_negative_groups, sample_tags
from vqa_train.metrics import classification_report, event_scores, spans_from_flags, sum_event_scores
from vqa_train.plots import save_confusion
from vqa_train.progress import track
from vqa_train.utils.atomic import save_figure, write_json

log = logging.getLogger(__name__)

TIMELINE_CLIPS = 8
Scorer = Callable[[np.ndarray, float], tuple[np.ndarray, np.ndarray | None]]


def _blackdetect(clip: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray | None]:
    out = temporal_dsp.blackdetect_frames(clip, fps)
    return out["scores"], out["flags"]


def _freezedetect(clip: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray | None]:
    out = temporal_dsp.freezedetect_frames(clip, fps)
    return out["frame_diff"], out["flags"]


def _irregularity(clip: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray | None]:
    """``|log((d_t + 0.5) / (median d + 0.5))|``: repeats (d = 0) and jumps both stand out from the clip's pace."""
    diff = temporal_dsp.frame_differences(clip)
    pace = np.nanmedian(diff) if np.isfinite(diff).any() else 0.0
    return np.abs(np.log((diff + 0.5) / (pace + 0.5))), None


def _scdet(clip: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray | None]:
    out = temporal_dsp.scdet_frames(clip, fps)
    return out["scores"], out["flags"]


# defect label -> (report name, TemporalDSPBaseline score kind (its direction), per-frame scorer)
BASELINES: dict[str, tuple[str, str, Scorer]] = {
    "black": ("ffmpeg blackdetect (share of black luma pixels)", "black", _blackdetect),
    "freeze": ("ffmpeg freezedetect frame difference (low = held)", "freeze", _freezedetect),
    "stutter": ("frame-difference irregularity |log(d_t / median d)|", "frame_jump", _irregularity),
    "tearing": ("ffmpeg scdet score", "scene_change", _scdet),
}


def simulated_clips(dm: Any, split: str, size: int) -> Iterator[dict[str, Any]]:
    for i in range(size):
        clip, frame_labels, target = dm.synth.sample(split, i)
        yield {
            "clip": clip,
            "frame_labels": frame_labels,
            "label": target.label,
            "origin": {"split": split, "index": i},
            **sample_tags(target),
        }


@torch.inference_mode()
def _model_probs(net: torch.nn.Module, clips: list[np.ndarray]) -> np.ndarray:
    batch = np.stack(clips).transpose(0, 1, 4, 2, 3)  # (B, T, 3, H, W)
    return torch.sigmoid(net(torch.from_numpy(np.ascontiguousarray(batch)).float() / 255.0)).numpy()


def _score(
    net: torch.nn.Module | None,
    scorer: Scorer | None,
    items: Iterator[dict[str, Any]],
    total: int,
    fps: float,
    batch_size: int,
    desc: str,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Per clip: truth, model probabilities (when ``net``), baseline scores/flags (when ``scorer``)."""
    rows: list[dict[str, Any]] = []
    seconds = {"model_eager": 0.0, "dsp_baseline": 0.0}
    pending: list[tuple[dict[str, Any], np.ndarray]] = []

    def flush() -> None:
        if net is not None and pending:
            t0 = time.perf_counter()
            probs = _model_probs(net, [clip for _, clip in pending])
            seconds["model_eager"] += time.perf_counter() - t0
            for (row, _), p in zip(pending, probs):
                row["prob"] = p
        pending.clear()

    for item in track(items, desc, total=total):
        row = {k: item[k] for k in ("frame_labels", "label", "origin", "negatives", "content")}
        if scorer is not None:
            t0 = time.perf_counter()
            row["dsp_score"], row["dsp_flags"] = scorer(item["clip"], fps)
            seconds["dsp_baseline"] += time.perf_counter() - t0
        rows.append(row)
        pending.append((row, item["clip"]))
        if len(pending) == batch_size:
            flush()
    flush()
    return rows, {k: v / max(len(rows), 1) for k, v in seconds.items()}


def _levels(
    rows: list[dict[str, Any]], flags: list[np.ndarray], classes: list[str], tolerance: int
) -> dict[str, Any]:
    """Frame-level report, with ``clip_level`` and ``events`` reports, of per-clip frame flags."""
    clean, positive = classes
    truth = np.concatenate([r["frame_labels"] for r in rows]).astype(bool)
    pred = np.concatenate(flags).astype(bool)

    def named(values: np.ndarray) -> list[str]:
        return np.where(values, positive, clean).tolist()

    clip_pred = np.array([f.any() for f in flags])
    return {
        **classification_report(named(truth), named(pred), classes),
        "clip_level": classification_report([r["label"] for r in rows], named(clip_pred), classes),
        "events": sum_event_scores(
            [
                event_scores(spans_from_flags(f), spans_from_flags(r["frame_labels"]), tolerance)
                for r, f in zip(rows, flags)
            ]
        ),
    }


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    if cfg.get("real_set"):
        raise ValueError("real_set is not supported yet for temporal detectors")
    out_dir = Path(cfg.paths.output_dir)
    net, info = load_detector(cfg.ckpt_path)
    det = info["detector"]
    classes = list(det["classes"])
    if list(cfg.detector.classes) != classes:
        raise ValueError(
            f"checkpoint classes {classes} differ from detector.classes {list(cfg.detector.classes)}"
        )
    clean, positive = classes
    tolerance = int(det.get("event_tolerance_frames", 2))
    batch_size = int(cfg.batch_size)
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    fps = dm.fps

    baseline, baseline_name, scorer, skipped = None, "", None, None
    if cfg.get("baseline", True) and positive in BASELINES:
        baseline_name, kind, scorer = BASELINES[positive]
        val_n = int(cfg.get("val_size") or dm.sizes["val"])
        val_rows, _ = _score(None, scorer, simulated_clips(dm, "val", val_n), val_n, fps, batch_size, "val")
        try:
            baseline = temporal_dsp.TemporalDSPBaseline(kind).fit(
                [r["dsp_score"] for r in val_rows], [r["frame_labels"] for r in val_rows]
            )
        except ValueError as exc:  # e.g. a val split too small to hold both classes
            skipped, scorer = f"baseline not fitted on val: {exc}", None

    total = dm.sizes["test"]
    rows, seconds = _score(
        net, scorer, simulated_clips(dm, "test", total), total, fps, batch_size, "scoring clips"
    )
    model_flags = [r["prob"] > 0.5 for r in rows]
    report: dict[str, Any] = {
        "detector": det["name"],
        "ckpt_path": str(cfg.ckpt_path),
        "simulated_split": "test",
        "seed": int(cfg.data.seed),
        "num_clips": len(rows),
        "fps": fps,
        "event_tolerance_frames": tolerance,
        "model": _levels(rows, model_flags, classes, tolerance),
    }
    scores: dict[str, np.ndarray] = {"model": np.concatenate([r["prob"] for r in rows])}
    dsp_flags: list[np.ndarray] | None = None
    if baseline is not None:
        dsp_flags = [baseline.predict(r["dsp_score"]) for r in rows]
        report["dsp_baseline"] = {
            "name": baseline_name,
            **_levels(rows, dsp_flags, classes, tolerance),
            **baseline.to_dict(),
        }
        if rows[0]["dsp_flags"] is not None:
            own = [np.asarray(r["dsp_flags"], dtype=bool) for r in rows]
            report["dsp_baseline"]["ffmpeg_flags"] = _levels(rows, own, classes, tolerance)
        sign = 1.0 if baseline.higher_is_defect else -1.0
        s = sign * np.concatenate([r["dsp_score"] for r in rows])
        scores["dsp_baseline"] = np.where(np.isfinite(s), s, np.nanmin(s) - 1 if np.isfinite(s).any() else 0)
    elif skipped:
        report["dsp_baseline_skipped"] = skipped
    report["roc_auc"] = _aucs(np.concatenate([r["frame_labels"] for r in rows]), scores)
    report["hard_negatives"] = _hard_negative_fpr(rows, clean, model_flags, dsp_flags)
    report["seconds_per_clip"] = seconds
    report["errors"] = [
        {**r["origin"], "label": r["label"], "max_prob": round(float(r["prob"].max()), 5)}
        for r, f in zip(rows, model_flags)
        if bool(f.any()) != (r["label"] == positive)
    ][:200]

    for name, rep, file in (
        ("model", report["model"], "confusion_matrix.png"),
        ("model, clip level", report["model"]["clip_level"], "confusion_matrix_clip.png"),
        ("baseline", report.get("dsp_baseline"), "confusion_matrix_baseline.png"),
    ):
        if rep is not None:
            save_confusion(
                np.array(rep["confusion_matrix"]),
                classes,
                out_dir / file,
                title=f"{name}: balanced accuracy {rep['balanced_accuracy']:.4f}",
            )
    _timeline(rows, model_flags, dsp_flags, positive, out_dir / "timeline.png")
    write_json(out_dir / "metrics.json", report)
    log.info("wrote %s", out_dir / "metrics.json")
    return report


def _aucs(labels: np.ndarray, scores: dict[str, np.ndarray]) -> dict[str, float] | None:
    """Frame-level ROC AUC of each score; None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels).astype(int)
    if y.min() == y.max():
        return None
    return {k: float(roc_auc_score(y, v)) for k, v in scores.items()}


def _hard_negative_fpr(
    rows: list[dict], clean: str, model: list[np.ndarray], dsp: list[np.ndarray] | None
) -> dict[str, Any]:
    """On clean clips carrying each temporal negative (and each content kind): flagged frames and clips."""
    groups = hard_negative_groups(rows, clean, plain_group=True)
    out = {}
    for k, idx in groups.items():
        entry = {
            "clips": len(idx),
            "fpr_frames_model": float(np.mean(np.concatenate([model[i] for i in idx]))),
            "fpr_clips_model": float(np.mean([model[i].any() for i in idx])),
        }
        if dsp is not None:
            entry["fpr_frames_dsp_baseline"] = float(np.mean(np.concatenate([dsp[i] for i in idx])))
            entry["fpr_clips_dsp_baseline"] = float(np.mean([dsp[i].any() for i in idx]))
        out[k] = entry
    return out


def _timeline(
    rows: list[dict],
    model: list[np.ndarray],
    dsp: list[np.ndarray] | None,
    positive: str,
    path: Path,
) -> None:
    """Per-frame probability against the truth for a few clips: errors first, then each class."""
    wrong = [i for i, f in enumerate(model) if bool(f.any()) != (rows[i]["label"] == positive)]
    pos = [i for i, r in enumerate(rows) if r["label"] == positive and i not in wrong]
    neg = [i for i, r in enumerate(rows) if r["label"] != positive and i not in wrong]
    third = TIMELINE_CLIPS // 3
    chosen = sorted(wrong[:third] + pos[: TIMELINE_CLIPS - third - min(len(wrong), third)] + neg[:third])
    if not chosen:
        return
    fig, axes = plt.subplots(len(chosen), 1, figsize=(8, 1.4 * len(chosen)), squeeze=False, sharex=False)
    for ax, i in zip(axes[:, 0], chosen):
        r = rows[i]
        t = np.arange(len(r["prob"]))
        ax.fill_between(t, 0, r["frame_labels"], step="mid", color="tab:orange", alpha=0.35, label="truth")
        ax.plot(t, r["prob"], color="tab:blue", marker=".", lw=1, label="model p")
        if dsp is not None:
            hit = np.flatnonzero(dsp[i])
            ax.plot(
                hit, np.full(len(hit), 1.0), ls="none", marker="x", color="tab:red", ms=4, label="baseline"
            )
        ax.axhline(0.5, color="grey", lw=0.5, ls=":")
        ax.set_ylim(-0.05, 1.1)
        origin = r["origin"]
        negs = ",".join(r["negatives"]) or "-"
        ax.set_title(
            f"{origin['split']}#{origin['index']} truth {r['label']} (negatives: {negs})",
            fontsize=8,
            color="red" if i in wrong else "black",
        )
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="upper right", ncol=3)
    axes[-1, 0].set_xlabel("frame")
    fig.tight_layout()
    save_figure(fig, path, dpi=80)
    plt.close(fig)
