"""Data module of 2-s audio segments with per-10-ms-frame dropout labels (``detector=audio_dropout``).

:class:`DropoutSegmentSynth` draws a pristine segment from an audio source (procedural content, or
the user's own files with :class:`synth.audio.FolderAudio`) and applies the one defect on every
other index, so every split is exactly balanced (even indices clean). Frame ``i`` covers samples
``[i * hop, (i + 1) * hop)`` (``hop = sample_rate * frame_s``, 160 at 16 kHz) and is labelled 1 when
at least half of it lies inside a defect span (``Target.segments``, the exact changed samples,
ramps included), the rule :func:`frame_labels` implements and the FFmpeg baseline's
``block_flags`` use too.

A sample is a pure function of ``(seed, split, index)``: its generator is
``synth.core.sample_rng(seed, split, index)``, so a segment of the procedural source is exactly the
one :class:`synth.audio.AudioArtifactSynth` gives for the same index. Only a pristine segment that
already holds digital silence (a run of exact zeros of ``content_silence_ms`` or more: the padding
of a file shorter than the segment, the silent head of a track) is drawn again, from stream 1, 2,
... of the same sample (at most ``max_redraws`` times), since such a silence would be an unlabelled
dropout in a "clean" segment. The procedural source never has one (a -96 dBFS floor lies under all
of it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from synth.audio.base import AudioDefect, AudioSource, check_audio
from synth.core import AudioMeta, Target, sample_rng
from vqa_train.data.base import SynthDataset, SyntheticDataModule, single_defect


def frame_labels(segments: Sequence[tuple[int, int]], num_samples: int, hop: int) -> np.ndarray:
    """uint8 ``(num_samples // hop,)``: 1 where at least half of the frame's samples lie in a span."""
    inside = np.zeros(num_samples, dtype=np.int32)
    for start, end in segments:
        inside[max(0, int(start)) : max(0, int(end))] = 1
    frames = num_samples // hop
    counts = inside[: frames * hop].reshape(frames, hop).sum(axis=1)
    return (2 * counts >= hop).astype(np.uint8)


def longest_zero_run(audio: np.ndarray) -> int:
    """Samples in the longest run where every channel is exactly 0."""
    zero = np.all(audio == 0, axis=0).astype(np.int8)
    if not zero.any():
        return 0
    edges = np.diff(np.concatenate([[0], zero, [0]]))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


class DropoutSegmentSynth:
    """Labelled segments with frame labels from ``(seed, split, index)`` alone.

    ``sample(split, index)`` -> ``(audio float32 (1, N), frame_labels uint8 (N // hop,), Target)``;
    ``target.stats["source"]`` is the source's description (``kind`` for procedural content) and
    ``target.stats["redraws"]`` how many pristine segments were rejected for holding digital silence.
    """

    def __init__(
        self,
        source: AudioSource,
        defect: AudioDefect,
        classes: Sequence[str],
        sample_rate: int,
        segment_s: float,
        frame_s: float,
        seed: int,
        clean_label: str = "clean",
        content_silence_ms: float | None = 10.0,
        max_redraws: int = 8,
    ) -> None:
        classes = list(classes)
        if len(classes) != 2 or clean_label not in classes:
            raise ValueError(
                f"classes must be [clean_label, defect label], got {classes} (clean {clean_label!r})"
            )
        hop = sample_rate * frame_s
        if abs(hop - round(hop)) > 1e-6 or round(hop) < 1:
            raise ValueError(f"frame_s * sample_rate must be a whole number of samples, got {hop}")
        if max_redraws < 0:
            raise ValueError(f"max_redraws must be >= 0, got {max_redraws}")
        self.source, self.defect = source, defect
        self.classes, self.clean_label = classes, clean_label
        self.sample_rate = int(sample_rate)
        self.num_samples = int(round(segment_s * sample_rate))
        self.hop = int(round(hop))
        self.num_frames = self.num_samples // self.hop
        self.seed = int(seed)
        self.silence_samples = (
            None
            if content_silence_ms is None
            else max(1, int(round(content_silence_ms * sample_rate / 1000)))
        )
        self.max_redraws = int(max_redraws)
        self.meta = AudioMeta(sample_rate=self.sample_rate)

    def label_of(self, index: int) -> str:
        return self.classes[index % len(self.classes)]

    def sample(self, split: str, index: int) -> tuple[np.ndarray, np.ndarray, Target]:
        label = self.label_of(index)
        for attempt in range(self.max_redraws + 1):
            rng = sample_rng(self.seed, split, index, stream=attempt)
            clean, info = self.source.segment(rng, split, self.num_samples, self.sample_rate)
            check_audio(clean, "source segment")
            if self.silence_samples is None or longest_zero_run(clean) < self.silence_samples:
                break
        if label == self.clean_label:
            audio, target = clean, Target(label=label)
        else:
            audio, target = self.defect(clean, rng, self.meta)
        target.stats["source"] = info
        target.stats["redraws"] = attempt
        return audio, frame_labels(target.segments, self.num_samples, self.hop), target


class SynthAudioFrameDataset(SynthDataset):
    """``dataset[i]`` -> (waveform float32 ``(N,)``, frame labels float32 ``(F,)``, class index)."""

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        audio, labels, target = self.synth.sample(self.split, int(index))
        return (
            torch.from_numpy(audio[0].copy()),
            torch.from_numpy(labels.astype(np.float32)),
            self.class_index[target.label],
        )


class AudioFrameDataModule(SyntheticDataModule):
    """Batches ``(wave float32 (B, N), frame_labels float32 (B, F), clip_label long (B,))``."""

    def __init__(
        self,
        source: AudioSource,
        defects: Mapping[str, AudioDefect],
        classes: Sequence[str] = ("clean", "dropout"),
        clean_label: str = "clean",
        sample_rate: int = 16000,
        segment_s: float = 2.0,
        frame_s: float = 0.01,
        content_silence_ms: float | None = 10.0,
        max_redraws: int = 8,
        seed: int = 0,
        train_size: int = 4000,
        val_size: int = 500,
        test_size: int = 1000,
        fresh_train_samples: bool = True,
        batch_size: int = 32,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        super().__init__(
            seed, train_size, val_size, test_size, fresh_train_samples, batch_size, num_workers, pin_memory
        )
        classes = list(classes)
        self.synth = DropoutSegmentSynth(
            source,
            single_defect(defects, classes),
            classes,
            sample_rate,
            segment_s,
            frame_s,
            seed,
            clean_label,
            content_silence_ms,
            max_redraws,
        )
        self.classes = classes
        self.sample_rate = int(sample_rate)
        self.frame_s = float(frame_s)

    def dataset(self, split: str) -> SynthAudioFrameDataset:
        return SynthAudioFrameDataset(self.synth, split, self.sizes[split])
