"""Segment classifier: one label per fixed-length segment, balanced accuracy as the metric."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torchmetrics import ConfusionMatrix
from torchmetrics.classification import MulticlassRecall

from synth.audio.synthesizer import FRAME_S  # the data's frame targets (sample_with_frames)
from vqa_train.models.pann import load_pann_weights
from vqa_train.modules.base import DetectorModule


def pooled_flags(frames: torch.Tensor, cells: int, per_cell: int) -> torch.Tensor:
    """Per-frame defect flags ``(B, F)`` -> bool ``(B, cells)``: cell ``j`` is set where any of frames
    ``[j * per_cell, (j + 1) * per_cell)`` is. Frames past the last cell are dropped, missing ones
    count unset."""
    need = cells * per_cell
    flags = frames.bool()[:, :need]
    if flags.shape[1] < need:
        flags = F.pad(flags, (0, need - flags.shape[1]))
    return flags.reshape(len(flags), cells, per_cell).any(dim=2)


def cell_targets(
    frames: torch.Tensor, labels: torch.Tensor, cells: int, per_cell: int, clean: int
) -> torch.Tensor:
    """Per-cell class targets ``(B, cells)``: the sample's label where the cell holds a flagged frame
    (:func:`pooled_flags`), ``clean`` elsewhere."""
    hit = pooled_flags(frames, cells, per_cell)
    return torch.where(hit, labels[:, None], torch.full_like(hit, clean, dtype=labels.dtype))


FRAME_TARGETS_NEEDED = "model.frame_loss_weight / wave_frame_loss_weight > 0 needs per-frame targets: set data.frame_targets=true"


class SegmentClassifier(DetectorModule):
    """Cross-entropy training; ``val/bacc`` (macro recall = balanced accuracy) and its best so far.

    ``frame_loss_weight`` > 0 adds that much of a per-cell cross-entropy while training: the net's
    ``frame_head`` (``model.net.frame_head=true``) labels each time cell of the trunk's map against
    where the synthesiser put the defect (``data.frame_targets=true``; :func:`cell_targets`).
    ``wave_frame_loss_weight`` > 0 adds a binary cross-entropy per 10-ms frame (summed over a
    segment's frames, averaged over the batch) on the wave branch's frame
    head (``model.net.wave_frame_head=true``): does this frame hold a defect of ``wave_frame_classes``
    (the impulsive ones: clicks). Only the training loss changes: metrics, predictions and exports
    use the segment head alone.
    """

    def __init__(
        self,
        net: nn.Module,
        classes: Sequence[str],
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        pretrained_path: str | None = None,
        label_smoothing: float = 0.0,
        frame_loss_weight: float = 0.0,
        clean_label: str = "none",
        wave_frame_loss_weight: float = 0.0,
        wave_frame_classes: Sequence[str] = ("clicks",),
    ) -> None:
        super().__init__(optimizer, scheduler)
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"], logger=False)
        self.net = net
        self.classes = list(classes)
        if pretrained_path:
            load_pann_weights(self.net, pretrained_path)
        self.label_smoothing = label_smoothing
        if frame_loss_weight < 0 or wave_frame_loss_weight < 0:
            raise ValueError(
                "model.frame_loss_weight and model.wave_frame_loss_weight must be >= 0, "
                f"got {frame_loss_weight} and {wave_frame_loss_weight}"
            )
        if frame_loss_weight and getattr(net, "frame_head", None) is None:
            raise ValueError("model.frame_loss_weight > 0 needs model.net.frame_head=true")
        if wave_frame_loss_weight and getattr(getattr(net, "wave", None), "frame_conv", None) is None:
            raise ValueError("model.wave_frame_loss_weight > 0 needs model.net.wave_frame_head=true")
        if frame_loss_weight and clean_label not in self.classes:
            raise ValueError(f"model.clean_label {clean_label!r} is not one of the classes {self.classes}")
        unknown = [c for c in wave_frame_classes if c not in self.classes]
        if wave_frame_loss_weight and unknown:
            raise ValueError(f"model.wave_frame_classes {unknown} are not among the classes {self.classes}")
        self.wave_frame_loss_weight = float(wave_frame_loss_weight)
        self.wave_frame_classes = [self.classes.index(c) for c in wave_frame_classes if c in self.classes]
        self.frame_loss_weight = float(frame_loss_weight)
        self.clean_index = self.classes.index(clean_label) if clean_label in self.classes else 0
        k = len(self.classes)
        self.bacc = nn.ModuleDict(
            {s: MulticlassRecall(num_classes=k, average="macro") for s in ("train_", "val_", "test_")}
        )
        self.confusion = nn.ModuleDict(
            {s: ConfusionMatrix(task="multiclass", num_classes=k) for s in ("val_", "test_")}
        )

    @property
    def trains_where(self) -> bool:
        """Whether training adds a loss on where the defect is (needs the data's frame flags)."""
        return bool(self.frame_loss_weight or self.wave_frame_loss_weight)

    def on_fit_start(self) -> None:
        data = getattr(self.trainer, "datamodule", None)
        if self.trains_where and data is not None and getattr(data, "frame_target_db", None) is None:
            raise ValueError(FRAME_TARGETS_NEEDED)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.net(wave)

    def _step(self, batch: tuple[torch.Tensor, ...], stage: str) -> torch.Tensor:
        wave, y = batch[0], batch[-1]  # (wave, label) or, with frame targets, (wave, flags, label)
        if stage == "train" and self.trains_where:
            if len(batch) < 3:
                raise ValueError(FRAME_TARGETS_NEEDED)
            out = self.net.forward_cells(wave)
            logits, frame_loss = out["logits"], self.where_loss(out, batch[1], y)
        else:
            logits, frame_loss = self(wave), None
        loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing if stage == "train" else 0.0)
        if frame_loss is not None:
            loss = loss + frame_loss
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

    def where_loss(self, out: dict[str, torch.Tensor], flags: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The weighted per-cell (``frame_loss_weight``) and per-10-ms impulse (``wave_frame_loss_weight``) terms."""
        loss = torch.zeros((), device=y.device)
        if self.frame_loss_weight:
            cell_logits = out["cells"]
            per_cell = round(self.net.cell_s / FRAME_S)
            cells = cell_targets(flags, y, cell_logits.shape[-1], per_cell, self.clean_index)
            term = F.cross_entropy(cell_logits, cells)
            self._log_term("train/frame_loss", term, len(y))
            loss = loss + self.frame_loss_weight * term
        if self.wave_frame_loss_weight:
            wave_logits = out["wave_frames"]
            impulsive = torch.isin(y, torch.tensor(self.wave_frame_classes, device=y.device))
            hits = pooled_flags(flags, wave_logits.shape[-1], 1) & impulsive[:, None]
            # summed over a segment's frames, so the few frames with a click weigh like a segment label
            term = F.binary_cross_entropy_with_logits(wave_logits, hits.float(), reduction="sum") / len(y)
            self._log_term("train/wave_frame_loss", term, len(y))
            loss = loss + self.wave_frame_loss_weight * term
        return loss

    def _log_term(self, name: str, value: torch.Tensor, batch_size: int) -> None:
        """Log one loss term per epoch; benchmarks call :meth:`where_loss` without a Trainer."""
        if self._trainer is not None:
            self.log(name, value, on_step=False, on_epoch=True, batch_size=batch_size)

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
