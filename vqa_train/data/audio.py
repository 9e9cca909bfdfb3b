"""Data module of labelled 1-second audio segments from the synthetic generator."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from synth.audio.base import AudioDefect, AudioSource
from synth.audio.synthesizer import AudioArtifactSynth
from vqa_train.data.base import SynthDataset, SyntheticDataModule


class SynthAudioDataset(SynthDataset):
    """``dataset[i]`` -> (waveform float32 ``(samples,)``, class index) of sample ``i`` of a split;
    the label comes last, as in every dataset of the project.

    With ``frame_target_db`` set, a middle item says where the defect is: bool ``(samples // 10 ms,)``
    (:meth:`AudioArtifactSynth.sample_with_frames`, frames whose change reaches that many dB of the
    clean frame's energy), for a loss on where as well as what.
    """

    def __init__(
        self, synth: AudioArtifactSynth, split: str, size: int, frame_target_db: float | None = None
    ) -> None:
        super().__init__(synth, split, size)
        self.frame_target_db = frame_target_db

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        if self.frame_target_db is None:
            audio, target = self.synth.sample(self.split, int(index))
            return torch.from_numpy(audio[0].copy()), self.class_index[target.label]
        audio, target, frames = self.synth.sample_with_frames(
            self.split, int(index), min_db=self.frame_target_db
        )
        return torch.from_numpy(audio[0].copy()), torch.from_numpy(frames), self.class_index[target.label]


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
        frame_targets: bool = False,
        frame_target_db: float = -40.0,
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
        self.frame_target_db = float(frame_target_db) if frame_targets else None

    def dataset(self, split: str) -> SynthAudioDataset:
        return SynthAudioDataset(self.synth, split, self.sizes[split], self.frame_target_db)
