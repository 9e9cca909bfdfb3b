"""A labelled set of real temporal defects: black, frozen or stuttering clips made by FFmpeg and x264.

Every clip is an MP4 (libx264 yuv420p + AAC mono) written through PyAV and labelled from what was
fed to the encoder and the muxer, never by editing decoded frames. Pristine content is the test split
of the default frame mix (procedural scenes 0.7, scikit-image photos 0.3, as
``conf/data/source/frames_mix.yaml``) or consecutive windows of your own videos (``--folder``). Half
the clips (even indices) are clean, half carry the defect, made by one mechanism per defect:

- ``stutter`` (``pts_retime``): the source frames are re-timed through their presentation
  timestamps (VFR, ``TIME_BASE`` ticks). Where the schedule (:class:`synth.video.temporal.Stutter`'s
  index map: skips balanced by repeats) repeats a frame, the next frame's pts comes a frame period
  later, so the frame holds two slots; where it skips, the skipped frames are left out of the stream
  or written in a burst inside the next frame's sampling interval. Every frame is also presented up
  to ``jitter_frames`` of a period early (clean clips of the set too). FFmpeg's constant-rate sampling
  (:func:`synth.media.iter_video_frames` with ``fps``) then repeats and drops frames on its own.
- ``freeze`` (``held_frame_x264``): the encoder is fed the same source frame for a span
  (:class:`synth.video.temporal.Freeze`'s draw: live or delayed resume); x264 codes most repeats as
  skipped blocks (bit-exact copies) and refines a few, so the decoded span is near-identical but
  not all bit-exact (and slow clean content also decodes to some bit-exact repeats).
- ``black`` (``muxed_black+silence``): 1-2 spans of black pictures in the stream (``luma16``: Y=16
  U=V=128, digital video black; ``luma16_noise``: Y about 17 with a little noise; ``rgb16``: RGB 16
  studio black shown without range expansion), with the AAC track digitally silent over the same span.
- ``tearing`` (``scanout_tear_x264``): what a screen capture records when a renderer presents without
  waiting for vertical blank. Over one span (``tearing_span_s_range``) the renderer presents source
  frame ``i`` late by a phase that drifts by ``tearing_drift_range`` of a period per frame (its clock
  against the display's) and wraps; the display scans rows top to bottom over ``1 - vblank_fraction``
  of each period, so every row shows the latest frame presented before it was scanned. The tear rows
  follow from that timing (:func:`plan_tearing`), a rolling tear line, not a drawn row. The captured
  pictures are then x264-encoded like every other clip. A display frame is labelled torn when it
  shows two source frames that differ by at least ``tear_visible_levels`` above the tear and the tear
  has ``tear_min_rows`` rows on each side (a tear in the last rows of the frame counts as clean).

Every clip, clean or not, goes through the same encode, mux and decode (sound included), so
neither compression nor the container is a tell. Clean clips alternate between a plain round trip
(``clean_roundtrip``) and real-mechanism hard negatives: ``fade`` (a production fade in or out, never
fully black), ``static`` (a still scene with fresh sensor grain each frame) and, for the freeze and
stutter sets, ``pulldown_retime`` (film at 4/5 of ``fps`` re-timed through pts: FFmpeg's sampling
repeats one frame in five, the 2:3 cadence of 24 -> 30 fps).

Labels. ``spans`` are end-exclusive frame spans at ``fps`` of the decoded clip. Which picture each
decoded frame shows is derived from the written pts (:func:`presented`, FFmpeg's rule: the latest
frame at or before each sampling time) and checked against the decode (each decoded frame must be
closest to the picture its timestamps select; a mismatch is an error). Spans follow the synthetic
defects the presets train on: a freeze is ``[start, end)`` of the held span (its first, genuine,
frame included, as ``Freeze`` labels it), a stutter the hull of decoded frames that are not the next
source frame or not in sync (as ``Stutter`` labels it), a black span its black frames, a tear each
torn frame. A defect clip whose mechanism leaves nothing visible (tears on content that does not
move; a freeze or stutter whose frames differ from the ones they replace by less than
``min_change_levels``, 0.5 levels on average, as the presets' ``data.min_change_levels``) is
labelled clean, with the mechanism ``<mechanism>_invisible``.

Output: ``clips/NNNN.mp4``, ``manifest.csv`` (``path,label,spans,mechanism``; label ``clean`` or the
preset's class ``black``/``freeze``/``stutter``; spans ``start-end;start-end``, empty when clean) and
``meta.json`` (arguments, encoder settings, and per clip its source, params and checks). The set is
built in a hidden staging folder beside ``out`` and renamed into place at the end. Clip ``k`` draws its
content from ``np.random.default_rng([seed, 1, k])`` (or is the k-th window of the videos) and its
defect from ``[seed, 2, k]``. x264 runs single-threaded, without B frames (an MP4 frame lasts until the
next dts, so with B frames the last picture could outlast the clip) and without macroblock-tree rate
control (with it, small clips came out differently from run to run): the same arguments give the
same bytes.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from synth.core import ClipMeta, integer, uniform
from synth.sets import build_for_cli, check_target, publish, set_counts
from synth.video.functional import cover
from synth.video.temporal import (
    Freeze,
    Stutter,
    change_levels,
    log_uniform,
    merge_segments,
    pick,
    place_spans,
    sample_scanout,
    scanout_rows,
    scanout_tears,
    seconds_to_frames,
)
from synth.video.temporal_negatives import TemporalNegatives

SET_KIND = "temporal_real_set"
SET_VERSION = 2  # 2: invisible freezes and stutters are labelled clean
CLEAN = "clean"
DEFECTS = ("black", "freeze", "stutter", "tearing")  # the presets' class names (conf/detector/*.yaml)
MANIFEST_COLUMNS = ("path", "label", "spans", "mechanism")
MECHANISMS = {
    "black": "muxed_black+silence",
    "freeze": "held_frame_x264",
    "stutter": "pts_retime",
    "tearing": "scanout_tear_x264",
}
# Clean clips: every other one a plain round trip, the rest cycle through these.
HARD_NEGATIVES = {
    "black": ("fade", "static"),
    "freeze": ("static", "pulldown_retime", "fade"),
    "stutter": ("pulldown_retime", "static", "fade"),
    "tearing": ("fade", "static", "pulldown_retime"),
}
BLACK_MODES = ("luma16", "luma16_noise", "rgb16")
TIME_BASE = Fraction(1, 90000)  # of the written video timestamps
AAC_BLOCK = 1024
MATCH_SEARCH = 3  # pictures either side of the expected one the decode check compares against
_EPS_S = 1e-6  # as synth.media: timestamps this close count as equal


@dataclass(frozen=True)
class TemporalRealSetConfig:
    """Encoder settings and the ranges of each mechanism (defaults are what the CLI uses)."""

    crf: int = 23
    preset: str = "veryfast"
    # No B frames: MP4 sample durations are decode-order dts steps, so with B frames the last picture
    # could last past the clip's end and the decode at fps gain a frame.
    bframes: int = 0
    keyint_s: float = 2.0
    sample_rate: int = 48000
    black_span_s_range: tuple[float, float] = (0.12, 1.5)
    black_spans_range: tuple[int, int] = (1, 2)
    black_noise_sigma_range: tuple[float, float] = (0.5, 2.5)
    freeze_span_s_range: tuple[float, float] = (0.2, 3.0)
    stutter_span_s_range: tuple[float, float] = (0.3, 2.0)
    stutter_irregularity_range: tuple[float, float] = (0.1, 0.4)
    jitter_frames: float = 0.3  # stutter sets: each frame presented up to this many frame periods early
    burst_prob: float = 0.5  # a skipped frame is written in a burst (dropped by the sampling), else left out
    tearing_span_s_range: tuple[float, float] = (0.2, 1.2)
    tearing_drift_range: tuple[float, float] = (0.0, 0.25)  # |phase drift| per frame, in frame periods
    vblank_fraction: float = 0.05  # share of a refresh period in which no row is scanned
    tear_visible_levels: float = 1.0  # torn label: mean change above the tear of at least this
    tear_min_rows: int = 4  # torn label: at least this many rows on each side of the tear
    match_tolerance_levels: float = 1.0  # decode check: the expected picture within this of the best match
    # freeze/stutter label: the span's frames differ from the frames they replace by at least this mean
    # (levels), as the presets' data.min_change_levels; else nothing shows and the clip is clean
    min_change_levels: float = 0.5

    def __post_init__(self) -> None:
        float_ranges = (
            "black_span_s_range",
            "black_noise_sigma_range",
            "freeze_span_s_range",
            "stutter_span_s_range",
            "stutter_irregularity_range",
            "tearing_span_s_range",
            "tearing_drift_range",
        )
        for name in float_ranges:
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        object.__setattr__(self, "black_spans_range", tuple(int(v) for v in self.black_spans_range))
        checks = {
            "crf": 0 <= self.crf <= 51,
            "bframes": 0 <= self.bframes <= 16,
            "keyint_s": self.keyint_s > 0,
            "sample_rate": self.sample_rate in (16000, 22050, 24000, 32000, 44100, 48000),
            "black_span_s_range": 0 < self.black_span_s_range[0] <= self.black_span_s_range[1],
            "black_spans_range": 1 <= self.black_spans_range[0] <= self.black_spans_range[1],
            "black_noise_sigma_range": 0
            <= self.black_noise_sigma_range[0]
            <= self.black_noise_sigma_range[1],
            "jitter_frames": 0.0 <= self.jitter_frames <= 0.3,  # bursts sit in [0.1, 0.6] of a period
            "burst_prob": 0.0 <= self.burst_prob <= 1.0,
            "tearing_span_s_range": 0 < self.tearing_span_s_range[0] <= self.tearing_span_s_range[1],
            "tearing_drift_range": 0 <= self.tearing_drift_range[0] <= self.tearing_drift_range[1] < 1,
            "vblank_fraction": 0.0 <= self.vblank_fraction < 0.5,
            "tear_visible_levels": self.tear_visible_levels >= 0,
            "tear_min_rows": self.tear_min_rows >= 1,
            "match_tolerance_levels": self.match_tolerance_levels >= 0,
            "min_change_levels": self.min_change_levels >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"TemporalRealSetConfig.{name}: invalid value {getattr(self, name)!r}")


@dataclass
class ClipPlan:
    """What is written for one clip: pictures fed to the encoder with their pts, and the sound."""

    pictures: list[tuple[str, np.ndarray]]  # (pixel format "rgb24" | "yuv420p", array), presentation order
    pts: list[int]  # presentation time of each picture, TIME_BASE ticks, strictly increasing from 0
    end: int  # end of the last picture (ticks): num_frames frame periods
    sources: list[int]  # source frame of each picture (-1: inserted black)
    audio: np.ndarray  # float32 mono (n,) at the config's sample rate
    spans: list[tuple[int, int]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------- timing


def ticks(frames: float, fps: float) -> int:
    """``frames`` frame periods at ``fps`` in TIME_BASE ticks, rounded down (never after the slot)."""
    return int(math.floor(Fraction(frames).limit_denominator(10**6) / Fraction(fps) / TIME_BASE + 1e-9))


def presented(pts: Sequence[int], end: int, fps: float) -> list[int]:
    """Which picture each output frame shows when the stream is sampled at ``fps`` by timestamp.

    FFmpeg's rule as :func:`synth.media.iter_video_frames` applies it: sampling times
    ``t0 + k / fps`` (``t0`` the first picture's time) up to ``end``, each showing the latest picture
    presented at or before it.
    """
    times = [float(p * TIME_BASE) for p in pts]
    stop = float(end * TIME_BASE)
    out: list[int] = []
    j = 0
    k = 0
    while times[0] + k / fps < stop - _EPS_S:
        t = times[0] + k / fps
        while j + 1 < len(times) and times[j + 1] <= t + _EPS_S:
            j += 1
        out.append(j)
        k += 1
    return out


def stutter_spans(index: Sequence[int]) -> list[tuple[int, int]]:
    """The hull of frames whose source is not their own slot or whose step is not 1 (as ``Stutter``)."""
    irregular = [t for t in range(len(index)) if index[t] != t or (t > 0 and index[t] - index[t - 1] != 1)]
    return [(irregular[0], irregular[-1] + 1)] if irregular else []


# ------------------------------------------------------------------------------------------- sound


def sample_sound(rng: np.random.Generator) -> dict[str, Any]:
    """A tone chord with a slow tremolo over a little noise: all the draws of a clip's sound."""
    count = integer(rng, (2, 3))
    return {
        "freqs_hz": [round(uniform(rng, (110.0, 880.0)), 3) for _ in range(count)],
        "amplitudes": [round(uniform(rng, (0.05, 0.2)), 4) for _ in range(count)],
        "phases": [round(uniform(rng, (0.0, 2 * math.pi)), 4) for _ in range(count)],
        "tremolo_hz": round(uniform(rng, (0.5, 4.0)), 3),
        "noise_level": round(uniform(rng, (0.005, 0.03)), 4),
        "noise_seed": integer(rng, (0, 2**31 - 1)),
    }


def render_sound(params: dict[str, Any], samples: int, sample_rate: int) -> np.ndarray:
    t = np.arange(samples) / sample_rate
    out = np.zeros(samples)
    for f, a, p in zip(params["freqs_hz"], params["amplitudes"], params["phases"]):
        out += a * np.sin(2 * np.pi * f * t + p)
    out *= 1.0 + 0.3 * np.sin(2 * np.pi * params["tremolo_hz"] * t)
    out += np.random.default_rng(int(params["noise_seed"])).normal(0.0, params["noise_level"], samples)
    return np.clip(out, -0.95, 0.95).astype(np.float32)


# -------------------------------------------------------------------------------------- mechanisms


def _constant_rate(pictures: list[tuple[str, np.ndarray]], sources: list[int], fps: float) -> tuple:
    return pictures, [ticks(k, fps) for k in range(len(pictures))], sources


def _rgb(frames: np.ndarray, index: Sequence[int]) -> list[tuple[str, np.ndarray]]:
    return [("rgb24", np.ascontiguousarray(frames[i])) for i in index]


def plan_retime(
    frames: np.ndarray,
    index: Sequence[int],
    rng: np.random.Generator,
    fps: float,
    config: TemporalRealSetConfig,
) -> tuple[list[tuple[str, np.ndarray]], list[int], list[int], dict[str, Any]]:
    """Pictures and VFR pts that make FFmpeg's sampling show ``frames[index[k]]`` at output frame ``k``.

    A repeat (``index[k] == index[k - 1]``) writes nothing: the gap before the next pts holds the
    frame. A skip leaves the skipped frames out of the stream or (``burst_prob``) writes them at
    evenly spaced times in ``[0.1, 0.6]`` of the period before the next frame's slot, where no
    sampling time falls. Each slot's picture is presented ``uniform(0, jitter_frames)`` periods early.
    """
    pictures: list[tuple[str, np.ndarray]] = []
    pts: list[int] = []
    sources: list[int] = []
    drops: list[dict[str, Any]] = []
    jitters: list[float] = []
    for k, source in enumerate(index):
        if k > 0 and source == index[k - 1]:
            continue
        skipped = list(range(index[k - 1] + 1, source)) if k > 0 else []
        for j, s in enumerate(skipped, start=1):
            burst = bool(rng.random() < config.burst_prob)
            drops.append({"source": s, "before_frame": k, "how": "burst" if burst else "omitted"})
            if burst:
                pictures += _rgb(frames, [s])
                pts.append(ticks(k - 1 + 0.1 + 0.5 * j / (len(skipped) + 1), fps))
                sources.append(s)
        jitter = uniform(rng, (0.0, config.jitter_frames)) if k > 0 else 0.0
        jitters.append(round(jitter, 4))
        pictures += _rgb(frames, [source])
        pts.append(ticks(k - jitter, fps))
        sources.append(int(source))
    return pictures, pts, sources, {"drops": drops, "jitter_frames": jitters}


def plan_pulldown(
    frames: np.ndarray, rng: np.random.Generator, fps: float
) -> tuple[list[tuple[str, np.ndarray]], list[int], list[int], dict[str, Any]]:
    """Film at ``4/5 * fps``: film frame ``i >= 1`` presented at ``(5 i - phase) / 4`` frame periods.

    Sampled at ``fps``, one film frame in four is shown twice: the 2:3 pulldown cadence (24 -> 30 fps
    when ``fps`` is 30), at the drawn phase.
    """
    num = frames.shape[0]
    phase = int(rng.integers(0, 4))
    count = min(num, int(math.ceil((4 * num + phase) / 5)) + 1)
    times = [0.0] + [(5 * i - phase) / 4 for i in range(1, count)]
    keep = [i for i, t in enumerate(times) if t < num]
    return (
        _rgb(frames, keep),
        [ticks(times[i], fps) for i in keep],
        keep,
        {"film_fps": round(fps * 4 / 5, 6), "phase": phase},
    )


def plan_tearing(
    frames: np.ndarray, rng: np.random.Generator, fps: float, config: TemporalRealSetConfig
) -> tuple[list[tuple[str, np.ndarray]], list[int], list[tuple[int, int]], dict[str, Any]]:
    """Pictures a capture of a display without vsync records over a drawn span, their sources and torn spans.

    Display frame ``n`` scans row ``y`` at ``n + (y / H) (1 - vblank)`` periods. Outside the span the
    renderer presents source frame ``n`` in the blank before display frame ``n`` (vsync on). Inside it,
    frame ``n`` is presented at ``n + phase_n``, ``phase_n = frac(phase + drift (n - start))``: rows
    scanned before that show frame ``n - 1``, the rest frame ``n``, so the tear row is
    ``ceil(H phase_n / (1 - vblank))``; a phase in the blank shows frame ``n - 1`` whole (a repeat).
    Returns the pictures (one per display frame), the bottom source of each, the torn spans (frames
    showing two source frames that differ by ``tear_visible_levels`` or more above the tear, with
    ``tear_min_rows`` or more rows on each side of it) and the draws with every frame's tear row.
    """
    num, height = frames.shape[:2]
    d = sample_scanout(rng, num, fps, config.tearing_span_s_range, config.tearing_drift_range)
    start, length, phase, drift = d["start"], d["length"], d["phase"], d["drift"]
    rows = scanout_rows(height, length, phase, drift, config.vblank_fraction)
    shown, sources, torn = scanout_tears(
        frames, start, rows, config.tear_min_rows, config.tear_visible_levels
    )
    params = {"start": start, "end": start + length, "phase": round(phase, 4), "drift": round(drift, 4)}
    params["rows"] = [{"frame": start + k, "row": row} for k, row in enumerate(rows)]
    return _rgb(shown, range(num)), sources, merge_segments(torn), params


def sample_black(rng: np.random.Generator, meta: ClipMeta, config: TemporalRealSetConfig) -> dict[str, Any]:
    count = integer(rng, config.black_spans_range)
    lengths = [
        seconds_to_frames(log_uniform(rng, config.black_span_s_range), meta.fps, 1, meta.num_frames - 1)
        for _ in range(count)
    ]
    spans = []
    for start, end in place_spans(rng, lengths, 0, meta.num_frames, gap=1):
        mode = str(pick(rng, BLACK_MODES))
        sigma = uniform(rng, config.black_noise_sigma_range) if mode == "luma16_noise" else 0.0
        spans.append(
            {
                "start": start,
                "end": end,
                "mode": mode,
                "noise_sigma": round(sigma, 4),
                "noise_seed": integer(rng, (0, 2**31 - 1)),
            }
        )
    return {"spans": spans}


def black_picture(span: dict[str, Any], frame: int, height: int, width: int) -> tuple[str, np.ndarray]:
    """One black picture of a span, as fed to the encoder (YUV for the luma modes, RGB for ``rgb16``)."""
    if span["mode"] == "rgb16":
        return "rgb24", np.full((height, width, 3), 16, np.uint8)
    yuv = np.full((height * 3 // 2, width), 128, np.uint8)
    if span["mode"] == "luma16":
        yuv[:height] = 16
    else:  # luma16_noise: fresh noise every frame, from the span's seed and the frame index
        noise = np.random.default_rng([int(span["noise_seed"]), frame]).normal(
            0.0, span["noise_sigma"], (height, width)
        )
        yuv[:height] = np.clip(np.rint(17.0 + noise), 16, 35)
    return "yuv420p", yuv


def plan_clip(
    defect: str,
    mechanism: str,
    frames: np.ndarray,
    rng: np.random.Generator,
    fps: float,
    config: TemporalRealSetConfig,
) -> ClipPlan:
    """The pictures, timestamps, sound and spans of one clip; every random draw of the clip is made here."""
    num, height, width = frames.shape[:3]
    meta = ClipMeta(fps=fps, num_frames=num, height=height, width=width)
    sound = sample_sound(rng)
    audio = render_sound(sound, int(round(num / fps * config.sample_rate)), config.sample_rate)
    params: dict[str, Any] = {"sound": sound}
    spans: list[tuple[int, int]] = []
    identity = list(range(num))
    retime = defect == "stutter"  # every clip of a stutter set is re-timed (jittered pts)

    if mechanism in ("fade", "static"):
        negatives = TemporalNegatives(
            static_prob=float(mechanism == "static"),
            slow_pan_prob=0.0,
            cut_prob=0.0,
            pulldown_prob=0.0,
            fade_prob=float(mechanism == "fade"),
        )
        drawn = negatives.sample_params(rng, meta)
        frames, _ = negatives.apply(frames, drawn)
        params[mechanism] = drawn[mechanism]
    if mechanism == "pulldown_retime":
        pictures, pts, sources, extra = plan_pulldown(frames, rng, fps)
        params.update(extra)
    elif mechanism == MECHANISMS["stutter"]:
        drawn = Stutter(
            span_s_range=config.stutter_span_s_range, irregularity_range=config.stutter_irregularity_range
        ).sample_params(rng, meta)
        pictures, pts, sources, extra = plan_retime(frames, drawn["index_map"], rng, fps, config)
        params.update(drawn, **extra)
    elif mechanism == MECHANISMS["freeze"]:
        drawn = Freeze(span_s_range=config.freeze_span_s_range).sample_params(rng, meta)
        pictures, pts, sources = _constant_rate(_rgb(frames, drawn["index_map"]), drawn["index_map"], fps)
        spans = [(int(drawn["start"]), int(drawn["end"]))]
        params.update(drawn, held_frames=[int(drawn["start"]) + 1, int(drawn["end"])])
    elif mechanism == MECHANISMS["tearing"]:
        pictures, sources, spans, extra = plan_tearing(frames, rng, fps, config)
        pictures, pts, sources = _constant_rate(pictures, sources, fps)
        params.update(extra)
    elif mechanism == MECHANISMS["black"]:
        drawn = sample_black(rng, meta, config)
        pictures, sources = _rgb(frames, identity), list(identity)
        for span in drawn["spans"]:
            start, end = int(span["start"]), int(span["end"])
            for t in range(start, end):
                pictures[t] = black_picture(span, t, height, width)
                sources[t] = -1
            lo = int(round(start / fps * config.sample_rate))
            hi = int(round(end / fps * config.sample_rate))
            audio[lo:hi] = 0.0  # digital silence over the black span
            spans.append((start, end))
        pictures, pts, sources = _constant_rate(pictures, sources, fps)
        params.update(drawn)
    elif retime:
        pictures, pts, sources, extra = plan_retime(frames, identity, rng, fps, config)
        params.update(extra)
    else:
        pictures, pts, sources = _constant_rate(_rgb(frames, identity), identity, fps)

    plan = ClipPlan(pictures, pts, ticks(num, fps), sources, audio, spans, params)
    shown = presented(plan.pts, plan.end, fps)
    if len(shown) != num:
        raise RuntimeError(f"{mechanism}: the timestamps give {len(shown)} frames at {fps} fps, not {num}")
    if mechanism == MECHANISMS["stutter"]:
        index = [plan.sources[j] for j in shown]
        if index != [int(i) for i in params["index_map"]]:
            raise RuntimeError("pts_retime: the written timestamps do not give the drawn index map")
        plan.spans = stutter_spans(index)
    if mechanism in (MECHANISMS["freeze"], MECHANISMS["stutter"]) and plan.spans:
        # What the defect changes: each span frame against the frame it replaces (as Target.stats).
        out = frames[[plan.sources[j] for j in shown]]
        changed = [t for s, e in plan.spans for t in range(s, e) if plan.sources[shown[t]] != t]
        change = change_levels(frames, out, changed)
        plan.params["span_change_levels"] = round(change, 4)
        if change < config.min_change_levels:
            plan.spans = []  # content that hardly moves: nothing shows (the clip becomes <mechanism>_invisible)
    return plan


# ------------------------------------------------------------------------------------------ encoding


def write_clip(path: str | os.PathLike, plan: ClipPlan, fps: float, config: TemporalRealSetConfig) -> None:
    """Write the plan as an MP4: libx264 yuv420p (VFR pts, ``TIME_BASE``) and AAC mono, interleaved."""
    fmt, first = plan.pictures[0]
    height, width = first.shape[:2] if fmt == "rgb24" else (first.shape[0] * 2 // 3, first.shape[1])
    keyint = max(1, int(round(config.keyint_s * fps)))
    options = {
        "crf": str(config.crf),
        "preset": config.preset,
        "x264-params": f"keyint={keyint}:bframes={config.bframes}:no-mbtree=1:"
        "threads=1:lookahead-threads=1:sliced-threads=0",
    }
    with av.open(os.fspath(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001), options=options)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = TIME_BASE
        video.codec_context.time_base = TIME_BASE
        audio = container.add_stream("aac", rate=config.sample_rate, layout="mono")
        audio.time_base = Fraction(1, config.sample_rate)

        encoded: list[av.Packet] = []
        for (fmt, array), pts in zip(plan.pictures, plan.pts):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format=fmt)
            frame.pts, frame.time_base = pts, TIME_BASE
            encoded += video.encode(frame)
        encoded += video.encode(None)
        # Each picture lasts until the next one's pts; the last one until the clip's end.
        duration = dict(zip(plan.pts, np.diff([*plan.pts, plan.end]).tolist()))
        timed: list[tuple[Fraction, int, av.Packet]] = []
        for packet in encoded:
            packet.duration = int(duration[int(packet.pts)])
            dts = packet.pts if packet.dts is None else packet.dts
            timed.append((Fraction(int(dts)) * TIME_BASE, 0, packet))
        sound: list[av.Packet] = []
        for start in range(0, plan.audio.size, AAC_BLOCK):
            block = np.ascontiguousarray(plan.audio[None, start : start + AAC_BLOCK])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = config.sample_rate, start
            sound += audio.encode(frame)
        sound += audio.encode(None)
        for packet in sound:
            timed.append((Fraction(int(packet.dts)) * packet.time_base, 1, packet))
        for _, _, packet in sorted(timed, key=lambda item: (item[0], item[1])):
            container.mux(packet)


def decode_clip(path: str | os.PathLike, fps: float) -> np.ndarray:
    """The clip as FFmpeg samples it at ``fps`` by timestamp: uint8 ``(T, H, W, 3)``."""
    from synth.media import iter_video_frames

    return np.stack([frame for _, frame in iter_video_frames(path, fps=fps)])


def check_decode(decoded: np.ndarray, plan: ClipPlan, fps: float, config: TemporalRealSetConfig) -> dict:
    """Each decoded frame must be closest (within the tolerance) to the picture its timestamps select."""
    shown = presented(plan.pts, plan.end, fps)
    if decoded.shape[0] != len(shown):
        raise RuntimeError(f"decoded {decoded.shape[0]} frames, the timestamps say {len(shown)}")
    rgb: dict[int, np.ndarray] = {}

    def picture(j: int) -> np.ndarray:
        if j not in rgb:
            fmt, array = plan.pictures[j]
            if fmt != "rgb24":
                array = av.VideoFrame.from_ndarray(array, format=fmt).to_ndarray(format="rgb24")
            rgb[j] = array.astype(np.int16)
        return rgb[j]

    errors, mismatched = [], []
    for t, j in enumerate(shown):
        frame = decoded[t].astype(np.int16)
        lo, hi = max(0, j - MATCH_SEARCH), min(len(plan.pictures), j + MATCH_SEARCH + 1)
        mad = {c: float(np.abs(frame - picture(c)).mean()) for c in range(lo, hi)}
        errors.append(mad[j])
        if mad[j] > min(mad.values()) + config.match_tolerance_levels:
            mismatched.append(t)
    if mismatched:
        raise RuntimeError(
            f"decoded frames {mismatched[:8]} do not show the pictures their timestamps select "
            "(FFmpeg's timing differs from the schedule)"
        )
    return {
        "decoded_frames": int(decoded.shape[0]),
        "frames_checked": len(shown),
        "codec_error_levels": round(float(np.mean(errors)), 4),
    }


def defect_checks(decoded: np.ndarray, plan: ClipPlan, defect: str) -> dict[str, Any]:
    """What the decode shows inside the labelled spans (recorded in meta.json)."""
    if not plan.spans:
        return {}
    diff = np.abs(np.diff(decoded.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))  # frame t+1 vs t
    inside = np.zeros(decoded.shape[0], bool)
    for start, end in plan.spans:
        inside[start:end] = True
    if defect == "black":
        luma = decoded[inside].mean(axis=3)
        return {"span_mean_level": round(float(luma.mean()), 3), "span_max_level": int(decoded[inside].max())}
    if defect == "freeze":
        held = np.zeros(decoded.shape[0], bool)
        for start, end in plan.spans:
            held[start + 1 : end] = True
        in_held, outside = diff[held[1:]], diff[~inside[1:]]
        exact = [int(t) for t in np.flatnonzero(held) if np.array_equal(decoded[t], decoded[t - 1])]
        return {
            "held_mean_abs_diff_levels": round(float(in_held.mean()), 4) if in_held.size else None,
            "outside_mean_abs_diff_levels": round(float(outside.mean()), 4) if outside.size else None,
            "held_bit_exact_frames": len(exact),
            "held_frames": int(held.sum()),
        }
    if defect == "tearing":
        rows = {int(r["frame"]): int(r["row"]) for r in plan.params["rows"]}
        torn = [t for start, end in plan.spans for t in range(start, end)]
        below = [
            np.abs(decoded[t, rows[t] :].astype(np.int16) - decoded[t - 1, rows[t] :]).mean() for t in torn
        ]
        return {"torn_frames": len(torn), "below_tear_change_levels": round(float(np.mean(below)), 4)}
    index = [int(i) for i in plan.params["index_map"]]
    steps = np.diff(index)
    return {
        "repeats": int((steps == 0).sum()),
        "skips": int((steps > 1).sum()),
        "dropped_frames": int(np.maximum(steps - 1, 0).sum()),
        "burst_frames": sum(1 for d in plan.params["drops"] if d["how"] == "burst"),
    }


# ------------------------------------------------------------------------------------------- content


def procedural_clips(
    num_frames: int, height: int, width: int, seed: int
) -> Iterator[tuple[np.ndarray, dict]]:
    """Test-split clips of the default frame mix (procedural 0.7, photos 0.3); clip k from [seed, 1, k]."""
    from synth.video.sources import MixedFrames, ProceduralFrames, SkimageFrames

    mix = MixedFrames({"procedural": ProceduralFrames(), "photos": SkimageFrames()}, weights=[0.7, 0.3])
    k = 0
    while True:
        frames, info = mix.clip(np.random.default_rng([seed, 1, k]), "test", num_frames, height, width)
        yield frames, {"split": "test", **info}
        k += 1


def video_paths(folder: str | os.PathLike) -> list[Path]:
    """The videos under ``folder`` (sorted, recursive, hidden files left out); an error if there are none."""
    from synth.folders import VIDEO_EXTENSIONS, media_files

    return media_files(folder, VIDEO_EXTENSIONS, "video", list_extensions=True)


def folder_clips(
    folder: str | os.PathLike, num_frames: int, height: int, width: int, fps: float
) -> Iterator[tuple[np.ndarray, dict]]:
    """Consecutive windows of ``num_frames`` frames of the videos under ``folder`` (:func:`video_paths`),
    decoded at ``fps``, scaled to cover ``width x height`` and centre-cropped; short tails are dropped.
    A file that does not decode is skipped with a MediaWarning naming it."""
    from synth.media import MediaError, MediaWarning, iter_video_frames

    root = Path(folder)
    for path in video_paths(root):
        window: list[np.ndarray] = []
        first = 0
        try:
            for index, (_, frame) in enumerate(iter_video_frames(path, fps=fps)):
                window.append(cover(frame, height, width))
                if len(window) == num_frames:
                    info = {"file": path.relative_to(root).as_posix(), "first_frame": first, "fps": fps}
                    yield np.stack(window), info
                    window, first = [], index + 1
        except MediaError as exc:
            warnings.warn(f"skipping {exc}", MediaWarning, stacklevel=2)


# --------------------------------------------------------------------------------------------- build


def mechanism_of(defect: str, index: int) -> tuple[str, str]:
    """``(label, mechanism)`` of clip ``index``: odd clips defective; even ones alternate between a
    plain round trip and the set's hard negatives in turn."""
    if index % 2:
        return defect, MECHANISMS[defect]
    j = index // 2
    if j % 2 == 0:
        return CLEAN, "clean_roundtrip"
    negatives = HARD_NEGATIVES[defect]
    return CLEAN, negatives[(j // 2) % len(negatives)]


def build_temporal_real_set(
    out: str | os.PathLike,
    defect: str,
    clips: int = 60,
    seed: int = 0,
    folder: str | os.PathLike | None = None,
    seconds: float = 4.0,
    fps: float = 25.0,
    height: int = 144,
    width: int = 256,
    overwrite: bool = False,
    progress: bool = True,
    config: TemporalRealSetConfig | None = None,
) -> Path:
    """Build the set in ``out`` (see the module doc) and return ``out``.

    ``out`` must be absent or empty, or hold an earlier temporal real set and ``overwrite`` be true.
    """
    config = config or TemporalRealSetConfig()
    arguments = {
        "defect": defect,
        "clips": int(clips),
        "seed": int(seed),
        "folder": None if folder is None else str(folder),
        "seconds": float(seconds),
        "fps": float(fps),
        "height": int(height),
        "width": int(width),
    }
    _check_arguments(arguments)
    if folder is not None:
        video_paths(folder)  # a missing or empty folder fails before any work
    out = Path(out)
    check_target(out, overwrite, SET_KIND, "temporal real set", "meta.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        _build(staging, arguments, config, progress)
        publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _check_arguments(a: dict[str, Any]) -> None:
    num_frames = round(a["seconds"] * a["fps"]) if math.isfinite(a["seconds"] * a["fps"]) else 0
    checks = {
        "defect": (a["defect"] in DEFECTS, f"must be one of {list(DEFECTS)}"),
        "clips": (a["clips"] >= 1, "must be >= 1"),
        "fps": (math.isfinite(a["fps"]) and 1.0 <= a["fps"] <= 120.0, "must be in [1, 120]"),
        "seconds": (num_frames >= 8, f"must give at least 8 frames at fps={a['fps']:g}"),
        "height": (a["height"] >= 16 and a["height"] % 2 == 0, "must be even and >= 16"),
        "width": (a["width"] >= 16 and a["width"] % 2 == 0, "must be even and >= 16"),
    }
    for name, (ok, requirement) in checks.items():
        if not ok:
            raise ValueError(f"{name}={a[name]!r}: {requirement}")


def _build(root: Path, a: dict[str, Any], config: TemporalRealSetConfig, progress: bool) -> None:
    fps, defect = a["fps"], a["defect"]
    num_frames = int(round(a["seconds"] * fps))
    if a["folder"] is None:
        content = procedural_clips(num_frames, a["height"], a["width"], a["seed"])
    else:
        content = folder_clips(a["folder"], num_frames, a["height"], a["width"], fps)
    indices: Any = range(a["clips"])
    if progress:
        from vqa_train.progress import track

        indices = track(indices, f"temporal real set ({defect}): encoding clips", total=a["clips"])
    (root / "clips").mkdir()
    rows: list[dict[str, Any]] = []
    for k in indices:
        try:
            frames, source = next(content)
        except StopIteration:
            raise ValueError(
                f"{a['folder']}: only {k} windows of {a['seconds']:g} s at {fps:g} fps in the videos; "
                "ask for fewer --clips or shorter --seconds"
            ) from None
        label, mechanism = mechanism_of(defect, k)
        plan = plan_clip(defect, mechanism, frames, np.random.default_rng([a["seed"], 2, k]), fps, config)
        if label != CLEAN and not plan.spans:  # e.g. tears on content that does not move: nothing shows
            label, mechanism = CLEAN, f"{mechanism}_invisible"
        path = f"clips/{k:04d}.mp4"
        write_clip(root / path, plan, fps, config)
        decoded = decode_clip(root / path, fps)
        try:
            checks = check_decode(decoded, plan, fps, config)
        except RuntimeError as exc:
            raise RuntimeError(f"clip {k:04d} ({mechanism}): {exc}") from None
        checks.update(defect_checks(decoded, plan, defect))
        rows.append(
            {
                "path": path,
                "label": label,
                "spans": format_spans(plan.spans),
                "mechanism": mechanism,
                "source": source,
                "params": {
                    **plan.params,
                    "pts_ticks": plan.pts,
                    "end_tick": plan.end,
                    "pictures_from": plan.sources,
                },
                "checks": checks,
            }
        )
    with open(root / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    mechanisms = sorted({r["mechanism"] for r in rows})
    meta = {
        "kind": SET_KIND,
        "version": SET_VERSION,
        "labels": [CLEAN, defect],
        "manifest_columns": list(MANIFEST_COLUMNS),
        "spans": "end-exclusive frame spans start-end;start-end at arguments.fps of the decoded clip",
        "arguments": a,
        "num_frames": num_frames,
        "config": asdict(config),
        "time_base": str(TIME_BASE),
        "counts": {
            **{lab: sum(1 for r in rows if r["label"] == lab) for lab in (CLEAN, defect)},
            **{m: sum(1 for r in rows if r["mechanism"] == m) for m in mechanisms},
        },
        "clips": rows,
    }
    (root / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def format_spans(spans: Sequence[tuple[int, int]]) -> str:
    return ";".join(f"{int(s)}-{int(e)}" for s, e in spans)


# ----------------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(
        prog="python -m synth.video.temporal_realset",
        description="Build a real temporal-defect set: black+silent spans muxed in, held frames encoded, "
        "frames re-timed through pts, tears from a display scanned without vsync; decoded by FFmpeg.",
    )
    parser.add_argument("--out", required=True, help="output folder (absent, empty, or an earlier set)")
    parser.add_argument("--defect", required=True, choices=DEFECTS)
    parser.add_argument("--clips", type=int, default=60, help="number of clips, half clean (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--folder", help="your own videos (default: procedural and photo content, test split)"
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="clip length (default 4)")
    parser.add_argument(
        "--fps", type=float, default=25.0, help="frame rate of the decoded clips (default 25)"
    )
    parser.add_argument("--height", type=int, default=144)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier temporal set in --out")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    out = build_for_cli(
        parser,
        build_temporal_real_set,
        args.out,
        args.defect,
        clips=args.clips,
        seed=args.seed,
        folder=args.folder,
        seconds=args.seconds,
        fps=args.fps,
        height=args.height,
        width=args.width,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    counts = set_counts(out)
    print(
        f"{out}: {counts[CLEAN]} clean + {counts[args.defect]} {args.defect} clips -> {out / 'manifest.csv'}"
    )
    return out


if __name__ == "__main__":
    main()
