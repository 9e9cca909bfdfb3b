"""Hiss: stationary broadband noise (white, pink, brown-ish or blue) across the whole clip."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from synth.audio import functional
from synth.audio.base import AudioDefect, check_audio
from synth.core import AudioMeta, Target, integer, uniform

COLOUR_SLOPES_DB_PER_OCTAVE = {"white": 0.0, "pink": -3.0, "brown": -6.0, "blue": 3.0, "violet": 6.0}
DEFAULT_COLOURS = ("white", "pink", "brown", "blue")


@dataclass(frozen=True)
class Hiss(AudioDefect):
    """Additive noise: tape and preamp hiss, a noisy ADC, low-bitrate noise floor.

    ``colour_choices`` picks the power-spectrum slope (white 0, pink -3, brown -6, blue +3 dB per
    octave), shifted by ``slope_jitter_db_range`` (+/-1 dB/octave) so colours form a continuum:
    tape and analogue chains hiss white to pink, rumbly sources are brown-ish, dither and noise
    shaping push noise up in frequency (blue; ``violet``, +6 dB per octave, the steeper end of
    noise-shaped dither, is not drawn by default: add it to ``colour_choices``).
    ``snr_db_range`` (5-30 dB, clip RMS over noise RMS) spans a broken feed to a noisy-but-usable recording; 30 dB of white hiss is still clearly
    audible in the high band of music and speech. ``floor_dbfs_range`` (-60 to -48 dBFS RMS) is
    the noise floor of a noisy chain, so near-silent clips still carry audible hiss (the achieved
    SNR is then lower, and recorded in ``Target.stats["snr_db"]``). Likewise the noise is raised
    until it is ``band_margin_db_range`` (0-6 dB) louder than the clip in at least one octave band
    between 0.5 and 16 kHz: hiss drowned in every band (under rain, cymbals, a dense mix) is not
    heard, so it would be a mislabelled clean clip. Channels get independent noise.
    """

    label: ClassVar[str] = "hiss"
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"colour_choices": tuple(COLOUR_SLOPES_DB_PER_OCTAVE)}
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "snr_db_range": (-20.0, 80.0),
        "floor_dbfs_range": (-120.0, 0.0),
        "band_margin_db_range": (-40.0, 40.0),
        "slope_jitter_db_range": (-6.0, 6.0),
    }

    colour_choices: tuple[str, ...] = DEFAULT_COLOURS
    slope_jitter_db_range: tuple[float, float] = (-1.0, 1.0)
    snr_db_range: tuple[float, float] = (5.0, 30.0)
    floor_dbfs_range: tuple[float, float] = (-60.0, -48.0)
    band_margin_db_range: tuple[float, float] = (0.0, 6.0)

    def sample_params(self, rng: np.random.Generator, meta: AudioMeta) -> dict[str, Any]:
        colour = str(self.colour_choices[int(rng.integers(len(self.colour_choices)))])
        slope = COLOUR_SLOPES_DB_PER_OCTAVE[colour] + uniform(rng, self.slope_jitter_db_range)
        return {
            "colour": colour,
            "slope_db_per_octave": float(slope),
            "snr_db": uniform(rng, self.snr_db_range),
            "floor_dbfs": uniform(rng, self.floor_dbfs_range),
            "band_margin_db": uniform(rng, self.band_margin_db_range),
            "noise_seed": integer(rng, (0, 2**31 - 1)),
        }

    def apply(self, audio: np.ndarray, params: dict[str, Any], meta: AudioMeta) -> tuple[np.ndarray, Target]:
        check_audio(audio)
        out, stats = functional.add_hiss(
            audio,
            meta.sample_rate,
            slope_db_per_octave=params["slope_db_per_octave"],
            snr_db=params["snr_db"],
            floor_dbfs=params["floor_dbfs"],
            margin_db=params["band_margin_db"],
            noise_seed=params["noise_seed"],
        )
        segments = [(0, audio.shape[1])] if audio.shape[1] else []
        return out, Target(label=self.label, segments=segments, params=params, stats=stats)
