"""Figures people would rather look at than read: confusion matrices, learning curves, timelines."""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from vqa_train.utils.atomic import save_figure  # noqa: E402


def confusion_figure(cm: np.ndarray, classes: Sequence[str], title: str = "") -> plt.Figure:
    """Row-normalised confusion matrix (rows: truth) with the counts written in each cell."""
    cm = np.asarray(cm, dtype=float)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    k = len(classes)
    fig, ax = plt.subplots(figsize=(1.1 * k + 2.5, 1.0 * k + 2))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(k), classes, rotation=45, ha="right")
    ax.set_yticks(range(k), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                f"{int(cm[i, j])}\n{norm[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if norm[i, j] > 0.6 else "black",
            )
    ax.set_title(title)
    fig.tight_layout()
    return fig


def save_confusion(cm: np.ndarray, classes: Sequence[str], path: str | os.PathLike, title: str = "") -> None:
    fig = confusion_figure(cm, classes, title)
    save_figure(fig, path, dpi=110)
    plt.close(fig)


def save_confusions(
    entries: Sequence[tuple[str, dict | None, str]], classes: Sequence[str], out_dir: str | os.PathLike
) -> None:
    """One confusion-matrix PNG per ``(name, report, file)`` entry whose report is not None, titled with
    the name and the report's balanced accuracy."""
    for name, rep, file in entries:
        if rep is not None:
            save_confusion(
                np.array(rep["confusion_matrix"]),
                classes,
                os.path.join(out_dir, file),
                title=f"{name}: balanced accuracy {rep['balanced_accuracy']:.4f}",
            )
