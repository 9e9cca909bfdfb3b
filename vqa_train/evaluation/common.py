"""Pieces evaluators share: how a synthetic sample is tagged, how clean samples are grouped by the
hard negatives and content they carry (for per-kind false-positive rates), and the frame-level
report, ROC AUCs and timeline plot of per-frame segmenters (temporal video and audio dropouts), and
the device a network is scored on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synth.core import Target
from vqa_train.metrics import classification_report, event_scores, spans_from_flags, sum_event_scores
from vqa_train.utils.atomic import save_figure


def eval_device(name: str | None) -> torch.device:
    """``device`` of eval.py: ``cpu`` (default), ``cuda`` or ``auto`` (a GPU when there is one).

    On a GPU, TF32 is switched off so scores match a CPU run to float rounding.
    """
    name = str(name or "cpu")
    if name not in ("cpu", "cuda", "auto"):
        raise ValueError(f"device: expected cpu, cuda or auto, got {name!r}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device=cuda: no CUDA device is available here")
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    return torch.device(name)


def sample_tags(target: Target) -> dict[str, Any]:
    """The hard negatives applied to a synthetic sample and the kind of its pristine content."""
    return {
        "negatives": list(target.stats.get("negatives", [])),
        "content": str(target.stats.get("source", {}).get("content", "")),
    }


def hard_negative_groups(
    rows: list[dict[str, Any]], clean: str, plain_group: bool = False
) -> dict[str, list[int]]:
    """Indices of the clean rows per ``negative:<name>``, ``content:<kind>`` and ``any_hard_negative``
    (plus ``no_hard_negative`` with ``plain_group``), in key order."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r["label"] != clean:
            continue
        keys = [f"negative:{n}" for n in r["negatives"]] + (
            [f"content:{r['content']}"] if r["content"] else []
        )
        if r["negatives"]:
            keys.append("any_hard_negative")
        elif plain_group:
            keys.append("no_hard_negative")
        for k in keys:
            groups.setdefault(k, []).append(i)
    return dict(sorted(groups.items()))


# --------------------------------------------------------------- per-frame segmenters (video and audio)


def frame_levels(
    rows: list[dict[str, Any]], flags: list[np.ndarray], classes: list[str], tolerance: int
) -> dict[str, Any]:
    """Frame-level report of per-sample frame flags, with ``clip_level`` (a sample is flagged when any
    frame is) and ``events`` (runs of flags against true spans, ``tolerance`` frames of slack)."""
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


def frame_aucs(labels: np.ndarray, scores: dict[str, np.ndarray]) -> dict[str, float] | None:
    """Frame-level ROC AUC of each score; None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels).astype(int)
    if y.min() == y.max():
        return None
    return {k: float(roc_auc_score(y, v)) for k, v in scores.items()}


def clip_misses(rows: list[dict[str, Any]], flags: list[np.ndarray], positive: str) -> list[int]:
    """Indices of the samples whose clip-level verdict (any frame flagged) disagrees with the label."""
    return [i for i, f in enumerate(flags) if bool(f.any()) != (rows[i]["label"] == positive)]


def clip_errors(
    rows: list[dict[str, Any]], flags: list[np.ndarray], positive: str, fields: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The first 200 clip-level misses for a report: origin, label, ``fields`` and peak probability."""
    return [
        {
            **rows[i]["origin"],
            "label": rows[i]["label"],
            **{k: rows[i][k] for k in fields},
            "max_prob": round(float(rows[i]["prob"].max()), 5),
        }
        for i in clip_misses(rows, flags, positive)[:200]
    ]


def frame_timeline(
    rows: list[dict[str, Any]],
    model: list[np.ndarray],
    dsp: list[np.ndarray] | None,
    positive: str,
    path: Path,
    title: Callable[[dict[str, Any]], str],
    frame_s: float | None = None,
    count: int = 8,
) -> None:
    """Per-frame probability against the truth for ``count`` samples: errors first, then each class.

    The x axis is in frames, or in seconds with ``frame_s``; ``title`` names a sample's panel.
    """
    import matplotlib.pyplot as plt

    wrong = clip_misses(rows, model, positive)
    pos = [i for i, r in enumerate(rows) if r["label"] == positive and i not in wrong]
    neg = [i for i, r in enumerate(rows) if r["label"] != positive and i not in wrong]
    third = count // 3
    chosen = sorted(wrong[:third] + pos[: count - third - min(len(wrong), third)] + neg[:third])
    if not chosen:
        return
    scale = 1.0 if frame_s is None else frame_s
    fig, axes = plt.subplots(len(chosen), 1, figsize=(9, 1.4 * len(chosen)), squeeze=False)
    for ax, i in zip(axes[:, 0], chosen):
        r = rows[i]
        t = np.arange(len(r["prob"])) * scale
        ax.fill_between(t, 0, r["frame_labels"], step="mid", color="tab:orange", alpha=0.35, label="truth")
        ax.plot(t, r["prob"], color="tab:blue", lw=1, label="model p")
        if dsp is not None:
            hit = np.flatnonzero(dsp[i]) * scale
            ax.plot(
                hit, np.full(len(hit), 1.05), ls="none", marker="|", color="tab:red", ms=4, label="baseline"
            )
        ax.axhline(0.5, color="grey", lw=0.5, ls=":")
        ax.set_ylim(-0.05, 1.12)
        ax.set_title(title(r), fontsize=8, color="red" if i in wrong else "black")
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="upper right", ncol=3)
    axes[-1, 0].set_xlabel("frame" if frame_s is None else "time (s)")
    fig.tight_layout()
    save_figure(fig, path, dpi=80)
    plt.close(fig)


def per_mechanism(
    rows: list[dict], clean: str, tolerance: int, model: list[np.ndarray], dsp: list[np.ndarray] | None
) -> dict[str, Any]:
    """Per ``mechanism`` of a real-mechanism set: flagged frames and clips of its clean samples; frame,
    clip and event recall of its defective ones, for the model and (if given) the DSP baseline."""
    out: dict[str, Any] = {}
    for mechanism in sorted({r["mechanism"] for r in rows}):
        negative = [i for i, r in enumerate(rows) if r["mechanism"] == mechanism and r["label"] == clean]
        positive = [i for i, r in enumerate(rows) if r["mechanism"] == mechanism and r["label"] != clean]
        entry: dict[str, Any] = {"clean_clips": len(negative), "defect_clips": len(positive)}
        for name, flags in (("model", model), ("dsp_baseline", dsp)):
            if flags is None:
                continue
            if negative:
                entry[f"fpr_frames_{name}"] = float(np.mean(np.concatenate([flags[i] for i in negative])))
                entry[f"fpr_clips_{name}"] = float(np.mean([flags[i].any() for i in negative]))
            if positive:
                truth = np.concatenate([rows[i]["frame_labels"] for i in positive]).astype(bool)
                pred = np.concatenate([flags[i] for i in positive]).astype(bool)
                entry[f"recall_frames_{name}"] = float(pred[truth].mean()) if truth.any() else None
                entry[f"recall_clips_{name}"] = float(np.mean([flags[i].any() for i in positive]))
                events = sum_event_scores(
                    [
                        event_scores(
                            spans_from_flags(flags[i]), spans_from_flags(rows[i]["frame_labels"]), tolerance
                        )
                        for i in positive
                    ]
                )
                entry[f"event_recall_{name}"] = events["recall"]
        out[mechanism] = entry
    return out
