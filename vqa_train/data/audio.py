"""Data module of labelled 1-second audio segments from the synthetic generator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import lightning as L
import torch
from threadpoolctl import threadpool_limits
from torch.utils.data import DataLoader, Dataset

from synth.audio.base import AudioDefect, AudioSource
from synth.audio.synthesizer import AudioArtifactSynth
from vqa_train.data.samplers import EpochIndexSampler


class SynthAudioDataset(Dataset):
    """``dataset[i]`` -> (waveform float32 ``(samples,)``, class index) of sample ``i`` of a split.

    Any non-negative index is valid (fresh epochs use indices beyond ``len``).
    """

    def __init__(self, synth: AudioArtifactSynth, split: str, size: int) -> None:
        self.synth, self.split, self.size = synth, split, int(size)
        self.class_index = {c: i for i, c in enumerate(synth.classes)}

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        audio, target = self.synth.sample(self.split, int(index))
        return torch.from_numpy(audio[0].copy()), self.class_index[target.label]


def single_thread_worker(worker_id: int) -> None:
    """DataLoader workers synthesise with one BLAS and one torch thread: the cores are the trainer's."""
    threadpool_limits(1, user_api="blas")
    torch.set_num_threads(1)


class AudioArtifactDataModule(L.LightningDataModule):
    def __init__(
        self,
        source: AudioSource,
        defects: Mapping[str, AudioDefect],
        classes: Sequence[str],
        clean_label: str = "none",
        sample_rate: int = 32000,
        segment_s: float = 1.0,
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
        threadpool_limits(1, user_api="blas")  # also when synthesising in the main process
        self.synth = AudioArtifactSynth(
            source, dict(defects), list(classes), sample_rate, segment_s, seed, clean_label
        )
        self.classes = list(classes)
        self.sizes = {"train": train_size, "val": val_size, "test": test_size}
        self.fresh = fresh_train_samples
        self.batch_size, self.num_workers, self.pin_memory = batch_size, num_workers, pin_memory
        self.seed = seed
        self.train_sampler: EpochIndexSampler | None = None

    def dataset(self, split: str) -> SynthAudioDataset:
        return SynthAudioDataset(self.synth, split, self.sizes[split])

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
        self.train_sampler = EpochIndexSampler(self.sizes["train"], self.seed, shuffle=True, fresh=self.fresh)
        return self._loader("train", self.train_sampler)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", EpochIndexSampler(self.sizes["val"], self.seed, shuffle=False))

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", EpochIndexSampler(self.sizes["test"], self.seed, shuffle=False))
