"""Data module of labelled clips with per-frame temporal-defect labels from the synthetic generator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import lightning as L
import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch.utils.data import DataLoader, Dataset

from vqa_train.data.audio import single_thread_worker
from vqa_train.data.samplers import EpochIndexSampler


class SynthClipDataset(Dataset):
    """``dataset[i]`` -> (clip uint8 ``(T, 3, H, W)``, frame labels float32 ``(T,)``, class index).

    Any non-negative index is valid (fresh epochs use indices beyond ``len``).
    """

    def __init__(self, synth: Any, split: str, size: int) -> None:
        self.synth, self.split, self.size = synth, split, int(size)
        self.class_index = {c: i for i, c in enumerate(synth.classes)}

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        clip, frame_labels, target = self.synth.sample(self.split, int(index))
        frames = torch.from_numpy(np.ascontiguousarray(clip.transpose(0, 3, 1, 2)))
        return frames, torch.from_numpy(frame_labels.astype(np.float32)), self.class_index[target.label]


class TemporalClipDataModule(L.LightningDataModule):
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
        seed: int = 0,
        train_size: int = 2000,
        val_size: int = 400,
        test_size: int = 800,
        fresh_train_samples: bool = True,
        batch_size: int = 16,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        super().__init__()
        from synth.video import TemporalClipSynth

        threadpool_limits(1, user_api="blas")
        classes = list(classes)
        unknown = [k for k in defects if k not in classes]
        if unknown or len(defects) != 1:
            raise ValueError(
                f"data.defects must hold exactly one defect named after a class of {classes}, got {list(defects)}"
            )
        self.synth = TemporalClipSynth(
            source,
            next(iter(defects.values())),
            negatives=negatives,
            num_frames=num_frames,
            height=height,
            width=width,
            fps=fps,
            seed=seed,
            classes=tuple(classes),
        )
        self.classes = classes
        self.fps = float(fps)
        self.sizes = {"train": train_size, "val": val_size, "test": test_size}
        self.fresh = fresh_train_samples
        self.batch_size, self.num_workers, self.pin_memory = batch_size, num_workers, pin_memory
        self.seed = seed

    def dataset(self, split: str) -> SynthClipDataset:
        return SynthClipDataset(self.synth, split, self.sizes[split])

    def _loader(self, split: str, sampler: EpochIndexSampler) -> DataLoader:
        return DataLoader(
            self.dataset(split),
            batch_size=self.batch_size,
            sampler=sampler,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.num_workers > 0,
            worker_init_fn=single_thread_worker,
            drop_last=split == "train" and self.sizes[split] >= 2 * self.batch_size,
        )

    def train_dataloader(self) -> DataLoader:
        sampler = EpochIndexSampler(self.sizes["train"], self.seed, shuffle=True, fresh=self.fresh)
        return self._loader("train", sampler)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", EpochIndexSampler(self.sizes["val"], self.seed, shuffle=False))

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", EpochIndexSampler(self.sizes["test"], self.seed, shuffle=False))
