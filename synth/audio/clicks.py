"""Clicks and pops: short impulsive disturbances at exact sample spans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from synth.audio import functional
from synth.audio.base import AudioDefect, check_audio
from synth.core import AudioMeta, Target, integer, uniform

SHAPES = ("impulse", "burst", "step")


@dataclass(frozen=True)
class Clicks(AudioDefect):
    """Impulsive clicks: vinyl ticks, digital glitches, edit pops, converter dropouts.

    Each click has a shape and its own width range, all broadband whatever the width:

    - ``impulse`` (``impulse_width_ms_range`` 0.03-0.3 ms, i.e. one sample to ~10 at 32 kHz):
      vinyl ticks and bit errors; a Hann-shaped spike.
    - ``burst`` (``burst_width_ms_range`` 0.3-3 ms): crackle, scratch and edit pops; decaying noise.
    - ``step`` (``step_width_ms_range`` 0.1-2 ms): the span is replaced by a constant, as in a
      buffer dropout or a stuck converter; both edges click.

    ``level_db_range`` (+3 to +15 dB) is the click *energy* over the clip's energy in the
    surrounding 10 ms: at 32 kHz a one-sample tick then peaks ~28-40 dB over the local RMS and a
    3 ms burst ~17-29 dB over it (equally conspicuous whatever the width), which is what
    restoration tools see on worn records and glitchy streams.
    ``floor_dbfs_range`` (-30 to -20 dBFS) is a minimum peak so clicks on near-silence are heard
    (a click on a silent track is the most audible click there is). Counts follow a Poisson process
    at ``clicks_per_s_range`` (1-10 per second, from occasional ticks to crackle) with at least one
    click; with ``single_click_prob`` the clip has exactly one isolated click. Polarity is random.
    Nothing outside the click spans changes; clicks are scaled down (or flipped) rather than clip,
    but never below half their amplitude (their own tips are clipped at 0.99 instead).

    On loud content that headroom can take most of a click away: a tick meant to be 13 dB over
    loud speech, clipped at full scale, changed the speech by 12 dB *less* than the speech's own
    local energy, and so labelled an inaudible click. ``min_level_db`` (3 dB, the low end of
    ``level_db_range``) is the least a click must realise, measured as the energy of what it
    changes over the local energy. A click that would fall short where it was drawn moves to the
    nearest start where it does not and that overlaps no other click; ``None`` keeps every click
    where it was drawn. The targets always hold where each click ended up. ``stats["moved"]``
    counts the moved clicks and ``stats["below_min_level"]`` those that found no such place (loud
    content all through, where a short click cannot reach the level under full scale): they go
    where they realise the most.
    """

    label: ClassVar[str] = "clicks"
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"shape_choices": SHAPES}
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "clicks_per_s_range": (0.0, 1000.0),
        "impulse_width_ms_range": (0.0, 50.0),
        "burst_width_ms_range": (0.0, 50.0),
        "step_width_ms_range": (0.0, 50.0),
        "level_db_range": (-40.0, 60.0),
        "floor_dbfs_range": (-120.0, 0.0),
    }

    clicks_per_s_range: tuple[float, float] = (1.0, 10.0)
    single_click_prob: float = 0.3
    shape_choices: tuple[str, ...] = SHAPES
    impulse_width_ms_range: tuple[float, float] = (0.03, 0.3)
    burst_width_ms_range: tuple[float, float] = (0.3, 3.0)
    step_width_ms_range: tuple[float, float] = (0.1, 2.0)
    level_db_range: tuple[float, float] = (3.0, 15.0)
    floor_dbfs_range: tuple[float, float] = (-30.0, -20.0)
    max_clicks: int = 24
    min_level_db: float | None = 3.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_level_db is not None and not -40.0 <= float(self.min_level_db) <= 40.0:
            raise ValueError(f"Clicks.min_level_db must be in [-40, 40] dB or None, got {self.min_level_db}")
        if int(self.max_clicks) < 1:
            raise ValueError(f"Clicks.max_clicks must be >= 1, got {self.max_clicks}")
        for name in ("impulse_width_ms_range", "burst_width_ms_range", "step_width_ms_range"):
            if getattr(self, name)[0] <= 0:
                raise ValueError(f"Clicks.{name} must be > 0 ms, got {list(getattr(self, name))}")

    def sample_params(self, rng: np.random.Generator, meta: AudioMeta) -> dict[str, Any]:
        single = bool(rng.random() < self.single_click_prob)
        rate = uniform(rng, self.clicks_per_s_range)
        count = 1 if single else int(self.max_clicks)
        shapes = [str(self.shape_choices[i]) for i in rng.integers(0, len(self.shape_choices), count)]
        widths = [self._width_ms(rng, shape) for shape in shapes]
        gaps = rng.exponential(1.0 / rate, count - 1) if rate > 0 else np.full(count - 1, np.inf)
        return {
            "single": single,
            "clicks_per_s": rate,
            "first_position": float(rng.random()),
            "gaps_s": [float(g) for g in gaps],
            "shapes": shapes,
            "widths_ms": widths,
            "polarities": [int(p) for p in rng.choice([-1, 1], count)],
            "levels_db": [uniform(rng, self.level_db_range) for _ in range(count)],
            "floor_dbfs": uniform(rng, self.floor_dbfs_range),
            "noise_seed": integer(rng, (0, 2**31 - 1)),
        }

    def _width_ms(self, rng: np.random.Generator, shape: str) -> float:
        lo, hi = getattr(self, f"{shape}_width_ms_range")
        return float(np.exp(uniform(rng, (np.log(lo), np.log(hi)))))  # log-uniform: short ones common

    def apply(self, audio: np.ndarray, params: dict[str, Any], meta: AudioMeta) -> tuple[np.ndarray, Target]:
        check_audio(audio)
        n = audio.shape[1]
        widths = [max(1, int(round(w * meta.sample_rate / 1000.0))) for w in params["widths_ms"]]
        starts = functional.click_starts(
            n, meta.sample_rate, params["first_position"], params["gaps_s"], widths
        )
        count = len(starts)
        order = sorted(range(count), key=lambda i: starts[i])
        widths = [min(widths[i], n) for i in order]
        starts = [starts[i] for i in order]
        out, peaks, placed, unheard = functional.add_clicks(
            audio,
            meta.sample_rate,
            starts,
            widths,
            [params["shapes"][i] for i in order],
            [params["polarities"][i] for i in order],
            [params["levels_db"][i] for i in order],
            params["floor_dbfs"],
            params["noise_seed"],
            min_level_db=self.min_level_db,
        )
        segments = sorted((s, s + w) for s, w in zip(placed, widths))
        moved = sum(a != b for a, b in zip(starts, placed))
        stats = {"count": count, "peaks": peaks, "moved": moved, "below_min_level": unheard}
        return out, Target(label=self.label, segments=segments, params=params, stats=stats)
