"""Segment classifier: one label per fixed-length segment, balanced accuracy as the metric."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import lightning as L
import torch
from torch import nn
from torch.nn import functional as F
from torchmetrics import ConfusionMatrix, MaxMetric
from torchmetrics.classification import MulticlassRecall

from vqa_train.models.pann import load_pann_weights


class SegmentClassifier(L.LightningModule):
    """Cross-entropy training; ``val/bacc`` (macro recall = balanced accuracy) and its best so far."""

    def __init__(
        self,
        net: nn.Module,
        classes: Sequence[str],
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        pretrained_path: str | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"], logger=False)
        self.net = net
        self.classes = list(classes)
        if pretrained_path:
            load_pann_weights(self.net, pretrained_path)
        self.optimizer_factory, self.scheduler_factory = optimizer, scheduler
        self.label_smoothing = label_smoothing
        k = len(self.classes)
        self.bacc = nn.ModuleDict(
            {s: MulticlassRecall(num_classes=k, average="macro") for s in ("train_", "val_", "test_")}
        )
        self.confusion = nn.ModuleDict(
            {s: ConfusionMatrix(task="multiclass", num_classes=k) for s in ("val_", "test_")}
        )
        self.val_bacc_best = MaxMetric()
        # The last epoch's confusion matrices, read by the ConfusionMatrixImage callback.
        self.last_confusion: dict[str, torch.Tensor] = {}

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.net(wave)

    def on_train_start(self) -> None:
        self.val_bacc_best.reset()

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        wave, y = batch
        logits = self(wave)
        loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing if stage == "train" else 0.0)
        preds = logits.argmax(dim=1)
        self.bacc[f"{stage}_"].update(preds, y)
        if stage != "train":
            self.confusion[f"{stage}_"].update(preds, y)
        self.log(
            f"{stage}/loss",
            loss,
            on_step=stage == "train",
            on_epoch=True,
            prog_bar=stage == "train",
            batch_size=len(y),
        )
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._step(batch, "test")

    def predict_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        wave = batch[0] if isinstance(batch, (list, tuple)) else batch
        return self(wave).softmax(dim=1)

    def _epoch_end(self, stage: str) -> None:
        bacc = self.bacc[f"{stage}_"].compute()
        self.bacc[f"{stage}_"].reset()
        self.log(f"{stage}/bacc", bacc, prog_bar=stage != "train", sync_dist=True)
        if stage != "train":
            self.last_confusion[stage] = self.confusion[f"{stage}_"].compute().cpu()
            self.confusion[f"{stage}_"].reset()
        if stage == "val" and not self.trainer.sanity_checking:
            self.val_bacc_best(bacc)
            self.log("val/bacc_best", self.val_bacc_best.compute(), prog_bar=True, sync_dist=True)

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
