"""Block-corruption training: a per-cell map loss plus a frame-level loss, two decisions tracked.

A batch is ``(image uint8 (B, 3, H, W), mask (B, H, W), label long (B,))``, the mask uint8 with
255 for a corrupted pixel (or float in [0, 1]). The mask is pooled to the map's cells; a cell's target is 1 when at least ``cell_threshold`` of its pixels are
corrupted (``cell_target="binary"``, the default: the map then answers "is this cell damaged",
which is what the area-ratio decision binarises) or the corrupted fraction itself
(``cell_target="fraction"``).

Both decisions are measured every validation epoch:

- ``val/bacc_learned``: the frame head's probability > 0.5;
- ``val/bacc_area``: binarised map area ratio > ``area_threshold`` (0.07, the reference's v1);
- ``val/bacc_area_tuned`` with ``val/area_threshold``: the same rule with the threshold that is
  best on this val epoch (what eval.py re-chooses and export.py records).

``val/bacc`` is the configured ``decision``'s, the metric checkpoints and sweeps follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from vqa_train.metrics import balanced_accuracy, best_threshold
from vqa_train.modules.base import DetectorModule

DECISIONS = ("learned", "area_ratio")
CELL_TARGETS = ("binary", "fraction")


def cell_targets(mask: torch.Tensor, size: tuple[int, int], mode: str, threshold: float) -> torch.Tensor:
    """``(B, H, W)`` pixel mask -> ``(B, 1, h, w)`` cell targets (corrupted fraction or its threshold)."""
    pixels = mask.float() / 255.0 if mask.dtype == torch.uint8 else mask.float()
    frac = F.adaptive_avg_pool2d(pixels.unsqueeze(1), size)
    return frac if mode == "fraction" else (frac >= threshold).float()


def area_ratio(map_probs: torch.Tensor, map_threshold: float = 0.5) -> torch.Tensor:
    """Fraction of cells whose corruption probability exceeds ``map_threshold``, per frame."""
    return (map_probs > map_threshold).float().flatten(1).mean(dim=1)


class BlockCorruptionModule(DetectorModule):
    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        classes: Sequence[str] = ("clean", "corrupted"),
        decision: str = "learned",
        area_threshold: float = 0.07,
        map_threshold: float = 0.5,
        cell_target: str = "binary",
        cell_threshold: float = 0.1,
        map_loss_weight: float = 1.0,
        frame_loss_weight: float = 1.0,
    ) -> None:
        super().__init__(optimizer, scheduler)
        if decision not in DECISIONS:
            raise ValueError(f"model.decision='{decision}' is not one of {list(DECISIONS)}")
        if cell_target not in CELL_TARGETS:
            raise ValueError(f"model.cell_target='{cell_target}' is not one of {list(CELL_TARGETS)}")
        if len(classes) != 2:
            raise ValueError(f"block corruption has two classes (clean, corrupted), got {list(classes)}")
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"], logger=False)
        self.net = net
        self.classes = list(classes)
        self.decision = decision
        self.map_threshold, self.cell_target, self.cell_threshold = map_threshold, cell_target, cell_threshold
        self.map_loss_weight, self.frame_loss_weight = map_loss_weight, frame_loss_weight
        # The area threshold last chosen on val; saved in checkpoints, used by eval/export defaults.
        self.register_buffer("area_threshold", torch.tensor(float(area_threshold)))
        self.fixed_area_threshold = float(area_threshold)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if image.dtype == torch.uint8:
            image = image.float() / 255.0
        return self.net(image)

    def _step(self, batch: Any, stage: str) -> torch.Tensor:
        image, mask, y = batch
        map_logits, frame_logits = self(image)
        target = cell_targets(mask, tuple(map_logits.shape[-2:]), self.cell_target, self.cell_threshold)
        map_loss = F.binary_cross_entropy_with_logits(map_logits.float(), target)
        frame_loss = F.binary_cross_entropy_with_logits(frame_logits.float(), y.float())
        loss = self.map_loss_weight * map_loss + self.frame_loss_weight * frame_loss
        n = len(y)
        on_step = stage == "train"
        self.log(f"{stage}/loss", loss, on_step=on_step, on_epoch=True, prog_bar=on_step, batch_size=n)
        self.log(f"{stage}/map_loss", map_loss, on_step=False, on_epoch=True, batch_size=n)
        self.log(f"{stage}/frame_loss", frame_loss, on_step=False, on_epoch=True, batch_size=n)
        with torch.no_grad():
            probs = torch.sigmoid(map_logits.float())
            pred_cells = probs > self.map_threshold
            true_cells = target >= 0.5
            out = {
                "label": y,
                "frame_prob": torch.sigmoid(frame_logits.float()),
                "area": area_ratio(probs, self.map_threshold),
                "inter": (pred_cells & true_cells).flatten(1).sum(1),
                "union": (pred_cells | true_cells).flatten(1).sum(1),
            }
        self._keep(stage, **out)
        return loss

    def _epoch_end(self, stage: str) -> None:
        o = self._collect(stage)
        if not o:
            return
        y = o["label"].astype(int)
        learned = (o["frame_prob"] > 0.5).astype(int)
        fixed = (o["area"] > self.fixed_area_threshold).astype(int)
        metrics = {
            "bacc_learned": balanced_accuracy(y, learned),
            "bacc_area": balanced_accuracy(y, fixed),
            "map_iou": float(o["inter"].sum() / max(o["union"].sum(), 1)),
        }
        if stage == "val":
            thr, tuned = best_threshold(o["area"], y)
            metrics.update({"bacc_area_tuned": tuned, "area_threshold": thr})
            if not self.trainer.sanity_checking:
                self.area_threshold.fill_(thr)
        thr_now = float(self.area_threshold)
        area_pred = (o["area"] > thr_now).astype(int)
        chosen = learned if self.decision == "learned" else area_pred
        metrics["bacc"] = balanced_accuracy(y, chosen)
        for k, v in metrics.items():
            self.log(f"{stage}/{k}", float(v), prog_bar=k == "bacc" and stage != "train", sync_dist=True)
        if stage != "train":
            cm = np.zeros((2, 2), dtype=np.int64)
            np.add.at(cm, (y, chosen), 1)
            self.last_confusion[stage] = torch.from_numpy(cm)
        self._track_best(stage, metrics["bacc"])
