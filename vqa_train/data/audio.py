"""Data module of labelled 1-second audio segments from the synthetic generator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from synth.audio.base import AudioDefect, AudioSource
from synth.audio.synthesizer import AudioArtifactSynth
from vqa_train.data.base import SynthDataset, SyntheticDataModule


class SynthAudioDataset(SynthDataset):
    """``dataset[i]`` -> (waveform float32 ``(samples,)``, class index) of sample ``i`` of a split."""

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        audio, target = self.synth.sample(self.split, int(index))
        return torch.from_numpy(audio[0].copy()), self.class_index[target.label]


class AudioArtifactDataModule(SyntheticDataModule):
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
        codec_prob: float = 0.0,
        codec_fast: bool = False,
        codec_kbps_range: Sequence[float] | None = None,
    ) -> None:
        super().__init__(
            seed, train_size, val_size, test_size, fresh_train_samples, batch_size, num_workers, pin_memory
        )
        self.synth = AudioArtifactSynth(
            source,
            dict(defects),
            list(classes),
            sample_rate,
            segment_s,
            seed,
            clean_label,
            codec_prob,
            codec_fast,
            codec_kbps_range,
        )
        self.classes = list(classes)

    def dataset(self, split: str) -> SynthAudioDataset:
        return SynthAudioDataset(self.synth, split, self.sizes[split])
