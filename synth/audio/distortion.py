"""Distortion: the clip driven into a hard, soft or asymmetric clipper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from synth.audio import functional
from synth.audio.base import AudioDefect, check_audio
from synth.core import AudioMeta, Target, uniform

MODES = ("hard", "soft", "asymmetric", "atan")
DEFAULT_MODES = ("hard", "soft", "asymmetric")


@dataclass(frozen=True)
class Distortion(AudioDefect):
    """Overdriven gain stages: digital full-scale clipping, tape/valve saturation, overdrive.

    - ``hard``: flat tops at the ceiling (a converter or codec fed too hot);
    - ``soft``: ``tanh`` saturation (tape, transformer, limiter pushed too far);
    - ``asymmetric``: tanh with the negative half saturating at ``asymmetry_range`` (0.3-0.8) of
      the positive ceiling, adding even harmonics like a single-ended valve or transistor stage;
    - ``atan`` (not drawn by default; add it to ``mode_choices``): an arctangent curve that keeps
      rising past the knee and never flattens, as gentle saturation plug-ins do.

    The pre-gain is set per clip: first the gain that sends ``min_clipped_fraction`` (1 %) of the
    samples to the clip level, then ``drive_db_range`` (0-12 dB) more. So the weakest setting clips
    1 % of the samples whatever the clip's loudness, and the strongest flattens much of the
    waveform as in a badly overdriven live feed. Clipping only a kick drum's peaks or a noise bed is
    not heard as distortion, so the drive is then raised in 3 dB steps (at most +30 dB) until the
    distortion reshapes the spectrum by ``band_margin_db_range`` (2-4 dB: the most affected octave
    band rises that much more than the median band). For soft modes a sample counts as clipped
    once driven past the ceiling (``|gain * x| >= 1``, where tanh already compresses it by
    2.4 dB). ``ceiling_dbfs_range`` (-6 to 0 dBFS) is where the clipper's output saturates: 0 for
    clipping at digital full scale, lower when the clipped signal was later turned down.
    ``Target.stats`` records the measured ``clipped_fraction``, the clip levels, the total gain and
    the extra drive in dB, the spectral ``exposure_db`` and the residual energy (``distortion_db``).
    """

    label: ClassVar[str] = "distortion"
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"mode_choices": MODES}
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "drive_db_range": (0.0, 60.0),
        "ceiling_dbfs_range": (-40.0, 0.0),
        "asymmetry_range": (0.05, 1.0),
        "band_margin_db_range": (-60.0, 40.0),
    }

    mode_choices: tuple[str, ...] = DEFAULT_MODES
    drive_db_range: tuple[float, float] = (0.0, 12.0)
    min_clipped_fraction: float = 0.01
    ceiling_dbfs_range: tuple[float, float] = (-6.0, 0.0)
    asymmetry_range: tuple[float, float] = (0.3, 0.8)
    band_margin_db_range: tuple[float, float] = (2.0, 4.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.min_clipped_fraction < 1.0:
            raise ValueError(
                f"Distortion.min_clipped_fraction must be in (0, 1), got {self.min_clipped_fraction}"
            )

    def sample_params(self, rng: np.random.Generator, meta: AudioMeta) -> dict[str, Any]:
        mode = str(self.mode_choices[int(rng.integers(len(self.mode_choices)))])
        return {
            "mode": mode,
            "drive_db": uniform(rng, self.drive_db_range),
            "ceiling_dbfs": uniform(rng, self.ceiling_dbfs_range),
            "asymmetry": uniform(rng, self.asymmetry_range) if mode == "asymmetric" else 1.0,
            "band_margin_db": uniform(rng, self.band_margin_db_range),
            "min_clipped_fraction": float(self.min_clipped_fraction),
        }

    def apply(self, audio: np.ndarray, params: dict[str, Any], meta: AudioMeta) -> tuple[np.ndarray, Target]:
        check_audio(audio)
        gain = functional.drive_gain(audio, params["min_clipped_fraction"], params["drive_db"])
        ceiling = min(functional.db_to_gain(params["ceiling_dbfs"]), 1.0)
        extra = 0.0
        while True:  # drive harder until the distortion products stand out in some octave band
            driven = gain * functional.db_to_gain(extra)
            out, levels = functional.distort(audio, params["mode"], driven, ceiling, params["asymmetry"])
            exposure = functional.distortion_exposure_db(audio, out, meta.sample_rate)
            if exposure >= params["band_margin_db"] or extra >= functional.MAX_EXTRA_DRIVE_DB:
                break
            extra += functional.EXTRA_DRIVE_STEP_DB
        stats = {
            "clipped_fraction": functional.clipped_fraction(out, levels),
            "clip_levels": [float(levels[0]), float(levels[1])],
            "gain_db": float(20 * np.log10(driven)),
            "extra_drive_db": extra,
            "exposure_db": exposure,
            "distortion_db": functional.distortion_db(audio, out),
        }
        segments = [(0, audio.shape[1])] if audio.shape[1] else []
        return out, Target(label=self.label, segments=segments, params=params, stats=stats)
