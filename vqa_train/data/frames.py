"""Data module of labelled frames with block-corruption masks from the synthetic generator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from vqa_train.data.base import SynthDataset, SyntheticDataModule, single_defect


class SynthFrameDataset(SynthDataset):
    """``dataset[i]`` -> (image uint8 ``(3, H, W)``, mask uint8 ``(H, W)``, class index).

    The mask travels as uint8, 255 for a corrupted pixel (the module divides by 255): a quarter
    of the bytes of float32 between the workers, the main process and the GPU.
    """

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        frame, mask, target = self.synth.sample(self.split, int(index))
        image = torch.from_numpy(np.ascontiguousarray(frame.transpose(2, 0, 1)))
        mask8 = np.rint(np.clip(mask, 0.0, 1.0) * 255.0).astype(np.uint8)
        return image, torch.from_numpy(mask8), self.class_index[target.label]


class BlockCorruptionDataModule(SyntheticDataModule):
    """Frames from ``source`` with the ``corrupted`` defect on every other index (exactly balanced).

    ``negatives`` (hard negatives such as JPEG blockiness, text and graphics) and the
    albumentations ``augment`` apply to both classes alike, so they never predict the label.
    ``codec`` (see :class:`synth.video.codec_loop.CodecLoop`) sends a fraction of both classes
    through libx264, packet damage and FFmpeg's decoder instead; with ``codec.frames_per_clip`` k
    the train sampler shuffles runs of k indices, so a clip's k samples share one batch (keep
    ``batch_size`` a multiple of k).
    """

    def __init__(
        self,
        source: Any,
        defects: Mapping[str, Any],
        classes: Sequence[str] = ("clean", "corrupted"),
        negatives: Any = None,
        augment: bool = True,
        height: int = 224,
        width: int = 224,
        seed: int = 0,
        train_size: int = 8000,
        val_size: int = 1000,
        test_size: int = 2000,
        fresh_train_samples: bool = True,
        batch_size: int = 32,
        num_workers: int = 0,
        pin_memory: bool = False,
        codec: Any = None,
        train_epoch_offset: int = 0,
    ) -> None:
        super().__init__(
            seed,
            train_size,
            val_size,
            test_size,
            fresh_train_samples,
            batch_size,
            num_workers,
            pin_memory,
            train_epoch_offset,
        )
        from synth.video import BlockCorruptionSynth

        classes = list(classes)
        self.synth = BlockCorruptionSynth(
            source,
            single_defect(defects, classes),
            negatives=negatives,
            augment=augment,
            height=height,
            width=width,
            seed=seed,
            classes=tuple(classes),
            codec=codec,
        )
        self.classes = classes
        codec_on = self.synth.codec is not None and self.synth.codec.prob > 0
        self.sampler_block = self.synth.codec.frames_per_clip if codec_on else 1
        if batch_size % self.sampler_block:
            raise ValueError(
                f"data.batch_size ({batch_size}) must be a multiple of data.codec.frames_per_clip "
                f"({self.sampler_block}), so a clip's samples share one batch"
            )

    def dataset(self, split: str) -> SynthFrameDataset:
        return SynthFrameDataset(self.synth, split, self.sizes[split])
