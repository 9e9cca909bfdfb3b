"""Temporal-defect training: one shared design, one preset per defect (``detector=black_frames|freeze|stutter|tearing``).

Every temporal defect is a per-frame segmentation of a clip: the network gives one logit per
frame (:class:`vqa_train.models.temporal.TemporalNet`), trained with BCE against frame labels
(1 inside the defect's spans; ``pos_weight`` offsets how rare defect frames are, about the
clean/defect frame ratio of the preset's data). A preset only picks the defect and its loss
weight; data, network, metrics and evaluation are shared, so the four detectors are comparable
and a fifth temporal defect is one defect config plus one detector config.

A batch is ``(clip uint8 (B, T, 3, H, W), frame_labels float (B, T), clip label long (B,))``.
Metrics per epoch (a frame is flagged when its probability > 0.5):

- ``bacc``: frame-level balanced accuracy (the monitored metric, ``val/bacc_best`` its best);
- ``bacc_clip``: clip-level balanced accuracy, a clip flagged when any frame is;
- ``event_precision``/``event_recall``/``event_f1``: runs of flagged frames against the true
  spans, a match when the run widened by ``event_tolerance_frames`` overlaps a true span
  (:func:`vqa_train.metrics.event_scores`), pooled over clips.

``last_confusion`` (frame level) feeds the confusion-matrix callback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from vqa_train.metrics import balanced_accuracy, event_scores, spans_from_flags, sum_event_scores
from vqa_train.modules.base import DetectorModule


def clip_events(probs: np.ndarray, labels: np.ndarray, tolerance_frames: int) -> dict[str, float]:
    """Pooled event scores of ``(N, T)`` frame probabilities (> 0.5) against ``(N, T)`` 0/1 labels."""
    return sum_event_scores(
        [
            event_scores(spans_from_flags(p > 0.5), spans_from_flags(y > 0.5), tolerance_frames)
            for p, y in zip(probs, labels)
        ]
    )


class TemporalSegmenter(DetectorModule):
    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        classes: Sequence[str] = ("clean", "defect"),
        pos_weight: float = 1.0,
        event_tolerance_frames: int = 2,
    ) -> None:
        super().__init__(optimizer, scheduler)
        if len(classes) != 2:
            raise ValueError(f"a temporal detector has two classes (clean, <defect>), got {list(classes)}")
        if not pos_weight > 0:
            raise ValueError(f"model.pos_weight must be > 0, got {pos_weight}")
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"], logger=False)
        self.net = net
        self.classes = list(classes)
        self.pos_weight = float(pos_weight)
        self.event_tolerance_frames = int(event_tolerance_frames)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        if clip.dtype == torch.uint8:
            clip = clip.float() / 255.0
        return self.net(clip)

    def _step(self, batch: Any, stage: str) -> torch.Tensor:
        clip, frame_labels, y = batch
        logits = self(clip).float()
        loss = F.binary_cross_entropy_with_logits(
            logits, frame_labels.float(), pos_weight=logits.new_tensor(self.pos_weight)
        )
        on_step = stage == "train"
        self.log(f"{stage}/loss", loss, on_step=on_step, on_epoch=True, prog_bar=on_step, batch_size=len(y))
        out = {"prob": torch.sigmoid(logits.detach()), "frame_label": frame_labels, "label": y}
        self._keep(stage, **out)
        return loss

    def _epoch_end(self, stage: str) -> None:
        o = self._collect(stage)
        if not o:
            return
        y_frame = (o["frame_label"] > 0.5).astype(int).ravel()
        pred_frame = (o["prob"] > 0.5).astype(int).ravel()
        y_clip = (o["label"] != 0).astype(int)
        pred_clip = (o["prob"] > 0.5).any(axis=1).astype(int)
        events = clip_events(o["prob"], o["frame_label"], self.event_tolerance_frames)
        metrics = {
            "bacc": balanced_accuracy(y_frame, pred_frame),
            "bacc_clip": balanced_accuracy(y_clip, pred_clip),
            "event_precision": events["precision"],
            "event_recall": events["recall"],
            "event_f1": events["f1"],
        }
        for k, v in metrics.items():
            self.log(f"{stage}/{k}", float(v), prog_bar=k == "bacc" and stage != "train", sync_dist=True)
        if stage != "train":
            cm = np.zeros((2, 2), dtype=np.int64)
            np.add.at(cm, (y_frame, pred_frame), 1)
            self.last_confusion[stage] = torch.from_numpy(cm)
        self._track_best(stage, metrics["bacc"])
