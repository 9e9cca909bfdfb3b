"""FFmpeg's temporal detectors (``blackdetect``, ``freezedetect``, ``scdet``, ``silencedetect``) per frame.

Each wrapper runs one filter in-process through a PyAV filter graph on an in-memory clip (RGB uint8
``(T, H, W, 3)`` at ``fps``) or mono float audio, reads the metadata FFmpeg attaches to the frames
and turns it into frame-indexed flags, scores and ``[start, end)`` event spans, so the filter can be
scored frame by frame against ground-truth segments. Frame ``i`` is pushed with ``pts = i`` in a
time base of ``1 / fps``; FFmpeg's times are mapped back with ``round(t * fps)``, exact for any clip
length (FFmpeg prints times with microsecond precision). Metadata keys this FFmpeg 8 build emits:

- ``blackdetect``: ``lavfi.black_start`` on the first black frame, ``lavfi.black_end`` on the first
  frame after the run (nothing if the clip ends black). No per-frame score: the wrappers compute
  the fraction of black luma pixels from the filter's own (converted) output frames.
- ``freezedetect``: ``lavfi.freezedetect.freeze_start`` (time of the first frame of the still run),
  attached late, on the frame where the run reaches ``d``; ``freeze_end`` and ``freeze_duration``
  on the first frame that moves again (nothing if the clip ends frozen).
- ``scdet``: ``lavfi.scd.mafd`` and ``lavfi.scd.score`` on every frame, ``lavfi.scd.time`` when
  ``score >= threshold``.
- ``silencedetect``: ``lavfi.silence_start``, ``lavfi.silence_end``, ``lavfi.silence_duration`` at
  sample resolution on the audio frame being processed (nothing at the end if the audio ends silent).

:class:`TemporalDSPBaseline` turns one per-frame (or per-block) score into a detector whose threshold
is chosen on validation data to maximise balanced accuracy, for side-by-side frame-level evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import av
import av.filter
import numpy as np

from vqa_train.metrics import balanced_accuracy, best_threshold

DB_FLOOR = -160.0  # the peak level of an all-zero block (dBFS)
SCDET_KEYS = ("lavfi.scd.score", "lavfi.scd.mafd", "lavfi.scd.time")
MAX_AUDIO_CHUNK = 4096  # samples pushed per audio frame at most
MIN_AUDIO_CHUNK = 32
MAX_FREEZE_NOISE_DB = -10.0  # the closing frame must count as a change


# ------------------------------------------------------------------------------------------- input


def _check_clip(clip: np.ndarray, fps: float) -> tuple[np.ndarray, float]:
    array = np.asarray(clip)
    if array.dtype != np.uint8:
        raise ValueError(f"clip must be uint8 RGB (T, H, W, 3), got dtype {array.dtype}")
    if array.ndim != 4 or array.shape[3] != 3:
        raise ValueError(f"clip must be uint8 RGB (T, H, W, 3), got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError("clip is empty (0 frames)")
    if array.shape[1] < 2 or array.shape[2] < 2:
        raise ValueError(f"clip frames must be at least 2x2 pixels, got {array.shape[2]}x{array.shape[1]}")
    return np.ascontiguousarray(array), _check_rate(fps, "fps")


def _check_rate(rate: float, name: str) -> float:
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {rate!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {rate!r}")
    return value


def _check_audio(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    array = np.asarray(audio)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1:
        raise ValueError(f"audio must be mono float (n,) or (1, n), got shape {array.shape}")
    if array.dtype.kind != "f":
        raise ValueError(f"audio must be float samples in [-1, 1], got dtype {array.dtype}")
    if array.size == 0:
        raise ValueError("audio is empty (0 samples)")
    if not np.isfinite(array).all():
        raise ValueError("audio holds NaN or infinite samples")
    rate = _check_rate(sample_rate, "sample_rate")
    if rate != int(rate):
        raise ValueError(f"sample_rate must be a whole number of Hz, got {sample_rate!r}")
    return np.ascontiguousarray(array, dtype=np.float32), int(rate)


def _check_fraction(value: float, name: str) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


def _check_noise_db(value: float, name: str = "noise_db") -> float:
    value = float(value)
    if not (math.isfinite(value) and value < 0):
        raise ValueError(f"{name} must be a negative level in dB, got {value}")
    return value


# ------------------------------------------------------------------------------------------ graphs


def _time_base(fps: float) -> Fraction:
    return 1 / Fraction(fps).limit_denominator(1_000_000)


def _drain(graph: av.filter.Graph, out: list) -> None:
    while True:
        try:
            out.append(graph.pull())
        except (av.BlockingIOError, av.EOFError):
            return


def _run_video(clip: np.ndarray, fps: float, chain: Sequence[tuple[str, str]]) -> list[av.VideoFrame]:
    """Push every frame through ``buffer -> chain -> buffersink``; one output frame per input frame."""
    graph = av.filter.Graph()
    nodes = [
        graph.add_buffer(width=clip.shape[2], height=clip.shape[1], format="rgb24", time_base=_time_base(fps))
    ]
    nodes += [graph.add(name, args) for name, args in chain]
    nodes.append(graph.add("buffersink"))
    for upstream, downstream in zip(nodes, nodes[1:]):
        upstream.link_to(downstream)
    graph.configure()
    frames: list[av.VideoFrame] = []
    for index, image in enumerate(clip):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = index
        graph.push(frame)
        _drain(graph, frames)
    graph.push(None)
    _drain(graph, frames)
    if len(frames) != len(clip):
        names = "+".join(name for name, _ in chain)
        raise RuntimeError(f"{names} returned {len(frames)} frames for {len(clip)}")
    return frames


def _to_frame(text: str, rate: float) -> int:
    return int(round(float(text) * rate))


def _spans_from_keys(
    metadata: Sequence[Mapping[str, str]], start_key: str, end_key: str, rate: float, length: int
) -> list[tuple[int, int]]:
    """``[start, end)`` index spans from start/end times; an end before the next start closes the open one."""
    spans: list[tuple[int, int]] = []
    open_start: int | None = None
    for meta in metadata:
        start = _to_frame(meta[start_key], rate) if start_key in meta else None
        end = _to_frame(meta[end_key], rate) if end_key in meta else None
        if end is not None and start is not None and start >= end and open_start is not None:
            spans.append((open_start, end))  # the previous run ends, a new one starts, in one frame
            open_start, end = start, None
        if start is not None and open_start is None:
            open_start = start
        if end is not None and open_start is not None:
            spans.append((open_start, end))
            open_start = None
    if open_start is not None:
        spans.append((open_start, length))  # FFmpeg reports no end when the input ends inside a run
    return [(max(0, s), min(length, e)) for s, e in spans if min(length, e) > max(0, s)]


def _flags(spans: Sequence[tuple[int, int]], length: int) -> np.ndarray:
    flags = np.zeros(length, dtype=bool)
    for start, end in spans:
        flags[start:end] = True
    return flags


def frame_differences(clip: np.ndarray, brightness: bool = False) -> np.ndarray:
    """Float64 ``[T]`` mean absolute RGB difference to the previous frame (0-255); NaN for frame 0.

    A repeated frame scores exactly 0; a dropped frame shows as a larger jump than its neighbours.
    With ``brightness`` the difference is of the pixels' brightness (mean of R, G, B) instead, so a
    codec's colour noise on a still picture barely counts.
    """
    clip = np.asarray(clip)
    frames = clip.astype(np.float32).mean(axis=3) if brightness else clip.astype(np.int16)
    diff = np.full(clip.shape[0], np.nan)
    for i in range(1, clip.shape[0]):
        diff[i] = np.abs(frames[i] - frames[i - 1]).mean()
    return diff


def repeat_cadence(
    clip: np.ndarray,
    periods: Sequence[int] = (2, 3, 4, 5, 6),
    repeat_levels: float = 0.5,
    min_pace_levels: float = 1.0,
) -> int:
    """The period of a regular repeat cadence that runs through the whole clip, or 0 if there is none.

    Telecine and frame-rate doubling repeat frames on a fixed beat (3:2 pulldown shown at 25 or
    30 fps: one frame in five), which is legitimate; a stutter repeats and skips frames irregularly
    over a span. A frame is a repeat when its mean difference to the previous frame is below
    ``repeat_levels`` while the clip moves (median difference >= ``min_pace_levels``: in a still
    shot every frame is a "repeat"). The clip has cadence ``p`` when its repeats fall exactly on
    every ``p``-th frame from the first to the last beat that fits in it: at least two beats, none
    missing, none extra.
    """
    diff = frame_differences(clip)[1:]
    moving = diff[diff >= repeat_levels]
    if len(diff) < 4 or len(moving) == 0 or np.median(moving) < min_pace_levels:
        return 0
    repeats = np.flatnonzero(diff < repeat_levels)
    if len(repeats) < 2:
        return 0
    for period in periods:
        phase = int(repeats[0]) % period
        beats = np.arange(phase, len(diff), period)
        if len(beats) >= 2 and np.array_equal(repeats, beats):
            return int(period)
    return 0


# ------------------------------------------------------------------------------------- blackdetect


def blackdetect_frames(
    clip: np.ndarray,
    fps: float,
    pix_th: float = 0.10,
    picture_black_ratio_th: float = 0.98,
    min_duration_s: float = 0.0,
) -> dict[str, Any]:
    """FFmpeg ``blackdetect`` on a clip: frames whose share of dark luma pixels reaches the ratio.

    The clip goes ``rgb24 -> yuv444p`` (FFmpeg's BT.601 limited-range conversion, any frame size) into
    ``blackdetect=d=0``. Returns ``flags`` (bool ``[T]``), ``events`` (``[start, end)`` frames),
    ``events_s`` (seconds), ``scores`` (float64 ``[T]``: fraction of luma pixels at or below the
    filter's pixel threshold, read from the filter's own output frames, so ``flags`` equals
    ``scores >= picture_black_ratio_th`` when ``min_duration_s`` is 0) and ``luma_threshold``.
    Events are frame-exact (tolerance 0): runs shorter than ``min_duration_s`` are dropped here, since
    FFmpeg's ``d`` only filters its log, not the metadata.
    """
    clip, fps = _check_clip(clip, fps)
    pix_th = _check_fraction(pix_th, "pix_th")
    ratio_th = _check_fraction(picture_black_ratio_th, "picture_black_ratio_th")
    if not min_duration_s >= 0:
        raise ValueError(f"min_duration_s must be >= 0, got {min_duration_s}")
    args = f"d=0:pix_th={pix_th!r}:pic_th={ratio_th!r}"
    frames = _run_video(clip, fps, [("format", "pix_fmts=yuv444p"), ("blackdetect", args)])
    luma_threshold = int(16 + pix_th * (235 - 16))  # FFmpeg's limited-range rule, truncated as in C
    scores = np.empty(len(frames))
    for i, frame in enumerate(frames):
        plane = frame.planes[0]
        rows = np.frombuffer(plane, dtype=np.uint8).reshape(plane.height, plane.line_size)
        scores[i] = np.count_nonzero(rows[:, : plane.width] <= luma_threshold) / (plane.width * plane.height)
    spans = _spans_from_keys(
        [frame.metadata for frame in frames], "lavfi.black_start", "lavfi.black_end", fps, len(frames)
    )
    min_frames = min_duration_s * fps - 1e-6
    spans = [(s, e) for s, e in spans if e - s >= min_frames]
    return {
        "flags": _flags(spans, len(frames)),
        "events": spans,
        "events_s": [(s / fps, e / fps) for s, e in spans],
        "scores": scores,
        "luma_threshold": luma_threshold,
    }


# ------------------------------------------------------------------------------------ freezedetect


def freezedetect_frames(
    clip: np.ndarray, fps: float, noise_db: float = -60.0, min_duration_s: float | None = None
) -> dict[str, Any]:
    """FFmpeg ``freezedetect`` on a clip: runs of frames that do not change (within ``noise_db``).

    A still run is a frame followed by copies of it (equal within ``noise_db``); ``events`` are
    frame-exact (tolerance 0) ``[start, end)`` spans with ``start`` the frame being held (the
    original, not a copy) and ``end`` the first frame that moves again (``T`` if the clip ends
    frozen). FFmpeg attaches ``freeze_start`` late, on the frame where the run reaches ``d``, but it
    names the time of the run's first frame, so no delay is left in the spans. FFmpeg measures a run
    from its first frame to the frame that ends it, so a run of ``L`` frames lasts ``L / fps``; it is
    reported when ``L >= max(2, ceil(min_duration_s * fps))`` (default ``min_duration_s``: three frame
    periods, so a single repeated frame, a stutter, is not a freeze). FFmpeg gets ``d`` half a frame
    below that to dodge rounding, and one extra frame (the last one with every byte XOR 0x80) closes
    a run still open at the end, which FFmpeg would otherwise measure one frame short.

    Returns ``flags`` (the whole run, original included), ``copy_flags`` (the copies only: ``flags``
    without each run's first frame; compare these with ground truth that labels only the repeated
    frames, otherwise expect every start one frame early), ``events``, ``events_s`` and
    ``frame_diff`` (:func:`frame_differences`, the score a thresholded baseline can use).
    """
    clip, fps = _check_clip(clip, fps)
    noise_db = _check_noise_db(noise_db)
    if noise_db > MAX_FREEZE_NOISE_DB:
        raise ValueError(f"noise_db must be <= {MAX_FREEZE_NOISE_DB} dB for freezedetect, got {noise_db}")
    if min_duration_s is None:
        min_duration_s = 3.0 / fps
    if not (math.isfinite(min_duration_s) and min_duration_s > 0):
        raise ValueError(f"min_duration_s must be > 0, got {min_duration_s}")
    min_frames = max(2, math.ceil(min_duration_s * fps - 1e-6))
    args = f"n={noise_db!r}dB:d={(min_frames - 0.5) / fps!r}"
    closing = np.bitwise_xor(clip[-1:], np.uint8(0x80))  # differs from the last frame by 128 everywhere
    frames = _run_video(np.concatenate([clip, closing]), fps, [("freezedetect", args)])
    length = len(clip)
    spans = _spans_from_keys(
        [frame.metadata for frame in frames],
        "lavfi.freezedetect.freeze_start",
        "lavfi.freezedetect.freeze_end",
        fps,
        length,
    )
    copies = _flags(spans, length)
    copies[[s for s, _ in spans]] = False
    return {
        "flags": _flags(spans, length),
        "copy_flags": copies,
        "events": spans,
        "events_s": [(s / fps, e / fps) for s, e in spans],
        "frame_diff": frame_differences(clip),
    }


# ------------------------------------------------------------------------------------------- scdet


def scdet_frames(clip: np.ndarray, fps: float, threshold: float = 10.0) -> dict[str, Any]:
    """FFmpeg ``scdet`` (scene-change detection) on a clip, with a numpy frame difference alongside.

    Returns ``scores`` (float64 ``[T]`` ``lavfi.scd.score``, 0-100; frame 0 scores 0, and frame 1
    scores its whole MAFD since there is no earlier difference to compare with), ``mafd``
    (``lavfi.scd.mafd``), ``flags`` (FFmpeg's own call: ``lavfi.scd.time`` present, i.e.
    ``score >= threshold``), ``events`` (``[(i, i + 1)]`` for each flagged frame, frame-exact),
    ``frame_diff`` (:func:`frame_differences`) and ``repeated`` (``frame_diff == 0``: the frame repeats
    its predecessor exactly, as in a stutter).
    """
    clip, fps = _check_clip(clip, fps)
    threshold = float(threshold)
    if not 0.0 <= threshold <= 100.0:
        raise ValueError(f"threshold must be in [0, 100], got {threshold}")
    frames = _run_video(clip, fps, [("scdet", f"threshold={threshold!r}")])
    metadata = [frame.metadata for frame in frames]
    for meta in metadata:
        if SCDET_KEYS[0] not in meta:
            raise RuntimeError(f"scdet attached no {SCDET_KEYS[0]!r} metadata (FFmpeg build changed?)")
    flags = np.asarray([SCDET_KEYS[2] in meta for meta in metadata], dtype=bool)
    diff = frame_differences(clip)
    return {
        "scores": np.asarray([float(meta[SCDET_KEYS[0]]) for meta in metadata]),
        "mafd": np.asarray([float(meta[SCDET_KEYS[1]]) for meta in metadata]),
        "flags": flags,
        "events": [(int(i), int(i) + 1) for i in np.flatnonzero(flags)],
        "frame_diff": diff,
        "repeated": diff == 0,
    }


# ------------------------------------------------------------------------------------ silencedetect


def silencedetect_audio(
    audio: np.ndarray,
    sample_rate: int,
    noise_db: float = -60.0,
    min_duration_s: float = 0.01,
    block_samples: int = 1024,
) -> dict[str, Any]:
    """FFmpeg ``silencedetect`` on mono audio: runs of samples below ``noise_db`` lasting ``min_duration_s``.

    Returns ``events`` (``[start, end)`` in samples, exact: FFmpeg reports sample-accurate times),
    ``events_s`` (seconds), ``block_flags`` (bool per ``block_samples`` block, the last one possibly
    short: at least half of the block lies in a silence), ``block_scores`` (the block's peak level in
    dBFS, ``DB_FLOOR`` for digital zero) and ``block_samples``. Audio is pushed in chunks no longer
    than the minimum silence, so each chunk carries at most one start and one end.
    """
    audio, sample_rate = _check_audio(audio, sample_rate)
    noise_db = _check_noise_db(noise_db)
    if not (math.isfinite(min_duration_s) and min_duration_s >= 0):
        raise ValueError(f"min_duration_s must be >= 0, got {min_duration_s}")
    block_samples = int(block_samples)
    if block_samples < 1:
        raise ValueError(f"block_samples must be >= 1, got {block_samples}")
    chunk = int(min(MAX_AUDIO_CHUNK, max(MIN_AUDIO_CHUNK, math.floor(min_duration_s * sample_rate))))
    graph = av.filter.Graph()
    nodes = [
        graph.add_abuffer(
            format="flt", sample_rate=sample_rate, layout="mono", time_base=Fraction(1, sample_rate)
        ),
        graph.add("silencedetect", f"n={noise_db!r}dB:d={float(min_duration_s)!r}"),
        graph.add("abuffersink"),
    ]
    for upstream, downstream in zip(nodes, nodes[1:]):
        upstream.link_to(downstream)
    graph.configure()
    out: list[av.AudioFrame] = []
    for start in range(0, audio.size, chunk):
        frame = av.AudioFrame.from_ndarray(audio[None, start : start + chunk], format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        graph.push(frame)
        _drain(graph, out)
    graph.push(None)
    _drain(graph, out)
    spans = _spans_from_keys(
        [frame.metadata for frame in out], "lavfi.silence_start", "lavfi.silence_end", sample_rate, audio.size
    )
    silent = _flags(spans, audio.size)
    n_blocks = -(-audio.size // block_samples)
    starts = np.arange(n_blocks) * block_samples
    lengths = np.minimum(block_samples, audio.size - starts)
    silent_counts = np.add.reduceat(silent.astype(np.int64), starts)
    peaks = np.maximum.reduceat(np.abs(audio), starts).astype(np.float64)
    with np.errstate(divide="ignore"):
        levels = np.maximum(20 * np.log10(peaks), DB_FLOOR)
    return {
        "events": spans,
        "events_s": [(s / sample_rate, e / sample_rate) for s, e in spans],
        "block_flags": 2 * silent_counts >= lengths,
        "block_scores": levels,
        "block_samples": block_samples,
    }


# ----------------------------------------------------------------------------------------- baseline

# kind -> (what the score is, True when a larger score means the defect)
SCORE_KINDS: dict[str, tuple[str, bool]] = {
    "black": ("blackdetect fraction of black luma pixels per frame", True),
    "freeze": ("mean absolute difference to the previous frame (low = repeated)", False),
    "frame_jump": ("mean absolute difference to the previous frame (high = dropped/torn)", True),
    "scene_change": ("scdet score per frame", True),
    "silence": ("peak level per audio block in dBFS (low = silent)", False),
}


class TemporalDSPBaseline:
    """One FFmpeg-derived per-frame (or per-block) score and one threshold chosen on validation data.

    ``kind`` names the score (see ``SCORE_KINDS``) and its direction: the defect is predicted when the
    score is above the threshold (``black``, ``frame_jump``, ``scene_change``) or below it
    (``freeze``, ``silence``). Non-finite scores (frame 0's difference) are skipped by :meth:`fit`
    and predicted clean.
    """

    def __init__(self, kind: str, threshold: float | None = None, block_samples: int = 1024) -> None:
        if kind not in SCORE_KINDS:
            raise ValueError(f"kind must be one of {sorted(SCORE_KINDS)}, got {kind!r}")
        self.kind = kind
        self.threshold = None if threshold is None else float(threshold)
        self.block_samples = int(block_samples)
        self.val_bacc: float | None = None

    @property
    def higher_is_defect(self) -> bool:
        return SCORE_KINDS[self.kind][1]

    def scores(self, media: np.ndarray, rate: float) -> np.ndarray:
        """Float64 scores of a clip per frame (``rate`` = fps), or of mono audio per block (``silence``)."""
        if self.kind == "black":
            return blackdetect_frames(media, rate)["scores"]
        if self.kind == "scene_change":
            return scdet_frames(media, rate)["scores"]
        if self.kind == "silence":
            return silencedetect_audio(media, rate, block_samples=self.block_samples)["block_scores"]
        clip, _ = _check_clip(media, rate)
        return frame_differences(clip)

    def _gather(self, scores_or_clips: Any, rate: float | None) -> np.ndarray:
        if rate is not None:  # media: one clip (or audio) per item
            return np.concatenate([self.scores(item, rate) for item in scores_or_clips])
        if isinstance(scores_or_clips, np.ndarray):
            return scores_or_clips.astype(np.float64).ravel()
        return np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in scores_or_clips])

    def fit(self, scores_or_clips: Any, labels: Any, rate: float | None = None) -> TemporalDSPBaseline:
        """Choose the threshold maximising frame-level balanced accuracy (``metrics.best_threshold``).

        ``scores_or_clips``: a score array, a list of per-clip score arrays, or (with ``rate``, the fps
        or sample rate) a list of clips/audio to score; ``labels``: matching 0/1 per frame or block,
        an array or a list of per-clip arrays, concatenated in the same order.
        """
        s = self._gather(scores_or_clips, rate)
        y = (
            np.concatenate([np.asarray(v).ravel() for v in labels])
            if _is_nested(labels)
            else np.asarray(labels)
        )
        y = y.astype(bool).ravel()
        if s.shape != y.shape:
            raise ValueError(f"labels: {y.size} labels for {s.size} scores")
        keep = np.isfinite(s)
        s, y = s[keep], y[keep]
        if not (y.any() and (~y).any()):
            raise ValueError(
                f"labels: fit needs both classes, got {int(y.sum())} defect and {int((~y).sum())} clean"
            )
        sign = 1.0 if self.higher_is_defect else -1.0
        threshold, bacc = best_threshold(sign * s, y.astype(int))
        self.threshold = sign * threshold
        self.val_bacc = bacc
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """Bool per frame/block: the defect is present. NaN scores are predicted clean."""
        if self.threshold is None:
            raise RuntimeError("TemporalDSPBaseline.predict before fit (no threshold)")
        s = np.asarray(scores, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            hit = s > self.threshold if self.higher_is_defect else s < self.threshold
        return hit & np.isfinite(s)

    def evaluate(self, scores: np.ndarray, labels: np.ndarray) -> float:
        """Frame-level balanced accuracy of :meth:`predict` (NaN scores count as predicted clean)."""
        y = np.asarray(labels).astype(int).ravel()
        return balanced_accuracy(y, self.predict(scores).astype(int).ravel())

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "ffmpeg_temporal",
            "version": 1,
            "score": self.kind,
            "higher_is_defect": self.higher_is_defect,
            "threshold": self.threshold,
            "block_samples": self.block_samples,
            "val_bacc": self.val_bacc,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TemporalDSPBaseline:
        if data.get("kind") != "ffmpeg_temporal":
            raise ValueError(f"not an ffmpeg_temporal dict: kind={data.get('kind')!r}")
        model = cls(data["score"], threshold=data["threshold"], block_samples=data.get("block_samples", 1024))
        model.val_bacc = data.get("val_bacc")
        return model


def _is_nested(values: Any) -> bool:
    return isinstance(values, (list, tuple)) and len(values) > 0 and np.ndim(values[0]) > 0
