"""Classification reports shared by every detector's evaluation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import balanced_accuracy_score, confusion_matrix, precision_recall_fscore_support


def classification_report(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str]
) -> dict[str, Any]:
    """Balanced accuracy, per-class recall/precision/support and the confusion matrix (rows: truth).

    Balanced accuracy averages recall over the classes present in ``y_true``.
    """
    classes = list(classes)
    y_true, y_pred = list(y_true), list(y_pred)
    if not y_true:
        raise ValueError("classification_report: no samples")
    prec, rec, _, support = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=classes)
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "accuracy": float(np.mean(np.asarray(y_true) == np.asarray(y_pred))),
        "num_samples": len(y_true),
        "per_class": {
            c: {"recall": float(rec[i]), "precision": float(prec[i]), "support": int(support[i])}
            for i, c in enumerate(classes)
        },
        "classes": classes,
        "confusion_matrix": cm.tolist(),
    }


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y_true`` (integer labels)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    recalls = [float(np.mean(y_pred[y_true == c] == c)) for c in np.unique(y_true)]
    return float(np.mean(recalls)) if recalls else float("nan")


def best_threshold(
    scores: np.ndarray,
    y_true: np.ndarray,
    max_fpr: float | None = None,
    fpr_mask: np.ndarray | None = None,
) -> tuple[float, float]:
    """The threshold ``t`` maximising the balanced accuracy of ``scores > t`` for binary labels.

    Candidates are midpoints between consecutive distinct scores (and just below the smallest);
    ties go to the lowest threshold. With ``max_fpr`` only thresholds whose false-positive rate on
    the negatives selected by ``fpr_mask`` (default: every negative) is at most ``max_fpr`` are
    candidates: an operating point that caps false alarms on hard negatives. ``fpr_mask`` may also be
    a ``(K, N)`` stack of masks: the cap then holds for each (one mask per kind of hard negative). The
    highest candidate flags nothing, so one always qualifies. Returns ``(threshold, balanced_accuracy)``.
    """
    scores, y = np.asarray(scores, dtype=np.float64), np.asarray(y_true).astype(int)
    if scores.size == 0:
        raise ValueError("best_threshold: no scores")
    values = np.unique(scores)
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1]]])
    pos, neg = max(int((y == 1).sum()), 1), max(int((y == 0).sum()), 1)
    order = np.argsort(scores)
    s_sorted, y_sorted = scores[order], y[order]
    # For each candidate t: positives above t and negatives at or below t, via cumulative counts.
    idx = np.searchsorted(s_sorted, candidates, side="right")
    pos_below = np.concatenate([[0], np.cumsum(y_sorted == 1)])[idx]
    neg_below = np.concatenate([[0], np.cumsum(y_sorted == 0)])[idx]
    tpr = ((y == 1).sum() - pos_below) / pos
    tnr = neg_below / neg
    bacc = np.where((y == 1).any() & (y == 0).any(), (tpr + tnr) / 2, np.where((y == 1).any(), tpr, tnr))
    if max_fpr is not None:
        masks = np.ones((1, y.size), dtype=bool) if fpr_mask is None else np.asarray(fpr_mask, dtype=bool)
        masks = masks.reshape(-1, masks.shape[-1]) if masks.ndim > 1 else masks.reshape(1, -1)
        if masks.shape[1] != y.size:
            raise ValueError(f"best_threshold: fpr_mask has {masks.shape[1]} values for {y.size} scores")
        for mask in masks & (y == 0):
            hard = np.sort(scores[mask])
            fpr = (hard.size - np.searchsorted(hard, candidates, side="right")) / max(hard.size, 1)
            bacc = np.where(fpr <= max_fpr, bacc, -np.inf)
    best = int(np.argmax(bacc))
    return float(candidates[best]), float(bacc[best])


def spans_from_flags(flags: Sequence[bool] | np.ndarray) -> list[tuple[int, int]]:
    """Runs of true flags as end-exclusive ``(start, end)`` index spans, in order."""
    f = np.asarray(flags, dtype=bool).ravel()
    edges = np.diff(np.concatenate([[0], f.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends)]


def event_scores(
    pred_spans: Sequence[tuple[int, int]], true_spans: Sequence[tuple[int, int]], tolerance_frames: int = 2
) -> dict[str, float]:
    """Event-level precision, recall and F1 of predicted spans against true spans (end-exclusive frames).

    A prediction matches a true span when the prediction, widened by ``tolerance_frames`` on both
    sides, overlaps it (so a one-frame tear flagged a frame early still counts, and a long freeze
    found late still counts). Matching is one to one: pairs are taken greedily by the smallest
    start distance, so one long prediction covering two true events scores one hit and one miss.
    With no predictions precision is 1 (nothing falsely raised); with no true events recall is 1.
    Returns ``tp``, ``fp``, ``fn`` (to sum over clips, see :func:`sum_event_scores`) and the rates.
    """
    tol = int(tolerance_frames)
    if tol < 0:
        raise ValueError(f"tolerance_frames must be >= 0, got {tolerance_frames}")
    pairs = sorted(
        (abs(ps - ts), i, j)
        for i, (ps, pe) in enumerate(pred_spans)
        for j, (ts, te) in enumerate(true_spans)
        if ps - tol < te and pe + tol > ts
    )
    used_pred: set[int] = set()
    used_true: set[int] = set()
    for _, i, j in pairs:
        if i not in used_pred and j not in used_true:
            used_pred.add(i)
            used_true.add(j)
    tp = len(used_pred)
    return _event_rates(tp, len(pred_spans) - tp, len(true_spans) - tp)


def sum_event_scores(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """Pool :func:`event_scores` of many clips: counts summed, rates recomputed (micro average)."""
    return _event_rates(*(int(sum(s[k] for s in scores)) for k in ("tp", "fp", "fn")))


def _event_rates(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}
