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


def best_threshold(scores: np.ndarray, y_true: np.ndarray) -> tuple[float, float]:
    """The threshold ``t`` maximising the balanced accuracy of ``scores > t`` for binary labels.

    Candidates are midpoints between consecutive distinct scores (and just below the smallest);
    ties go to the lowest threshold. Returns ``(threshold, balanced_accuracy)``.
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
    best = int(np.argmax(bacc))
    return float(candidates[best]), float(bacc[best])
