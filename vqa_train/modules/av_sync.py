"""Lip-sync training: contrast each video window with the sound at every candidate offset.

A batch holds ``crops (B, T, h, w)`` (T mouth crops of a speaking face) and ``wave (B, N)``: the
in-sync sound of those frames plus ``context`` frames of sound on each side. The network embeds
both (:class:`vqa_train.models.syncnet.SyncNet`); for each of the ``T - 4`` video windows the
distances to the audio windows at offsets ``-context .. +context`` frames become logits
``-scale * distance`` and the loss is the cross-entropy of picking offset 0: an InfoNCE-style
contrastive loss with the in-sync pair as the positive and the ``2 * context`` shifted pairs of
the same voice as negatives (the hardest negatives there are: same speaker, same words, wrong
time). The scale is learned (initialised at 10).

Metrics per epoch:

- ``offset_acc``: the share of samples whose mean distance over their windows is lowest within
  +-1 frame of offset 0 (the monitored metric; ``val/offset_acc_best`` its best);
- ``window_acc``: the same for single 5-frame windows, exact offset;
- ``confidence``: median minus minimum of a sample's mean-distance curve (SyncNet's confidence).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from vqa_train.models.syncnet import offset_distances
from vqa_train.modules.base import DetectorModule


class AVSyncModule(DetectorModule):
    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        scheduler: Callable[..., Any] | None = None,
        classes: Sequence[str] = ("in_sync", "out_of_sync", "inconclusive"),
        context_frames: int = 15,
    ) -> None:
        super().__init__(optimizer, scheduler)
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"], logger=False)
        self.net = net
        self.classes = list(classes)
        self.context = int(context_frames)
        self.log_scale = nn.Parameter(torch.tensor(math.log(10.0)))

    def forward(self, crops: torch.Tensor, wave: torch.Tensor) -> torch.Tensor:
        """Distances ``(B, T - 4, 2 * context + 1)``; column ``context`` is the in-sync pair."""
        video, audio = self.net(crops, wave)
        return offset_distances(video, audio, self.context, audio_start=self.context)

    def _step(self, batch: Any, stage: str) -> torch.Tensor:
        crops, wave = batch["crops"], batch["wave"]
        dist = self(crops, wave).float()
        if torch.isnan(dist).any():
            raise ValueError(
                f"audio of {wave.shape[1]} samples is too short for {crops.shape[1]} frames with "
                f"+-{self.context} frames of context"
            )
        k = dist.shape[2]
        logits = -self.log_scale.exp() * dist
        target = torch.full((dist.shape[0] * dist.shape[1],), self.context, device=dist.device)
        loss = F.cross_entropy(logits.reshape(-1, k), target)
        on_step = stage == "train"
        self.log(
            f"{stage}/loss", loss, on_step=on_step, on_epoch=True, prog_bar=on_step, batch_size=len(crops)
        )
        self._keep(stage, dist=dist.detach())
        return loss

    def _epoch_end(self, stage: str) -> None:
        o = self._collect(stage)
        if not o:
            return
        dist = o["dist"]  # (N, W, K)
        mean = dist.mean(axis=1)
        best = mean.argmin(axis=1) - self.context
        window_best = dist.argmin(axis=2) - self.context
        metrics = {
            "offset_acc": float(np.mean(np.abs(best) <= 1)),
            "offset_exact": float(np.mean(best == 0)),
            "window_acc": float(np.mean(window_best == 0)),
            "confidence": float(np.mean(np.median(mean, axis=1) - mean.min(axis=1))),
        }
        for key, value in metrics.items():
            self.log(
                f"{stage}/{key}", value, prog_bar=key == "offset_acc" and stage != "train", sync_dist=True
            )
        self._track_best(stage, metrics["offset_acc"], name="offset_acc")
