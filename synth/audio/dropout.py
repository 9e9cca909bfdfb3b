"""Dropouts: short digital silences or mutes inside programme audio, at exact sample spans."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from synth.audio import functional
from synth.audio.base import AudioDefect, check_audio
from synth.core import AudioMeta, Target, integer, uniform

MODES = ("zero", "mute")
MIN_GAP_MS = 10.0  # two dropouts closer than this are heard as one


@dataclass(frozen=True)
class Dropout(AudioDefect):
    """Dropouts: the programme vanishes for a moment and comes back.

    ``spans_range`` (1-4) spans per segment, each ``span_ms_range`` (10-500 ms, log-uniform: short
    packet losses are the common case) long, in a style from ``mode_choices``:

    - ``zero``: exact digital silence on every channel (a lost packet or buffer underrun filled
      with zeros): hard edges, the programme cut mid-waveform;
    - ``mute``: the gain pulled to ``mute_gain_db_range`` (-80 to -60 dB) through raised-cosine
      ramps of ``ramp_ms_range`` (0.5-5 ms, at most a quarter of the span) at both ends (a muting
      circuit, a codec concealing a loss by fading out): nearly silent, without a click.

    Spans are placed at relative positions (``positions`` in [0, 1) of the room left for them),
    sorted, at least ``MIN_GAP_MS`` (10 ms) apart; a span that would overlap the previous one is
    dropped, so the same params fit any segment length. Each segment is the exact changed span,
    ramps included; ``stats["cores"]`` are the fully muted parts (the whole span for ``zero``).
    Natural pauses are the hard negative: the procedural source's speech has phrase breaks of
    0.15-0.5 s over room tone and music has rests and note releases, all above its -96 dBFS noise
    floor and with natural decays, never exact zeros or millisecond gain ramps.
    """

    label: ClassVar[str] = "dropout"
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"mode_choices": MODES}
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "spans_range": (1, 64),
        "span_ms_range": (0.1, 10000.0),
        "mute_gain_db_range": (-200.0, -20.0),
        "ramp_ms_range": (0.0, 100.0),
    }

    mode_choices: tuple[str, ...] = MODES
    spans_range: tuple[int, int] = (1, 4)
    span_ms_range: tuple[float, float] = (10.0, 500.0)
    mute_gain_db_range: tuple[float, float] = (-80.0, -60.0)
    ramp_ms_range: tuple[float, float] = (0.5, 5.0)

    def sample_params(self, rng: np.random.Generator, meta: AudioMeta) -> dict[str, Any]:
        count = integer(rng, self.spans_range)
        lo, hi = self.span_ms_range
        spans = []
        for _ in range(count):
            mode = str(self.mode_choices[int(rng.integers(len(self.mode_choices)))])
            span = {
                "mode": mode,
                "position": float(rng.random()),
                "length_ms": float(math.exp(uniform(rng, (math.log(lo), math.log(hi))))),
            }
            if mode == "mute":
                span["gain_db"] = uniform(rng, self.mute_gain_db_range)
                span["ramp_ms"] = uniform(rng, self.ramp_ms_range)
            spans.append(span)
        return {"spans": spans}

    def apply(self, audio: np.ndarray, params: dict[str, Any], meta: AudioMeta) -> tuple[np.ndarray, Target]:
        check_audio(audio)
        n, sr = audio.shape[1], meta.sample_rate
        gap = int(round(MIN_GAP_MS * sr / 1000.0))
        placed: list[tuple[int, int, dict[str, Any]]] = []
        for span in params["spans"]:
            length = min(max(1, int(round(span["length_ms"] * sr / 1000.0))), n)
            start = int(span["position"] * (n - length + 1))
            placed.append((start, start + length, span))
        placed.sort(key=lambda item: item[0])
        kept: list[tuple[int, int, dict[str, Any]]] = []
        for start, end, span in placed:
            if not kept or start >= kept[-1][1] + gap:
                kept.append((start, end, span))
        out = audio.copy()
        gain = np.ones(n, dtype=np.float64)
        cores, content = [], []
        for start, end, span in kept:
            content.append(_dbfs(functional.rms(audio[:, start:end])))
            if span["mode"] == "zero":
                gain[start:end] = 0.0
                cores.append((start, end))
                continue
            floor = 10.0 ** (float(span["gain_db"]) / 20.0)
            ramp = min(int(round(span["ramp_ms"] * sr / 1000.0)), (end - start) // 4)
            envelope = np.full(end - start, floor)
            if ramp > 0:
                fall = floor + (1.0 - floor) * 0.5 * (
                    1.0 + np.cos(np.pi * (np.arange(1, ramp + 1) / (ramp + 1)))
                )
                envelope[:ramp] = fall
                envelope[len(envelope) - ramp :] = fall[::-1]
            gain[start:end] = envelope
            cores.append((start + ramp, end - ramp))
        changed = gain != 1.0
        out[:, changed] = (audio[:, changed] * gain[changed]).astype(np.float32)
        segments = [(start, end) for start, end, _ in kept]
        stats = {
            "count": len(kept),
            "modes": [span["mode"] for _, _, span in kept],
            "cores": [list(core) for core in cores],
            "lengths_ms": [(end - start) * 1000.0 / sr for start, end, _ in kept],
            "content_dbfs": content,
        }
        return out, Target(label=self.label, segments=segments, params=params, stats=stats)


def _dbfs(level: float) -> float:
    """An RMS level in dBFS, floored at -200 (digital silence)."""
    return float(20.0 * math.log10(level)) if level > 1e-10 else -200.0
