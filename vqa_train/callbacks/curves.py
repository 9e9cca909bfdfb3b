"""Keeps the per-epoch learning curve (loss and balanced accuracy) as CSV-free JSON and a PNG."""

from __future__ import annotations

import time
from pathlib import Path

import lightning as L
import matplotlib.pyplot as plt

from vqa_train.utils.atomic import save_figure, write_json


class LearningCurvePlot(L.Callback):
    """Per epoch: train/val loss and the monitored metric (``val/bacc`` unless the detector monitors
    another, e.g. ``val/offset_acc``), rewritten to ``learning_curve.{json,png}``.

    An epoch's metrics are final only once the next epoch starts (or training ends), so rows are
    recorded then.
    """

    def __init__(self, path: str, metric: str = "val/bacc") -> None:
        self.path = Path(path)
        self.metric = metric.split("/", 1)[-1]
        self.KEYS = ("train/loss_epoch", f"train/{self.metric}", "val/loss", f"val/{self.metric}")
        self.rows: list[dict[str, float]] = []
        self.t0 = time.monotonic()

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self.t0 = time.monotonic()

    def on_train_epoch_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if trainer.current_epoch > 0:
            self._record(trainer, trainer.current_epoch - 1)

    def on_train_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._record(trainer, trainer.current_epoch - 1)

    def _record(self, trainer: L.Trainer, epoch: int) -> None:
        m = trainer.callback_metrics
        if (
            not trainer.is_global_zero
            or f"val/{self.metric}" not in m
            or any(r["epoch"] == epoch for r in self.rows)
        ):
            return
        row = {"epoch": epoch, "step": trainer.global_step, "elapsed_s": round(time.monotonic() - self.t0, 1)}
        row.update({k: float(m[k]) for k in self.KEYS if k in m})
        self.rows.append(row)
        write_json(self.path.with_suffix(".json"), self.rows)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
        steps = [r["step"] for r in self.rows]
        for key, ax in (("loss", ax1), (self.metric, ax2)):
            for stage in ("train", "val"):
                name = f"{stage}/{key}" + ("_epoch" if stage == "train" and key == "loss" else "")
                vals = [r.get(name) for r in self.rows]
                if any(v is not None for v in vals):
                    ax.plot(steps, vals, marker="o", label=stage)
            ax.set_xlabel("training step")
            ax.set_ylabel(key)
            ax.grid(alpha=0.3)
            ax.legend()
        ax2.set_ylim(top=1.0)
        fig.suptitle(f"learning curve ({self.rows[-1]['elapsed_s']:.0f} s)")
        fig.tight_layout()
        save_figure(fig, self.path, dpi=100)
        plt.close(fig)
