"""Delivery round trips: what programme audio goes through between the mix and the viewer.

Synthetic segments are float32 and never meet a codec, while real programme audio reaches a
detector through a lossy codec: a perceptual encoder spends few bits on noise it judges masked
(faint hiss) and spreads a short click over its transform window. :func:`codec_round_trip` runs one
segment through such a chain in-process, so a training recipe can show the model what defects look
like after delivery (``data.codec_prob``) and an evaluation can measure what delivery costs
(``experiments/audio_artifacts/codec_robustness.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import resample_poly

from synth.audio.dropout_realset import CODECS, decode_on_timeline, encode

CODEC_RATE = 48000  # delivery rate: the one rate every codec of dropout_realset.CODECS takes
# Rates each codec's encoder takes besides CODEC_RATE (Opus takes 48 kHz only among the usual ones).
NATIVE_RATES = {
    "aac": {16000, 22050, 24000, 32000, 44100, 48000},
    "mp3": {16000, 22050, 24000, 32000, 44100, 48000},
}
FAST_OPTIONS = {"aac": {"aac_coder": "fast"}}  # the encoder's quick mode, where it has one
KBPS_BOUNDS = (8.0, 320.0)  # bit rates a round trip accepts


def codec_round_trip(
    audio: np.ndarray, sample_rate: int, codec: str = "aac", fast: bool = False, kbps: float | None = None
) -> np.ndarray:
    """``audio`` (float32 ``(channels, n)``, mono or downmixed first) resampled to 48 kHz, encoded
    with ``codec`` (``aac`` 96 kbit/s, ``mp3``, ``opus``: :data:`CODECS`) through PyAV's FFmpeg,
    decoded on its timeline (in memory) and resampled back: float32 ``(1, n)``, time-aligned with
    the input. ``kbps`` replaces the codec's bit rate.

    ``fast`` is the cheap variant for training data: the segment is encoded at its own rate where
    the codec takes it (no resampling either way) and with the encoder's quick mode (AAC's
    ``aac_coder=fast``, no perceptual search for the quantisers): about 4 ms per 1-s segment at
    32 kHz against about 17 ms. It is not a stand-in for the full round trip: at the same bit rate it
    keeps more of the quiet noise and the top octave, and a model trained on it keeps only a third of
    the full share's gain after real AAC (experiments/audio_artifacts/README.md, "After 16-bit PCM
    and AAC").

    Deterministic (single-threaded encoder), so synthetic samples stay a function of their seed.
    """
    if codec not in CODECS:
        raise ValueError(f"unknown codec {codec!r}; choose one of {sorted(CODECS)}")
    if kbps is not None and not KBPS_BOUNDS[0] <= kbps <= KBPS_BOUNDS[1]:
        raise ValueError(
            f"codec bit rate must be in [{KBPS_BOUNDS[0]:g}, {KBPS_BOUNDS[1]:g}] kbit/s, got {kbps}"
        )
    mono = np.asarray(audio, dtype=np.float64).reshape(-1, np.shape(audio)[-1]).mean(axis=0)
    n = mono.shape[0]
    native = fast and int(sample_rate) in NATIVE_RATES.get(codec, ())
    rate = int(sample_rate) if native else CODEC_RATE
    coded = mono if native else resample_poly(mono, CODEC_RATE, sample_rate)
    coded = np.clip(coded, -1.0, 1.0).astype(np.float32)
    options = FAST_OPTIONS.get(codec) if fast else None
    back = decode_on_timeline(encode(coded, rate, codec, options, kbps), sample_rate)[:n]
    out = np.zeros((1, n), dtype=np.float32)
    out[0, : len(back)] = back
    return out
