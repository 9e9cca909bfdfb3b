"""What every synthetic data module shares: split sizes, the fresh-sample sampler and loaders.

A subclass builds its synthesiser and implements :meth:`SyntheticDataModule.dataset`. Samples are
a pure function of ``(seed, split, index)``, so the data never depends on worker count or order;
with ``fresh_train_samples`` every training epoch draws new indices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import lightning as L
import torch
from threadpoolctl import threadpool_limits
from torch.utils.data import DataLoader, Dataset

from vqa_train.data.samplers import EpochIndexSampler


def single_thread_worker(worker_id: int) -> None:
    """DataLoader workers synthesise with one BLAS and one torch thread: the cores are the trainer's."""
    threadpool_limits(1, user_api="blas")
    torch.set_num_threads(1)


def single_defect(defects: Mapping[str, Any], classes: Sequence[str]) -> Any:
    """The one defect of a two-class detector, which must be keyed by a class name."""
    unknown = [k for k in defects if k not in classes]
    if unknown or len(defects) != 1:
        raise ValueError(
            f"data.defects must hold exactly one defect named after a class of {list(classes)}, got {list(defects)}"
        )
    return next(iter(defects.values()))


class SynthDataset(Dataset):
    """Sample ``i`` of a split of a synthesiser; any non-negative index is valid (fresh epochs use
    indices beyond ``len``). Subclasses turn ``synth.sample(split, i)`` into tensors."""

    def __init__(self, synth: Any, split: str, size: int) -> None:
        self.synth, self.split, self.size = synth, split, int(size)
        self.class_index = {c: i for i, c in enumerate(synth.classes)}

    def __len__(self) -> int:
        return self.size


class SyntheticDataModule(L.LightningDataModule):
    def __init__(
        self,
        seed: int,
        train_size: int,
        val_size: int,
        test_size: int,
        fresh_train_samples: bool,
        batch_size: int,
        num_workers: int,
        pin_memory: bool,
        train_epoch_offset: int = 0,
    ) -> None:
        super().__init__()
        threadpool_limits(1, user_api="blas")  # also when synthesising in the main process
        self.seed = seed
        self.sizes = {"train": train_size, "val": val_size, "test": test_size}
        self.fresh = fresh_train_samples
        self.train_epoch_offset = int(train_epoch_offset)
        self.batch_size, self.num_workers, self.pin_memory = batch_size, num_workers, pin_memory
        self.train_sampler: EpochIndexSampler | None = None
        self.sampler_block = 1  # runs of indices the train sampler keeps together (see EpochIndexSampler)

    def dataset(self, split: str) -> Dataset:
        raise NotImplementedError

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
        self.train_sampler = EpochIndexSampler(
            self.sizes["train"],
            self.seed,
            shuffle=True,
            fresh=self.fresh,
            block=self.sampler_block,
            epoch_offset=self.train_epoch_offset,
        )
        return self._loader("train", self.train_sampler)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", EpochIndexSampler(self.sizes["val"], self.seed, shuffle=False))

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", EpochIndexSampler(self.sizes["test"], self.seed, shuffle=False))
