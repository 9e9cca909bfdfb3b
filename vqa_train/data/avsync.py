"""Data module of the lip-sync detector: training windows of a speaking face and its sound.

``dataset[i]`` is one :meth:`synth.av.AVSyncSynth.window`: ``num_frames`` mouth crops and in-sync
audio with ``context_frames`` frames of extra sound on each side, from which the training step
compares every video window with the audio at each offset. The crops are cut as the inference
pipeline cuts them: from detector-convention face boxes (:func:`~vqa_train.avsync.crops.detector_box`)
with the box error of a real detector and tracker added (a per-window shift and scale, a small
per-frame jitter). Augmentation, drawn from the sample's own generator: JPEG-like blockiness or
blur on the frames, a random level (+-15 dB) and a noise floor on the sound.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch

from synth.core import sample_rng
from vqa_train.avsync.crops import detector_box, mouth_crops
from vqa_train.data.base import SynthDataset, SyntheticDataModule


class SyncWindowDataset(SynthDataset):
    def __init__(
        self, synth: Any, split: str, size: int, num_frames: int, context_frames: int, augment: bool
    ) -> None:
        super().__init__(synth, split, size)
        self.num_frames, self.context_frames, self.augment = int(num_frames), int(context_frames), augment

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        win = self.synth.window(self.split, int(index), self.num_frames, self.context_frames)
        rng = sample_rng(self.synth.seed, self.split, int(index), stream=2)
        boxes = detector_box(win.boxes)
        side = float(np.mean(boxes[:, 2:] - boxes[:, :2]))
        shift = rng.normal(0, 0.03, 2) * side  # detector error: one per window (the track is smoothed)
        scale = float(np.exp(rng.normal(0, 0.08)))
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2 + shift + rng.normal(0, 0.006 * side, (len(boxes), 2))
        half = (boxes[:, 2:] - boxes[:, :2]) / 2 * scale
        boxes = np.concatenate([centre - half, centre + half], axis=1).astype(np.float32)
        frames = win.frames
        audio = win.audio
        if self.augment:
            frames = _degrade(frames, rng)
            audio = audio * np.float32(10 ** (rng.uniform(-15, 5) / 20))
            audio = audio + rng.standard_normal(audio.shape).astype(np.float32) * np.float32(
                10 ** (rng.uniform(-70, -40) / 20)
            )
        crops = mouth_crops(frames, boxes)
        return {"crops": torch.from_numpy(crops), "wave": torch.from_numpy(audio.astype(np.float32))}


def _degrade(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Compression blockiness (JPEG q 20-70) or a blur (sigma 0.5-1.5), each on a third of the samples."""
    pick = rng.random()
    if pick < 1 / 3:
        quality = int(rng.integers(20, 71))
        out = []
        for f in frames:
            ok, buf = cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, quality])
            out.append(cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else f)
        return np.stack(out)
    if pick < 2 / 3:
        sigma = float(rng.uniform(0.5, 1.5))
        return np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in frames])
    return frames


class AVSyncDataModule(SyntheticDataModule):
    """Sync windows from the procedural talking heads (:class:`synth.av.AVSyncSynth`).

    ``synth`` also makes the evaluation clips (``eval.py`` uses :meth:`synth.av.AVSyncSynth.clip`).
    """

    def __init__(
        self,
        synth: Any,
        num_frames: int = 9,
        context_frames: int = 15,
        augment: bool = True,
        seed: int = 0,
        train_size: int = 8000,
        val_size: int = 500,
        test_size: int = 500,
        fresh_train_samples: bool = True,
        batch_size: int = 32,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        super().__init__(
            seed, train_size, val_size, test_size, fresh_train_samples, batch_size, num_workers, pin_memory
        )
        if int(num_frames) < 5:
            raise ValueError(f"data.num_frames must be >= 5 (one SyncNet window), got {num_frames}")
        self.synth = synth
        self.classes = list(synth.classes)
        self.num_frames, self.context_frames, self.augment = (
            int(num_frames),
            int(context_frames),
            bool(augment),
        )

    def dataset(self, split: str) -> SyncWindowDataset:
        return SyncWindowDataset(
            self.synth,
            split,
            self.sizes[split],
            self.num_frames,
            self.context_frames,
            augment=self.augment and split == "train",
        )
