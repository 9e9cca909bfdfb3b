"""Cutting decoded audio into fixed-length segments, the unit every audio detector labels."""

from __future__ import annotations

import numpy as np


def cut_segments(audio: np.ndarray, segment_samples: int, min_fraction: float = 0.5) -> np.ndarray:
    """``(1, n)`` or ``(n,)`` -> ``(k, segment_samples)``; a last partial segment is zero-padded if
    it holds at least ``min_fraction`` of a segment (a clip shorter than one segment always counts)."""
    x = np.asarray(audio, dtype=np.float32).reshape(-1)
    full, rest = divmod(len(x), segment_samples)
    out = [x[i * segment_samples : (i + 1) * segment_samples] for i in range(full)]
    if rest and (rest >= min_fraction * segment_samples or full == 0):
        out.append(np.pad(x[full * segment_samples :], (0, segment_samples - rest)))
    if not out:
        return np.zeros((0, segment_samples), np.float32)
    return np.stack(out).astype(np.float32, copy=False)
