"""Segment classifier: one label per fixed-length segment, balanced accuracy as the metric."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torchmetrics import ConfusionMatrix
from torchmetrics.classification import MulticlassRecall

from vqa_train.models.pann import load_pann_weights
from vqa_train.modules.base import DetectorModule


class SegmentClassifier(DetectorModule):
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
        super().__init__(optimizer, scheduler)
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"], logger=False)
        self.net = net
        self.classes = list(classes)
        if pretrained_path:
            load_pann_weights(self.net, pretrained_path)
        self.label_smoothing = label_smoothing
        k = len(self.classes)
        self.bacc = nn.ModuleDict(
            {s: MulticlassRecall(num_classes=k, average="macro") for s in ("train_", "val_", "test_")}
        )
        self.confusion = nn.ModuleDict(
            {s: ConfusionMatrix(task="multiclass", num_classes=k) for s in ("val_", "test_")}
        )

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.net(wave)

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
        self._track_best(stage, bacc)
