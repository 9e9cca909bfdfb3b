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
