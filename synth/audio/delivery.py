"""Delivery round trips: what programme audio goes through between the mix and the viewer.

Synthetic segments are float32 and never meet a codec, while real programme audio reaches a
detector through a lossy codec: a perceptual encoder spends few bits on noise it judges masked
(faint hiss) and spreads a short click over its transform window. :func:`codec_round_trip` runs one
segment through such a chain in-process, so a training recipe can show the model what defects look
like after delivery (``data.codec_prob``) and an evaluation can measure what delivery costs
(``experiments/audio_artifacts/codec_robustness.py``).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from scipy.signal import resample_poly

from synth.audio.dropout_realset import CODECS, decode_on_timeline, encode

CODEC_RATE = 48000  # delivery rate: the one rate every codec of dropout_realset.CODECS takes


def codec_round_trip(audio: np.ndarray, sample_rate: int, codec: str = "aac") -> np.ndarray:
    """``audio`` (float32 ``(channels, n)``, mono or downmixed first) resampled to 48 kHz, encoded
    with ``codec`` (``aac`` 96 kbit/s, ``mp3``, ``opus``: :data:`CODECS`) through PyAV's FFmpeg,
    decoded on its timeline and resampled back: float32 ``(1, n)``, time-aligned with the input.

    Deterministic (single-threaded encoder), so synthetic samples stay a function of their seed.
    """
    if codec not in CODECS:
        raise ValueError(f"unknown codec {codec!r}; choose one of {sorted(CODECS)}")
    mono = np.asarray(audio, dtype=np.float64).reshape(-1, np.shape(audio)[-1]).mean(axis=0)
    n = mono.shape[0]
    up = np.clip(resample_poly(mono, CODEC_RATE, sample_rate), -1.0, 1.0).astype(np.float32)
    fd, path = tempfile.mkstemp(suffix=CODECS[codec][1])
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(encode(up, CODEC_RATE, codec))
        back = decode_on_timeline(path, sample_rate)[:n]
    finally:
        os.unlink(path)
    out = np.zeros((1, n), dtype=np.float32)
    out[0, : len(back)] = back
    return out
