"""Data module of labelled clips with per-frame temporal-defect labels from the synthetic generator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from vqa_train.data.base import SynthDataset, SyntheticDataModule, single_defect


class SynthClipDataset(SynthDataset):
    """``dataset[i]`` -> (clip uint8 ``(T, 3, H, W)``, frame labels float32 ``(T,)``, class index)."""

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        clip, frame_labels, target = self.synth.sample(self.split, int(index))
        frames = torch.from_numpy(np.ascontiguousarray(clip.transpose(0, 3, 1, 2)))
        return frames, torch.from_numpy(frame_labels.astype(np.float32)), self.class_index[target.label]


class TemporalClipDataModule(SyntheticDataModule):
    """Clips from ``source`` with the one temporal defect on every other index (exactly balanced clips).

    ``negatives`` (:class:`synth.video.TemporalNegatives`) apply to both classes alike, so fades,
    still shots, cuts and pulldown never predict the label. No spatial augmentation: temporal
    defects are about how frames follow each other, and a frame-wise transform would have to be
    identical across the clip anyway.
    """

    def __init__(
        self,
        source: Any,
        defects: Mapping[str, Any],
        classes: Sequence[str] = ("clean", "defect"),
        negatives: Any = None,
        num_frames: int = 32,
        height: int = 72,
        width: int = 128,
        fps: float = 25.0,
        codec_prob: float = 0.0,
        codec_crf_range: Sequence[int] = (18, 36),
        codec_keyint_range: Sequence[int] | None = None,
        codec_presets: Sequence[str] = ("ultrafast",),
        min_change_levels: float = 0.0,
        seed: int = 0,
        train_size: int = 2000,
        val_size: int = 400,
        test_size: int = 800,
        fresh_train_samples: bool = True,
        batch_size: int = 16,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        super().__init__(
            seed, train_size, val_size, test_size, fresh_train_samples, batch_size, num_workers, pin_memory
        )
        from synth.video import TemporalClipSynth

        classes = list(classes)
        self.synth = TemporalClipSynth(
            source,
            single_defect(defects, classes),
            negatives=negatives,
            num_frames=num_frames,
            height=height,
            width=width,
            fps=fps,
            seed=seed,
            classes=tuple(classes),
            codec_prob=codec_prob,
            codec_crf_range=(int(codec_crf_range[0]), int(codec_crf_range[1])),
            codec_keyint_range=None if codec_keyint_range is None else tuple(codec_keyint_range),
            codec_presets=tuple(codec_presets),
            min_change_levels=min_change_levels,
        )
        self.classes = classes
        self.fps = float(fps)

    def dataset(self, split: str) -> SynthClipDataset:
        return SynthClipDataset(self.synth, split, self.sizes[split])
