"""Per-sample generation of labelled audio segments: pristine source + at most one defect."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from synth.audio.base import AudioDefect, AudioSource, check_audio
from synth.audio.delivery import KBPS_BOUNDS, codec_round_trip
from synth.audio.functional import defect_frames
from synth.core import AudioMeta, Target, sample_rng

FRAME_S = 0.01  # frames of sample_with_frames: 10 ms, the PANN mel hop (320 samples at 32 kHz)


class AudioArtifactSynth:
    """Labelled segments from ``(seed, split, index)`` alone.

    Labels cycle through ``classes`` by index, so every split is exactly balanced and a sample's
    label never depends on which worker asked for it. ``clean_label`` is the defect-free class.

    ``codec_prob`` > 0 passes that share of the samples, clean or not, through an AAC round trip
    after the defect (:func:`synth.audio.delivery.codec_round_trip`; ``target.stats["codec"]``
    says which), drawn last from the sample's generator: with 0 (the default) no draw is made and
    every sample is what it was before the option existed.
    """

    def __init__(
        self,
        source: AudioSource,
        defects: Mapping[str, AudioDefect],
        classes: Sequence[str],
        sample_rate: int,
        segment_s: float,
        seed: int,
        clean_label: str = "none",
        codec_prob: float = 0.0,
        codec_fast: bool = False,
        codec_kbps_range: Sequence[float] | None = None,
    ) -> None:
        if not 0.0 <= float(codec_prob) <= 1.0:
            raise ValueError(f"data.codec_prob must be in [0, 1], got {codec_prob}")
        if codec_kbps_range is not None:
            codec_kbps_range = tuple(float(v) for v in codec_kbps_range)
            low, high = KBPS_BOUNDS
            if len(codec_kbps_range) != 2 or not low <= codec_kbps_range[0] <= codec_kbps_range[1] <= high:
                raise ValueError(
                    f"data.codec_kbps_range must be [low, high] within [{low:g}, {high:g}] kbit/s, "
                    f"got {list(codec_kbps_range)}"
                )
        classes = list(classes)
        missing = [c for c in classes if c != clean_label and c not in defects]
        if missing:
            raise ValueError(f"classes {missing} have no defect; configured defects: {sorted(defects)}")
        unused = [d for d in defects if d not in classes]
        if unused:
            raise ValueError(f"defects {unused} are not in classes {classes}")
        self.source = source
        self.defects = dict(defects)
        self.classes = classes
        self.clean_label = clean_label
        self.sample_rate = int(sample_rate)
        self.num_samples = int(round(segment_s * sample_rate))
        self.seed = int(seed)
        self.meta = AudioMeta(sample_rate=self.sample_rate)
        self.codec_prob = float(codec_prob)
        self.codec_fast = bool(codec_fast)
        self.codec_kbps_range = codec_kbps_range

    def label_of(self, index: int) -> str:
        return self.classes[index % len(self.classes)]

    def sample(self, split: str, index: int) -> tuple[np.ndarray, Target]:
        """The ``index``-th sample of ``split``: float32 ``(1, num_samples)`` and its ground truth."""
        audio, target, _, _ = self._generate(split, index)
        return audio, target

    def sample_with_frames(
        self, split: str, index: int, frame_s: float = FRAME_S, min_db: float = -40.0
    ) -> tuple[np.ndarray, Target, np.ndarray]:
        """:meth:`sample` plus where the defect is: bool ``(num_samples // frame,)`` per ``frame_s``
        frame (:func:`synth.audio.functional.defect_frames`, measured before any codec round trip;
        all False for a clean sample). The audio and target are exactly :meth:`sample`'s."""
        audio, target, clean, defective = self._generate(split, index)
        frame = int(round(frame_s * self.sample_rate))
        if target.label == self.clean_label:
            return audio, target, np.zeros(self.num_samples // frame, dtype=bool)
        return audio, target, defect_frames(clean, defective, target.segments, frame, min_db)

    def _generate(self, split: str, index: int) -> tuple[np.ndarray, Target, np.ndarray, np.ndarray]:
        """(delivered audio, target, clean source, audio after the defect and before any codec)."""
        rng = sample_rng(self.seed, split, index)
        label = self.label_of(index)
        clean, info = self.source.segment(rng, split, self.num_samples, self.sample_rate)
        check_audio(clean, "source segment")
        if label == self.clean_label:
            audio, target = clean, Target(label=label)
        else:
            audio, target = self.defects[label](clean, rng, self.meta)
        defective = audio
        if self.codec_prob > 0 and rng.random() < self.codec_prob:
            kbps = None if self.codec_kbps_range is None else float(rng.uniform(*self.codec_kbps_range))
            audio = codec_round_trip(audio, self.sample_rate, fast=self.codec_fast, kbps=kbps)
            variant = " fast" if self.codec_fast else ""
            target.stats["codec"] = f"aac{variant}" if kbps is None else f"aac{variant} {kbps:.0f}k"
        target.stats["source"] = info
        return audio, target, clean, defective
