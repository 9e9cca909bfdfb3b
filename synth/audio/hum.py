"""Mains hum and buzz: a 50 or 60 Hz fundamental plus harmonics, across the whole clip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from synth.audio import functional
from synth.audio.base import AudioDefect, check_audio
from synth.core import AudioMeta, Target, integer, uniform

VARIANTS = ("hum", "buzz")


@dataclass(frozen=True)
class Hum(AudioDefect):
    """Mains interference: ground-loop hum or rectifier/dimmer buzz at 50 or 60 Hz.

    - ``hum``: ``hum_harmonics_range`` (3-10) harmonics falling by ``hum_rolloff_db_range``
      (0.5-6 dB) per harmonic; a ground loop couples the fundamental and the first few harmonics.
    - ``buzz``: ``buzz_harmonics_range`` (11-40) harmonics falling only by
      ``buzz_rolloff_db_range`` (0.2-1.5 dB) each, even ones ``buzz_even_db_range`` (-24 to -6 dB)
      weaker: the odd-heavy spectrum of clipped/switched currents (SCR dimmers, bad shields).

    Every harmonic gets ``harmonic_jitter_db_range`` (+/-3 dB) of random level and a random phase.
    ``level_db_range`` (-24 to -6 dB) is the hum RMS re the clip RMS: at -24 dB hum is plainly
    audible in quiet passages and visible as steady lines on a spectrogram, at -6 dB it is an
    obviously broken recording. ``floor_dbfs_range`` (-50 to -38 dBFS RMS) keeps hum on near-silent
    clips at the level it has on real consumer gear, and ``band_margin_db_range`` (0-6 dB) raises
    it until, around at least one harmonic below 4 kHz (+/-11.5 %, at least +/-25 Hz), it is that
    much louder than the clip: hum buried under a bass line in every band is inaudible. The mains frequency is off by
    ``freq_offset_hz_range`` (+/-0.2 Hz, grid tolerance) and wanders by ``wander_hz_range`` (up to
    0.05 Hz) at ``wander_rate_hz_range`` (0.05-0.3 Hz), as grid frequency does; the level drifts by ``lfo_depth_db_range`` (0-3 dB) at ``lfo_hz_range`` (0.05-0.5 Hz).
    """

    label: ClassVar[str] = "hum"
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"variant_choices": VARIANTS}
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "level_db_range": (-80.0, 20.0),
        "floor_dbfs_range": (-120.0, 0.0),
        "band_margin_db_range": (-40.0, 40.0),
        "hum_harmonics_range": (1, 200),
        "buzz_harmonics_range": (1, 200),
        "hum_rolloff_db_range": (0.0, 40.0),
        "buzz_rolloff_db_range": (0.0, 40.0),
        "buzz_even_db_range": (-60.0, 0.0),
        "harmonic_jitter_db_range": (-20.0, 20.0),
        "lfo_hz_range": (0.0, 10.0),
        "lfo_depth_db_range": (0.0, 20.0),
        "freq_offset_hz_range": (-2.0, 2.0),
        "wander_hz_range": (0.0, 2.0),
        "wander_rate_hz_range": (0.0, 10.0),
    }

    mains_hz_choices: tuple[float, ...] = (50.0, 60.0)
    variant_choices: tuple[str, ...] = VARIANTS
    level_db_range: tuple[float, float] = (-24.0, -6.0)
    floor_dbfs_range: tuple[float, float] = (-50.0, -38.0)
    band_margin_db_range: tuple[float, float] = (0.0, 6.0)
    hum_harmonics_range: tuple[int, int] = (3, 10)
    hum_rolloff_db_range: tuple[float, float] = (0.5, 6.0)
    buzz_harmonics_range: tuple[int, int] = (11, 40)
    buzz_rolloff_db_range: tuple[float, float] = (0.2, 1.5)
    buzz_even_db_range: tuple[float, float] = (-24.0, -6.0)
    harmonic_jitter_db_range: tuple[float, float] = (-3.0, 3.0)
    lfo_hz_range: tuple[float, float] = (0.05, 0.5)
    lfo_depth_db_range: tuple[float, float] = (0.0, 3.0)
    freq_offset_hz_range: tuple[float, float] = (-0.2, 0.2)
    wander_hz_range: tuple[float, float] = (0.0, 0.05)
    wander_rate_hz_range: tuple[float, float] = (0.05, 0.3)

    def __post_init__(self) -> None:
        super().__post_init__()
        bad = [f for f in self.mains_hz_choices if not 40.0 <= float(f) <= 70.0]
        if bad:
            raise ValueError(f"Hum.mains_hz_choices must be mains frequencies in [40, 70] Hz, got {bad}")

    def sample_params(self, rng: np.random.Generator, meta: AudioMeta) -> dict[str, Any]:
        mains = float(self.mains_hz_choices[int(rng.integers(len(self.mains_hz_choices)))])
        variant = str(self.variant_choices[int(rng.integers(len(self.variant_choices)))])
        count = integer(rng, getattr(self, f"{variant}_harmonics_range"))
        rolloff = uniform(rng, getattr(self, f"{variant}_rolloff_db_range"))
        even_db = uniform(rng, self.buzz_even_db_range) if variant == "buzz" else 0.0
        levels_db = []
        for k in range(1, count + 1):
            db = -rolloff * (k - 1) + (even_db if k % 2 == 0 else 0.0)
            levels_db.append(db + uniform(rng, self.harmonic_jitter_db_range))
        return {
            "variant": variant,
            "mains_hz": mains,
            "harmonic_levels_db": [float(d) for d in levels_db],
            "phases": [float(p) for p in rng.uniform(0.0, 2 * np.pi, count)],
            "level_db": uniform(rng, self.level_db_range),
            "floor_dbfs": uniform(rng, self.floor_dbfs_range),
            "band_margin_db": uniform(rng, self.band_margin_db_range),
            "lfo_hz": uniform(rng, self.lfo_hz_range),
            "lfo_depth_db": uniform(rng, self.lfo_depth_db_range),
            "lfo_phase": uniform(rng, (0.0, 2 * np.pi)),
            "freq_offset_hz": uniform(rng, self.freq_offset_hz_range),
            "wander_hz": uniform(rng, self.wander_hz_range),
            "wander_rate_hz": uniform(rng, self.wander_rate_hz_range),
            "wander_phase": uniform(rng, (0.0, 2 * np.pi)),
        }

    def apply(self, audio: np.ndarray, params: dict[str, Any], meta: AudioMeta) -> tuple[np.ndarray, Target]:
        check_audio(audio)
        out, stats = functional.add_hum(
            audio,
            meta.sample_rate,
            mains_hz=params["mains_hz"],
            amplitudes=[functional.db_to_gain(d) for d in params["harmonic_levels_db"]],
            phases=params["phases"],
            level_db=params["level_db"],
            floor_dbfs=params["floor_dbfs"],
            margin_db=params["band_margin_db"],
            lfo_hz=params["lfo_hz"],
            lfo_depth_db=params["lfo_depth_db"],
            lfo_phase=params["lfo_phase"],
            freq_offset_hz=params["freq_offset_hz"],
            wander_hz=params["wander_hz"],
            wander_rate_hz=params["wander_rate_hz"],
            wander_phase=params["wander_phase"],
        )
        segments = [(0, audio.shape[1])] if audio.shape[1] else []
        return out, Target(label=self.label, segments=segments, params=params, stats=stats)
