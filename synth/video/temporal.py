"""Temporal defects: whole-clip faults with frame-accurate ground truth (black frames, freezes, stutter, tearing).

A clip is a C-contiguous uint8 RGB ``(T, H, W, 3)`` array (:func:`check_clip`); the meta is a
:class:`synth.core.ClipMeta` carrying the frame rate and the clip size, so ``sample_params`` can
place every span in frames. ``Target.segments`` are end-exclusive ``(start_frame, end_frame)``
spans of the defect; ``Target.stats`` records what was measured on the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from synth.core import ClipMeta, Defect, Target, integer, uniform
from synth.video.base import check_clip

BLACK_MODES = ("flat", "noise", "logo")
NEAR_BLACK_MAX = 24  # levels: the brightest pixel of a near-black frame (outside a logo)
RESUME_MODES = ("live", "delayed")
TEARING_MODES = ("swap", "scanout")
CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")


class ClipDefect(Defect):
    """A defect over a uint8 RGB clip ``(T, H, W, 3)``; ``meta`` is a :class:`synth.core.ClipMeta`.

    ``apply`` returns the new clip and a Target whose ``segments`` are end-exclusive frame spans.
    Subclasses list allowed ``_choices`` values in ``options`` (checked by the core, with ``_prob``
    fields); ``min_frames`` is the shortest clip the defect can be placed in.
    """

    min_frames: ClassVar[int] = 2

    def _check_meta(self, meta: ClipMeta) -> None:
        if meta.num_frames < self.min_frames:
            raise ValueError(
                f"{type(self).__name__} needs a clip of >= {self.min_frames} frames, got {meta.num_frames}"
            )

    def _check(self, clip: np.ndarray, meta: ClipMeta) -> None:
        check_clip(clip)
        expected = (meta.num_frames, meta.height, meta.width)
        if clip.shape[:3] != expected:
            raise ValueError(f"clip has shape {clip.shape[:3]}, its ClipMeta says (T, H, W) = {expected}")
        self._check_meta(meta)


# ------------------------------------------------------------------------------------------- helpers


def pick(rng: np.random.Generator, choices: tuple[Any, ...]) -> Any:
    """One of ``choices``, uniformly; numpy scalars turned into plain Python values."""
    value = choices[int(rng.integers(len(choices)))]
    return value.item() if isinstance(value, np.generic) else value


def log_uniform(rng: np.random.Generator, interval: tuple[float, float]) -> float:
    """A float log-uniform in a positive closed interval: short spans are as common as long ones per octave."""
    lo, hi = interval
    return float(math.exp(uniform(rng, (math.log(lo), math.log(hi)))))


def seconds_to_frames(seconds: float, fps: float, lo: int, hi: int) -> int:
    """``round(seconds * fps)`` clamped to ``[lo, hi]`` frames."""
    return int(min(max(int(round(seconds * fps)), lo), hi))


def place_spans(
    rng: np.random.Generator, lengths: list[int], lo: int, hi: int, gap: int = 1
) -> list[list[int]]:
    """Non-overlapping ``[start, end)`` spans inside ``[lo, hi)``, at least ``gap`` frames apart, in order.

    Spans that cannot fit are dropped (at least one is kept when ``hi > lo``); the longest ones
    are shortened frame by frame until the rest fit. Free frames are spread uniformly.
    """
    room = hi - lo
    if room < 1 or not lengths:
        raise ValueError(f"no room for a span in [{lo}, {hi})")
    lengths = [max(1, int(n)) for n in lengths]
    while len(lengths) > 1 and len(lengths) + (len(lengths) - 1) * gap > room:
        lengths.pop()
    for _ in range(sum(lengths) + (len(lengths) - 1) * gap - room):
        lengths[int(np.argmax(lengths))] -= 1  # shorten the longest span by a frame
    free = room - sum(lengths) - (len(lengths) - 1) * gap
    offsets = np.sort(rng.integers(0, free + 1, len(lengths)))
    starts = [lo + int(offsets[k]) + sum(lengths[:k]) + k * gap for k in range(len(lengths))]
    return [[start, start + n] for start, n in zip(starts, lengths)]


def scanout_rows(height: int, count: int, phase: float, drift: float, vblank_fraction: float) -> list[int]:
    """Tear rows of ``count`` display frames of a renderer presenting without vsync.

    Display frame ``k`` scans row ``y`` at ``k + (y / H) (1 - vblank)`` periods; the renderer presents
    its next frame ``frac(phase + drift k)`` periods into the refresh, so rows from
    ``ceil(H frac / (1 - vblank))`` down show it. ``H`` means the present fell in the blank.
    """
    active = 1.0 - vblank_fraction
    rows = []
    for k in range(count):
        late = (phase + drift * k) % 1.0
        rows.append(min(int(math.ceil(height * late / active - 1e-9)), height))
    return rows


def sample_scanout(
    rng: np.random.Generator,
    num_frames: int,
    fps: float,
    span_s_range: tuple[float, float],
    drift_range: tuple[float, float],
) -> dict[str, Any]:
    """The draws of one scan-out span: ``start`` (>= 1), ``length`` frames, ``phase`` and signed ``drift``."""
    length = seconds_to_frames(uniform(rng, span_s_range), fps, 1, num_frames - 1)
    start = int(rng.integers(1, num_frames - length + 1))
    phase = uniform(rng, (0.0, 1.0))
    drift = uniform(rng, drift_range) * float(pick(rng, (-1, 1)))
    return {"start": start, "length": length, "phase": phase, "drift": drift}


def scanout_tears(
    clip: np.ndarray, start: int, rows: list[int], min_rows: int, visible_levels: float
) -> tuple[np.ndarray, list[int], list[int]]:
    """``clip`` as a display without vsync shows it over frames ``start .. start + len(rows) - 1``.

    Frame ``n`` of the span shows rows above ``rows[n - start]`` from frame ``n - 1`` and the rest
    from frame ``n`` (the whole of frame ``n - 1`` when the row is ``H``: presented in the blank).
    Returns the new clip, the bottom source frame of every frame, and the torn frames: a tear with
    ``min_rows`` or more rows on each side, above which the two frames differ (by ``visible_levels``
    or more on average, and at all).
    """
    height = clip.shape[1]
    if not (start >= 1 and start + len(rows) <= clip.shape[0]):
        raise ValueError(
            f"scan-out span {start}..{start + len(rows)} does not fit a {clip.shape[0]}-frame clip"
        )
    out = clip.copy()
    sources = list(range(clip.shape[0]))
    torn = []
    for n, row in enumerate(rows, start=start):
        if row >= height:
            out[n] = clip[n - 1]
            sources[n] = n - 1
            continue
        out[n, :row] = clip[n - 1, :row]
        change = float(np.abs(clip[n, :row].astype(np.int16) - clip[n - 1, :row]).mean()) if row else 0.0
        if min_rows <= row <= height - min_rows and change > 0 and change >= visible_levels:
            torn.append(n)
    return out, sources, torn


def _scanout_edge_rows(height: int) -> int:
    """Scan-out tears closer than this to the top or bottom edge are not drawn (3 %, at least 2 rows)."""
    return max(2, math.ceil(0.03 * height))


def merge_segments(frames: list[int]) -> list[tuple[int, int]]:
    """Sorted frame indices as end-exclusive runs of consecutive frames."""
    segments: list[tuple[int, int]] = []
    for t in sorted(set(frames)):
        if segments and segments[-1][1] == t:
            segments[-1] = (segments[-1][0], t + 1)
        else:
            segments.append((t, t + 1))
    return segments


def remap(clip: np.ndarray, index_map: list[int]) -> np.ndarray:
    """``out[t] = clip[index_map[t]]``: a new C-contiguous clip of the same length."""
    index = np.asarray(index_map, dtype=np.int64)
    if index.shape != (clip.shape[0],) or index.min() < 0 or index.max() >= clip.shape[0]:
        raise ValueError(f"index_map must hold {clip.shape[0]} frame indices in [0, {clip.shape[0] - 1}]")
    return np.ascontiguousarray(clip[index])


def change_levels(clip: np.ndarray, out: np.ndarray, frames: list[int]) -> float:
    """Mean absolute change (levels) of the given frames; 0 for none."""
    if not frames:
        return 0.0
    index = np.asarray(frames)
    return float(np.abs(out[index].astype(np.int16) - clip[index].astype(np.int16)).mean())


# ---------------------------------------------------------------------------------------- black frames


@dataclass(frozen=True)
class BlackFrames(ClipDefect):
    """Spans of black frames inserted into programme: a lost feed, an ad-insertion gap, a decoder reset.

    ``spans_range`` (1-3) spans, each ``span_s_range`` (0.04-2 s, log-uniform; at least one frame,
    and at least one frame of the clip stays programme) long, at least one frame apart. A span is
    drawn in a style from ``mode_choices``:

    - ``flat``: every pixel at a black level from ``level_choices`` (0 full-range black, 16 studio
      black decoded without range expansion);
    - ``noise``: that level plus Gaussian noise of ``noise_sigma_range`` (0.5-3 levels), clipped to
      ``[0, NEAR_BLACK_MAX]`` (24 levels): an analogue feed with no picture;
    - ``logo``: flat or noisy black with a station bug that stayed on air: a box of
      ``logo_width_ratio_range`` (6-15 %) of the width in a corner, opacity 0.5-1.

    Outside the logo box every pixel of a span is ``<= NEAR_BLACK_MAX``; the cut to black is
    abrupt (fades are clean, see ``temporal_negatives.py``).
    """

    label: ClassVar[str] = "black"
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "span_s_range": (0.001, 60.0),
        "spans_range": (1, 16),
        "noise_sigma_range": (0.0, 8.0),
        "logo_width_ratio_range": (0.01, 0.5),
    }
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"mode_choices": BLACK_MODES}

    mode_choices: tuple[str, ...] = BLACK_MODES
    span_s_range: tuple[float, float] = (0.04, 2.0)
    spans_range: tuple[int, int] = (1, 3)
    level_choices: tuple[int, ...] = (0, 16)
    noise_sigma_range: tuple[float, float] = (0.5, 3.0)
    logo_width_ratio_range: tuple[float, float] = (0.06, 0.15)

    def __post_init__(self) -> None:
        super().__post_init__()
        bad = [v for v in self.level_choices if isinstance(v, bool) or not 0 <= v <= NEAR_BLACK_MAX]
        if bad:
            raise ValueError(f"BlackFrames.level_choices must be levels in [0, {NEAR_BLACK_MAX}], got {bad}")
        if self.span_s_range[0] <= 0:
            raise ValueError(f"BlackFrames.span_s_range must be > 0 s, got {list(self.span_s_range)}")

    def sample_params(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        self._check_meta(meta)
        count = integer(rng, self.spans_range)
        lengths = [
            seconds_to_frames(log_uniform(rng, self.span_s_range), meta.fps, 1, meta.num_frames - 1)
            for _ in range(count)
        ]
        # Each span <= T - 1 frames and one-frame gaps: at least one frame of programme stays.
        spans = place_spans(rng, lengths, 0, meta.num_frames, gap=1)
        return {"spans": [self._sample_span(rng, span, meta) for span in spans]}

    def _sample_span(self, rng: np.random.Generator, span: list[int], meta: ClipMeta) -> dict[str, Any]:
        mode = str(pick(rng, self.mode_choices))
        out: dict[str, Any] = {
            "start": span[0],
            "end": span[1],
            "mode": mode,
            "level": int(pick(rng, self.level_choices)),
        }
        noisy = mode == "noise" or (mode == "logo" and rng.random() < 0.5)
        out["noise_sigma"] = uniform(rng, self.noise_sigma_range) if noisy else 0.0
        out["noise_seed"] = integer(rng, (0, 2**31 - 1))
        if mode == "logo":
            w = max(2, int(round(uniform(rng, self.logo_width_ratio_range) * meta.width)))
            h = max(2, int(round(w * uniform(rng, (0.4, 1.0)))))
            w, h = min(w, meta.width), min(h, meta.height)
            margin_y = int(round(0.05 * meta.height))
            margin_x = int(round(0.05 * meta.width))
            corner = str(pick(rng, CORNERS))
            y0 = margin_y if corner.startswith("top") else meta.height - margin_y - h
            x0 = margin_x if corner.endswith("left") else meta.width - margin_x - w
            y0, x0 = max(0, y0), max(0, x0)
            out["logo"] = {
                "corner": corner,
                "box": [y0, x0, y0 + h, x0 + w],
                "colour": [int(c) for c in rng.integers(150, 256, 3)],
                "inner_colour": [int(c) for c in rng.integers(0, 256, 3)],
                "alpha": uniform(rng, (0.5, 1.0)),
            }
        return out

    def apply(self, clip: np.ndarray, params: dict[str, Any], meta: ClipMeta) -> tuple[np.ndarray, Target]:
        self._check(clip, meta)
        out = clip.copy()
        frames: list[int] = []
        peaks = []
        for span in params["spans"]:
            start, end = int(span["start"]), int(span["end"])
            if not 0 <= start < end <= clip.shape[0]:
                raise ValueError(f"black span {(start, end)} is outside a clip of {clip.shape[0]} frames")
            black = _black(end - start, clip.shape[1], clip.shape[2], span)
            out[start:end] = black
            frames.extend(range(start, end))
            outside = black.copy()
            if "logo" in span:
                y0, x0, y1, x1 = span["logo"]["box"]
                outside[:, y0:y1, x0:x1] = 0
            peaks.append(int(outside.max()))
        segments = merge_segments(frames)
        stats = {
            "black_frames": len(frames),
            "max_level_outside_logo": max(peaks),
            "modes": [span["mode"] for span in params["spans"]],
            "mean_change_levels": change_levels(clip, out, frames),
        }
        return out, Target(label=self.label, segments=segments, params=params, stats=stats)


def _black(count: int, height: int, width: int, span: dict[str, Any]) -> np.ndarray:
    """``count`` near-black frames of one span (noise from the span's seed, logo on top)."""
    level = float(span["level"])
    sigma = float(span["noise_sigma"])
    if sigma > 0:
        noise = np.random.default_rng(int(span["noise_seed"])).normal(0.0, sigma, (count, height, width, 1))
        frames = np.clip(np.rint(level + noise), 0, NEAR_BLACK_MAX)
        frames = np.repeat(frames, 3, axis=3)
    else:
        frames = np.full((count, height, width, 3), level)
    if "logo" in span:
        logo = span["logo"]
        y0, x0, y1, x1 = logo["box"]
        art = np.empty((y1 - y0, x1 - x0, 3))
        art[:] = logo["colour"]
        h, w = y1 - y0, x1 - x0
        art[h // 3 : h - h // 3, w // 3 : w - w // 3] = logo["inner_colour"]  # a simple two-colour bug
        alpha = float(logo["alpha"])
        frames[:, y0:y1, x0:x1] = alpha * art + (1 - alpha) * frames[:, y0:y1, x0:x1]
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------------- freeze


@dataclass(frozen=True)
class Freeze(ClipDefect):
    """One frame held for a span: a decoder or stream stall, the picture frozen until data arrives.

    The held frame is the span's first frame, shown ``span_s_range`` (0.2-3 s, at least 2 frames,
    at most the clip less one frame) times, bit-exactly: zero frame difference across the span.
    Playback resumes in a style from ``resume_choices``: ``live`` (a live stream catches up: the
    frames of the stall are lost, the clip continues as before) or ``delayed`` (a buffering player:
    nothing is lost, everything after the stall is shown late and the clip's tail is cut).
    ``params["index_map"]`` gives the source frame of every output frame.
    """

    label: ClassVar[str] = "freeze"
    bounds: ClassVar[dict[str, tuple[float, float]]] = {"span_s_range": (0.001, 600.0)}
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"resume_choices": RESUME_MODES}
    min_frames: ClassVar[int] = 3

    span_s_range: tuple[float, float] = (0.2, 3.0)
    resume_choices: tuple[str, ...] = RESUME_MODES

    def sample_params(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        self._check_meta(meta)
        n = seconds_to_frames(uniform(rng, self.span_s_range), meta.fps, 2, meta.num_frames - 1)
        start = int(rng.integers(0, meta.num_frames - n + 1))
        end = start + n
        resume = str(pick(rng, self.resume_choices))
        index = list(range(meta.num_frames))
        for t in range(start, end):
            index[t] = start
        if resume == "delayed":
            for t in range(end, meta.num_frames):
                index[t] = t - (n - 1)
        return {"start": start, "end": end, "resume": resume, "index_map": index}

    def apply(self, clip: np.ndarray, params: dict[str, Any], meta: ClipMeta) -> tuple[np.ndarray, Target]:
        self._check(clip, meta)
        start, end = int(params["start"]), int(params["end"])
        index = [int(i) for i in params["index_map"]]
        if not (0 <= start < end <= clip.shape[0]) or len(index) != clip.shape[0]:
            raise ValueError(
                f"freeze span {(start, end)} or index map does not fit a {clip.shape[0]}-frame clip"
            )
        if any(index[t] != start for t in range(start, end)):
            raise ValueError("the index map must hold the span's first frame across the span")
        out = remap(clip, index)
        held = list(range(start + 1, end))
        stats = {
            "held_frame": start,
            "repeats": end - start - 1,
            "mean_change_levels": change_levels(clip, out, held),
            "visible": bool(held and (out[held] != clip[held]).any()),
        }
        return out, Target(label=self.label, segments=[(start, end)], params=params, stats=stats)


# --------------------------------------------------------------------------------------------- stutter


@dataclass(frozen=True)
class Stutter(ClipDefect):
    """Uneven playback over a span: frames repeated and frames skipped, the clip length unchanged.

    Over ``span_s_range`` (0.3-2 s, at least 2 frames, inside the clip with a frame of context on
    each side) the player advances by irregular steps: a skip drops ``skip_frames_choices`` (1 or 2)
    source frames and is balanced by as many repeats elsewhere in the span, so playback is back in
    sync at the end (a variable-rate source, a dropped-frame renderer, a jittery network player).
    About ``irregularity_range`` (10-40 %) of the steps are repeats or skips; there is always at
    least one of each. ``params["index_map"]`` gives the source frame of every output frame;
    the segment is the hull of the output frames whose source or frame step is irregular.
    """

    label: ClassVar[str] = "stutter"
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "span_s_range": (0.001, 600.0),
        "irregularity_range": (0.0, 1.0),
    }
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"skip_frames_choices": (1, 2, 3, 4)}
    min_frames: ClassVar[int] = 4

    span_s_range: tuple[float, float] = (0.3, 2.0)
    irregularity_range: tuple[float, float] = (0.1, 0.4)
    skip_frames_choices: tuple[int, ...] = (1, 2)

    def sample_params(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        self._check_meta(meta)
        t_max = meta.num_frames
        n = seconds_to_frames(uniform(rng, self.span_s_range), meta.fps, 2, t_max - 2)
        start = int(rng.integers(1, t_max - n))  # frames start-1 and start+n stay in the clip
        steps_count = n + 1  # the steps into frames start .. start + n; they sum to n + 1
        target = max(2, int(round(uniform(rng, self.irregularity_range) * steps_count)))
        events: list[int] = []
        used = 0
        while used < target:
            skip = int(pick(rng, self.skip_frames_choices))
            if used + 1 + skip > steps_count:
                if events:
                    break
                skip = 1
            events.append(skip)
            used += 1 + skip
        steps = [1] * (steps_count - used)
        for skip in events:
            steps += [skip + 1] + [0] * skip
        steps = [int(s) for s in rng.permutation(steps)]
        index = list(range(t_max))
        position = start - 1
        for k, step in enumerate(steps[:-1]):
            position += step
            index[start + k] = position
        assert position + steps[-1] == start + n
        return {"start": start, "end": start + n, "skips": events, "index_map": index}

    def apply(self, clip: np.ndarray, params: dict[str, Any], meta: ClipMeta) -> tuple[np.ndarray, Target]:
        self._check(clip, meta)
        index = [int(i) for i in params["index_map"]]
        out = remap(clip, index)
        irregular = [
            t for t in range(len(index)) if index[t] != t or (t > 0 and index[t] - index[t - 1] != 1)
        ]
        if not irregular:
            raise ValueError("a stutter index map must differ from the identity")
        segment = (irregular[0], irregular[-1] + 1)
        steps = np.diff(index)
        changed = [t for t in range(len(index)) if index[t] != t]
        stats = {
            "repeats": int((steps == 0).sum()),
            "skips": int((steps > 1).sum()),
            "dropped_frames": int(np.maximum(steps - 1, 0).sum()),
            "changed_frames": len(changed),
            "mean_change_levels": change_levels(clip, out, changed),
        }
        return out, Target(label=self.label, segments=[segment], params=params, stats=stats)


# -------------------------------------------------------------------------------------------- tearing


@dataclass(frozen=True)
class Tearing(ClipDefect):
    """Torn frames: a buffer swapped mid-scan, the top of one moment over the bottom of a later one.

    ``tears_range`` (1-3) distinct frames are torn. In a torn frame ``t`` the rows from the tear
    row (``row_ratio_range``, 15-85 % of the height) down come from frame ``t + k``,
    ``k`` from ``lag_frames_range`` (1-2); with probability ``offset_prob`` (0.3) they are also
    shifted sideways by ``offset_px_range`` (2-24 px, random sign, edge pixels repeated): a sync
    glitch. Rows above the tear are bit-exact; other frames are untouched.

    Each sample picks a mode from ``mode_choices``: ``swap`` is the above; ``scanout`` is a renderer
    presenting without vsync over ``scanout_span_s_range`` (0.12-0.8 s): each display frame shows the
    previous frame above a tear row that rolls by ``scanout_drift_range`` (0-0.25) of a period per
    frame, rows scanned over all but ``vblank_fraction`` (5 %) of each period
    (:func:`scanout_rows`, :func:`scanout_tears`), so tears come in runs, with no region copied
    from a later frame. A tear within ``3 %`` of the height (at least 2 rows) of an edge, or a present
    in the blank, is not drawn (row 0: the frame shown whole), so every changed frame is torn (above
    the tear the two frames differ by more than ``visible_levels``, 0 by default).
    """

    label: ClassVar[str] = "tearing"
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "tears_range": (1, 64),
        "lag_frames_range": (1, 16),
        "row_ratio_range": (0.0, 1.0),
        "offset_px_range": (1.0, 1024.0),
        "scanout_span_s_range": (0.001, 600.0),
        "scanout_drift_range": (0.0, 0.99),
    }
    options: ClassVar[dict[str, tuple[Any, ...]]] = {"mode_choices": TEARING_MODES}

    tears_range: tuple[int, int] = (1, 3)
    lag_frames_range: tuple[int, int] = (1, 2)
    row_ratio_range: tuple[float, float] = (0.15, 0.85)
    offset_prob: float = 0.3
    offset_px_range: tuple[float, float] = (2.0, 24.0)
    mode_choices: tuple[str, ...] = TEARING_MODES
    scanout_span_s_range: tuple[float, float] = (0.12, 0.8)
    scanout_drift_range: tuple[float, float] = (0.0, 0.25)
    vblank_fraction: float = 0.05
    visible_levels: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.vblank_fraction < 0.5:
            raise ValueError(f"Tearing.vblank_fraction={self.vblank_fraction!r} must be in [0, 0.5)")
        if not self.visible_levels >= 0.0:
            raise ValueError(f"Tearing.visible_levels={self.visible_levels!r} must be >= 0")

    def sample_params(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        self._check_meta(meta)
        if meta.height < 2:
            raise ValueError("Tearing needs frames of >= 2 rows")
        if pick(rng, self.mode_choices) == "scanout":
            d = sample_scanout(
                rng, meta.num_frames, meta.fps, self.scanout_span_s_range, self.scanout_drift_range
            )
            edge = _scanout_edge_rows(meta.height)
            rows = [
                r if edge <= r <= meta.height - edge else 0
                for r in scanout_rows(meta.height, d["length"], d["phase"], d["drift"], self.vblank_fraction)
            ]
            return {
                "mode": "scanout",
                "start": d["start"],
                "phase": d["phase"],
                "drift": d["drift"],
                "rows": rows,
            }
        count = integer(rng, self.tears_range)
        tears, used = [], set()
        for _ in range(count):
            lag = min(integer(rng, self.lag_frames_range), meta.num_frames - 1)
            free = [t for t in range(meta.num_frames - lag) if t not in used]
            if not free:
                break
            frame = int(free[int(rng.integers(len(free)))])
            used.add(frame)
            row = int(min(max(round(uniform(rng, self.row_ratio_range) * meta.height), 1), meta.height - 1))
            offset = 0
            if rng.random() < self.offset_prob:
                offset = max(1, int(round(uniform(rng, self.offset_px_range)))) * int(pick(rng, (-1, 1)))
            tears.append({"frame": frame, "source": frame + lag, "row": row, "offset_px": offset})
        return {"mode": "swap", "tears": sorted(tears, key=lambda tear: tear["frame"])}

    def apply(self, clip: np.ndarray, params: dict[str, Any], meta: ClipMeta) -> tuple[np.ndarray, Target]:
        self._check(clip, meta)
        t_max, height, width = clip.shape[:3]
        if params.get("mode", "swap") == "scanout":
            rows = [int(r) for r in params["rows"]]
            edge = _scanout_edge_rows(height)
            out, _, frames = scanout_tears(clip, int(params["start"]), rows, edge, self.visible_levels)
            stats = {
                "torn_frames": frames,
                "rows": rows,
                "mean_change_levels": change_levels(clip, out, frames),
                "visible": bool(frames),
            }
            return out, Target(label=self.label, segments=merge_segments(frames), params=params, stats=stats)
        out = clip.copy()
        frames = []
        for tear in params["tears"]:
            t, source, row, offset = (int(tear[k]) for k in ("frame", "source", "row", "offset_px"))
            if not (0 <= t < source < t_max and 1 <= row < height):
                raise ValueError(f"tear {tear} does not fit a clip of shape {clip.shape[:3]}")
            lower = clip[source, row:]
            if offset:
                lower = lower[:, np.clip(np.arange(width) - offset, 0, width - 1)]
            out[t, row:] = lower
            frames.append(t)
        stats = {
            "torn_frames": sorted(frames),
            "rows": [int(tear["row"]) for tear in params["tears"]],
            "mean_change_levels": change_levels(clip, out, frames),
            "visible": bool((out != clip).any()),
        }
        return out, Target(label=self.label, segments=merge_segments(frames), params=params, stats=stats)
