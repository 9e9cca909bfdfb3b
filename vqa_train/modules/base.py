"""What every detector's LightningModule shares: stage dispatch, per-epoch hooks, best-val tracking
and the optimizer/scheduler wiring.

A subclass implements ``_step(batch, stage) -> loss`` and ``_epoch_end(stage)``; in ``_epoch_end``
it calls :meth:`_track_best` with the epoch's ``val/bacc``. Per-sample outputs that an epoch-end
metric needs go through :meth:`_keep` / :meth:`_collect`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import numpy as np
import torch
from torchmetrics import MaxMetric


class DetectorModule(L.LightningModule):
    def __init__(
        self,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__()
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.val_bacc_best = MaxMetric()
        # The last epoch's confusion matrices by stage, read by the ConfusionMatrixImage callback.
        self.last_confusion: dict[str, torch.Tensor] = {}
        self._outputs: dict[str, list[torch.Tensor]] = {}

    def _step(self, batch: Any, stage: str) -> torch.Tensor:
        raise NotImplementedError

    def _epoch_end(self, stage: str) -> None:
        raise NotImplementedError

    def _keep(self, stage: str, **values: torch.Tensor) -> None:
        """Store per-sample values of a batch for the stage's epoch-end metrics.

        They stay on the model's device until :meth:`_collect`: a copy to the host every step
        would make the CPU wait for each GPU step before it can queue the next.
        """
        for k, v in values.items():
            self._outputs.setdefault(f"{stage}/{k}", []).append(v.detach())

    def _collect(self, stage: str) -> dict[str, np.ndarray]:
        """The stage's stored values, concatenated over the epoch (one copy to the host), and forgotten."""
        keys = [k for k in self._outputs if k.startswith(f"{stage}/")]
        return {k.split("/", 1)[1]: torch.cat(self._outputs.pop(k)).cpu().numpy() for k in keys}

    def _track_best(self, stage: str, bacc: float | torch.Tensor, name: str = "bacc") -> None:
        """Log ``val/<name>_best``, the best value of the monitored val metric so far."""
        if stage == "val" and not self.trainer.sanity_checking:
            self.val_bacc_best(torch.as_tensor(bacc, dtype=torch.float32))
            self.log(f"val/{name}_best", self.val_bacc_best.compute(), prog_bar=True, sync_dist=True)

    def on_train_start(self) -> None:
        self.val_bacc_best.reset()

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, "test")

    def on_train_epoch_end(self) -> None:
        self._epoch_end("train")

    def on_validation_epoch_end(self) -> None:
        self._epoch_end("val")

    def on_test_epoch_end(self) -> None:
        self._epoch_end("test")

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(
            optimizer=optimizer, total_steps=self.trainer.estimated_stepping_batches
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
