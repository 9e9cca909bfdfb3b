"""Data module of labelled frames with block-corruption masks from the synthetic generator."""

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


class SynthFrameDataset(Dataset):
    """``dataset[i]`` -> (image uint8 ``(3, H, W)``, mask float32 ``(H, W)``, class index).

    Any non-negative index is valid (fresh epochs use indices beyond ``len``).
    """

    def __init__(self, synth: Any, split: str, size: int) -> None:
        self.synth, self.split, self.size = synth, split, int(size)
        self.class_index = {c: i for i, c in enumerate(synth.classes)}

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        frame, mask, target = self.synth.sample(self.split, int(index))
        image = torch.from_numpy(np.ascontiguousarray(frame.transpose(2, 0, 1)))
        return image, torch.from_numpy(mask), self.class_index[target.label]


class BlockCorruptionDataModule(L.LightningDataModule):
    """Frames from ``source`` with the ``corrupted`` defect on every other index (exactly balanced).

    ``negatives`` (hard negatives such as JPEG blockiness, text and graphics) and the
    albumentations ``augment`` apply to both classes alike, so they never predict the label.
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
    ) -> None:
        super().__init__()
        from synth.video import BlockCorruptionSynth

        threadpool_limits(1, user_api="blas")
        classes = list(classes)
        unknown = [k for k in defects if k not in classes]
        if unknown or len(defects) != 1:
            raise ValueError(
                f"data.defects must hold exactly one defect named after a class of {classes}, got {list(defects)}"
            )
        self.synth = BlockCorruptionSynth(
            source,
            next(iter(defects.values())),
            negatives=negatives,
            augment=augment,
            height=height,
            width=width,
            seed=seed,
            classes=tuple(classes),
        )
        self.classes = classes
        self.sizes = {"train": train_size, "val": val_size, "test": test_size}
        self.fresh = fresh_train_samples
        self.batch_size, self.num_workers, self.pin_memory = batch_size, num_workers, pin_memory
        self.seed = seed

    def dataset(self, split: str) -> SynthFrameDataset:
        return SynthFrameDataset(self.synth, split, self.sizes[split])

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
