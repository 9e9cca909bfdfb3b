"""Audio-specific pieces of the defect contract: layout checks and the source protocol."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from synth.core import Defect


def check_audio(audio: np.ndarray, where: str = "audio") -> None:
    """Audio crosses every boundary as float32 ``(channels, samples)``."""
    if not isinstance(audio, np.ndarray) or audio.ndim != 2 or audio.dtype != np.float32:
        shape = getattr(audio, "shape", None)
        dtype = getattr(audio, "dtype", type(audio).__name__)
        raise ValueError(f"{where} must be float32 (channels, samples), got shape={shape} dtype={dtype}")


def fit_peak(audio: np.ndarray, peak: float = 0.99) -> np.ndarray:
    """Scale down (never up) so |x| <= peak: additive defects must not introduce clipping."""
    m = float(np.max(np.abs(audio))) if audio.size else 0.0
    if m > peak:
        audio = audio * np.float32(peak / m)
    return audio.astype(np.float32, copy=False)


class AudioDefect(Defect):
    """A defect over float32 ``(channels, samples)`` audio in [-1, 1]; ``meta`` is an ``AudioMeta``."""


class AudioSource(Protocol):
    """Pristine audio. ``segment`` draws only from ``rng`` and depends on nothing else mutable."""

    def segment(
        self, rng: np.random.Generator, split: str, num_samples: int, sample_rate: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """One mono float32 ``(1, num_samples)`` segment plus a description of where it came from."""
        ...
