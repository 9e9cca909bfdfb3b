"""Runners: how detect.py applies one exported detector kind to a media file, streaming.

A runner takes the sidecar, the ONNX session and the file, and returns per-unit scores plus merged
defect events. New detector kinds add a runner here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synth.media import stream_audio
from vqa_train.progress import track


def _batches(chunks: Iterator[np.ndarray], seg_len: int, batch_size: int) -> Iterator[np.ndarray]:
    """Group streamed ``(1, n)`` chunks into ``(batch, seg_len)`` arrays; a short last chunk is padded."""
    batch: list[np.ndarray] = []
    for chunk in chunks:
        x = chunk.reshape(-1)
        if len(x) == 0:
            continue
        batch.append(np.pad(x, (0, seg_len - len(x))) if len(x) < seg_len else x)
        if len(batch) == batch_size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


def merge_events(
    labels: list[str], scores: np.ndarray, clean: str, unit_s: float, min_score: float
) -> list[dict[str, Any]]:
    """Consecutive units with the same defect label (score >= min_score) become one event."""
    events: list[dict[str, Any]] = []
    for i, (label, score) in enumerate(zip(labels, scores)):
        if label == clean or score < min_score:
            continue
        last = events[-1] if events else None
        if last and last["label"] == label and last["_end"] == i:
            last["_end"] = i + 1
            last["_scores"].append(float(score))
        else:
            events.append({"label": label, "_start": i, "_end": i + 1, "_scores": [float(score)]})
    return [
        {
            "label": e["label"],
            "start_s": round(e["_start"] * unit_s, 3),
            "end_s": round(e["_end"] * unit_s, 3),
            "peak_score": round(max(e["_scores"]), 4),
            "mean_score": round(float(np.mean(e["_scores"])), 4),
        }
        for e in events
    ]


def run_audio_segments(
    meta: dict[str, Any], session: Any, path: Path, min_score: float, batch_size: int, **_: Any
) -> dict[str, Any]:
    sr, seg_s = int(meta["sample_rate"]), float(meta["segment_s"])
    seg_len = int(round(sr * seg_s))
    classes, clean = list(meta["classes"]), meta.get("clean_label", "none")
    probs = []
    for batch in track(
        _batches(stream_audio(path, sr, seg_len), seg_len, batch_size), f"{meta['detector']}", total=None
    ):
        probs.append(session.run(None, {"waveform": batch.astype(np.float32)})[0])
    p = np.concatenate(probs) if probs else np.zeros((0, len(classes)), np.float32)
    # Per segment: the most probable class; a defect is reported with its own probability.
    top = p.argmax(axis=1) if len(p) else np.zeros(0, int)
    labels = [classes[i] for i in top]
    events = merge_events(labels, p.max(axis=1) if len(p) else np.zeros(0), clean, seg_s, min_score)
    return {
        "kind": meta["kind"],
        "classes": classes,
        "unit_s": seg_s,
        "num_units": int(len(p)),
        "events": events,
        "scores": np.round(p, 4).tolist(),
    }


def _resize_max_side(frame: np.ndarray, max_side: int | None) -> np.ndarray:
    import cv2

    h, w = frame.shape[:2]
    if not max_side or max(h, w) <= max_side:
        return frame
    scale = max_side / max(h, w)
    return cv2.resize(
        frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )


def run_frame_maps(
    meta: dict[str, Any],
    session: Any,
    path: Path,
    min_score: float,
    batch_size: int,
    frame_rate: float = 2.0,
    max_side: int | None = None,
    **_: Any,
) -> dict[str, Any]:
    """Frames sampled at ``frame_rate`` per second (by timestamp, so variable frame rate is fine).

    A frame is flagged by the exported decision: the learned score >= the sidecar's
    ``score_threshold`` (``min_score`` for exports without one), or the map's corrupted-area ratio
    above the sidecar's ``area_threshold``. Consecutive flagged frames merge
    into one event with its peak score and largest area ratio.
    """
    from synth.media import iter_video_frames

    decision = meta.get("decision", "learned")
    area_thr = float(meta.get("area_threshold", 0.07))
    score_thr = float(meta.get("score_threshold", min_score))
    times: list[float] = []
    scores: list[float] = []
    areas: list[float] = []
    pending: list[np.ndarray] = []

    def flush() -> None:
        if pending:
            x = np.stack(pending).transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255.0)
            _, score, area = session.run(None, {"frames": x})
            scores.extend(float(v) for v in score)
            areas.extend(float(v) for v in area)
            pending.clear()

    for t, frame in track(iter_video_frames(path, fps=frame_rate), f"{meta['detector']}", total=None):
        frame = _resize_max_side(frame, max_side)
        if pending and pending[0].shape != frame.shape:
            flush()
        pending.append(frame)
        times.append(float(t))
        if len(pending) == batch_size:
            flush()
    flush()
    step = 1.0 / frame_rate
    flags = [(a > area_thr) if decision == "area_ratio" else (s >= score_thr) for s, a in zip(scores, areas)]
    events: list[dict[str, Any]] = []
    for i, flagged in enumerate(flags):
        if not flagged:
            continue
        if events and events[-1]["_last"] == i - 1:
            ev = events[-1]
        else:
            ev = {"label": "corrupted", "start_s": round(times[i], 3), "_scores": [], "_areas": []}
            events.append(ev)
        ev["_last"] = i
        ev["end_s"] = round(times[i] + step, 3)
        ev["_scores"].append(scores[i])
        ev["_areas"].append(areas[i])
    classes = list(meta.get("classes", ["clean", "corrupted"]))
    return {
        "kind": meta["kind"],
        "classes": classes,
        "unit_s": step,
        "num_units": len(scores),
        "decision": decision,
        "events": [
            {
                "label": classes[1],
                "start_s": e["start_s"],
                "end_s": e["end_s"],
                "frames": len(e["_scores"]),
                "peak_score": round(max(e["_scores"]), 4),
                "peak_area_ratio": round(max(e["_areas"]), 4),
            }
            for e in events
        ],
        "times_s": [round(t, 3) for t in times],
        "area_ratio": [round(a, 4) for a in areas],
        "scores": [[round(1 - s, 4), round(s, 4)] for s in scores],
    }


# Frames of context carried into the next window: the network sees each frame's predecessor.
TEMPORAL_OVERLAP = 4


# Frames a window needs before repeat_cadence may call it regular (two beats of the longest period).
CADENCE_MIN_FRAMES = 12


@dataclass(frozen=True)
class DecisionRules:
    """Rules applied on top of a temporal segmenter's probabilities, per window of a stream (a simulated
    clip is one window). They belong to the preset, not to the weights: eval.py takes them from the
    current config, export.py writes them to the sidecar, detect.py applies them.

    - ``cadence_veto``: a window whose repeats keep a regular beat (pulldown, see
      :func:`~vqa_train.baselines.temporal_dsp.repeat_cadence`) scores 0; a window too short to show
      two beats keeps the verdict of the one before.
    - ``min_motion_levels``: a window whose frames change by less than this on average (mean absolute
      RGB difference to the previous frame, 0-255) scores 0: the picture moves too little for a repeat,
      a skip or a tear to be seen. For defects that need motion to be visible (``stutter``).
    - ``still_window_levels``: a window in which nothing changes (at most one frame-to-frame change of
      mean brightness above this: a codec's keyframe refresh of a still picture) keeps the probability
      of the previous window's last frame: a freeze goes on, and a still shot stays clean, until the
      picture changes. Within one window a still shot and a frame held since before it look the same;
      the windows overlap, so the one before saw how the stillness began. For ``freeze``.
    """

    cadence_veto: bool = False
    min_motion_levels: float | None = None
    still_window_levels: float | None = None

    @classmethod
    def from_detector(cls, detector: Any) -> DecisionRules:
        """The rules of a ``detector`` mapping (config or sidecar; absent or null keys: off), checked."""
        detector = {} if detector is None else detector
        return cls(
            cadence_veto=bool(detector.get("cadence_veto", False)),
            min_motion_levels=_levels(detector, "min_motion_levels"),
            still_window_levels=_levels(detector, "still_window_levels"),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def scorer(self, predict: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
        """``predict`` (a ``(T, H, W, 3)`` uint8 window -> ``(T,)`` probabilities) with these rules.
        Stateful (the previous window's cadence and verdict): one scorer per stream."""
        from vqa_train.baselines.temporal_dsp import frame_differences, repeat_cadence

        cadence = [0]  # period of the last window's repeat cadence
        last: list[float | None] = [None]  # the previous window's last probability

        def score(window: np.ndarray) -> np.ndarray:
            p = predict(window)
            if self.cadence_veto:
                cadence[0] = repeat_cadence(window) if len(window) >= CADENCE_MIN_FRAMES else cadence[0]
                if cadence[0]:
                    p = np.zeros_like(p)
            if self.min_motion_levels is not None and too_still(window, self.min_motion_levels):
                p = np.zeros_like(p)
            if (
                self.still_window_levels is not None
                and last[0] is not None
                and len(window) > 1
                and (frame_differences(window, brightness=True)[1:] > self.still_window_levels).sum() <= 1
            ):
                p = np.full_like(p, last[0])
            if len(p):
                last[0] = float(p[-1])
            return p

        return score


def _levels(detector: Any, key: str) -> float | None:
    """``detector[key]``: null/absent (off) or a level in (0, 255); anything else is a one-line error."""
    value = detector.get(key)
    if value is None:
        return None
    try:
        levels = float(value)
    except (TypeError, ValueError):
        levels = float("nan")
    if not 0.0 < levels < 255.0:
        raise ValueError(f"detector.{key} must be null or in (0, 255) levels, got {value!r}")
    return levels


def mean_motion(window: np.ndarray) -> float:
    """How much the frames of ``window`` change on average: mean absolute RGB difference to the previous
    frame (levels, 0-255); 0 for a single frame."""
    from vqa_train.baselines.temporal_dsp import frame_differences

    return float(frame_differences(window)[1:].mean()) if len(window) > 1 else 0.0


def too_still(window: np.ndarray, min_levels: float) -> bool:
    """Whether ``window`` moves less than ``min_levels`` (:func:`mean_motion`)."""
    return mean_motion(window) < min_levels


def score_in_windows(
    frames: Iterable[np.ndarray], num_frames: int, score: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Per-frame probabilities of a stream of frames, scored in windows of ``num_frames`` that overlap
    by ``TEMPORAL_OVERLAP``; each frame keeps the score from the window where it had the most context
    before it. Memory is one window. ``detect.py`` and ``eval.py real_set=`` score video this way."""
    probs: list[float] = []
    window: list[np.ndarray] = []

    def flush() -> None:
        keep_from = 0 if not probs else TEMPORAL_OVERLAP
        probs.extend(float(v) for v in score(np.stack(window))[keep_from:])

    for frame in frames:
        window.append(frame)
        if len(window) == num_frames:
            flush()
            window = window[-TEMPORAL_OVERLAP:]
    if len(window) > (0 if not probs else TEMPORAL_OVERLAP):
        flush()
    return np.asarray(probs, dtype=np.float64)


def run_temporal_segments(
    meta: dict[str, Any], session: Any, path: Path, min_score: float, batch_size: int, **_: Any
) -> dict[str, Any]:
    """Frames resampled to the detector's fps and size, scored in overlapping windows
    (:func:`score_in_windows`, with the sidecar's decision rules: :class:`DecisionRules`).

    Runs of frames with probability above the sidecar's ``threshold`` (the operating point export.py
    chose on val; ``min_score`` when the sidecar has none) become events.
    """
    import cv2

    from synth.media import iter_video_frames

    fps, t, h, w = float(meta["fps"]), int(meta["num_frames"]), int(meta["height"]), int(meta["width"])
    label = list(meta["classes"])[1]

    def predict(clip: np.ndarray) -> np.ndarray:
        x = clip[None].transpose(0, 1, 4, 2, 3).astype(np.float32) / np.float32(255.0)
        return session.run(None, {"clips": x})[0][0]

    frames = (
        cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
        for _, frame in track(iter_video_frames(path, fps=fps), f"{meta['detector']}", total=None)
    )
    scores = score_in_windows(frames, t, DecisionRules.from_detector(meta).scorer(predict))
    threshold = float(meta.get("threshold", min_score))
    clean = meta.get("clean_label", "clean")
    labels = [label if p > threshold else clean for p in scores]
    events = merge_events(labels, scores, clean, 1.0 / fps, threshold)
    return {
        "kind": meta["kind"],
        "classes": list(meta["classes"]),
        "unit_s": 1.0 / fps,
        "num_units": len(scores),
        "events": events,
        "scores": [[round(1 - p, 4), round(p, 4)] for p in scores],
    }


def run_audio_frames(
    meta: dict[str, Any], session: Any, path: Path, min_score: float, batch_size: int, **_: Any
) -> dict[str, Any]:
    """The file's audio at the detector's rate, one dropout probability per frame (10 ms), streamed.

    Each window scores ``chunk_s`` seconds of new frames with ``context_frames`` frames of audio on
    each side (the network's receptive half-width, about 0.57 s) and keeps only the new frames, so
    the scores equal those of the whole file scored at once while memory stays one window. Frame
    ``i`` covers samples ``[i * frame_samples, (i + 1) * frame_samples)``; trailing samples short of
    a frame get no score. Runs of frames with probability >= ``min_score`` become events. Windows
    run one at a time (``batch_size`` is not used).
    """
    sr, hop = int(meta["sample_rate"]), int(meta["frame_samples"])
    context = int(meta["context_frames"])
    step = max(1, int(round(float(meta.get("chunk_s", 30.0)) * sr / hop)))
    min_samples = int(meta.get("min_samples", 2 * hop))
    classes = list(meta["classes"])
    clean = meta.get("clean_label", "clean")
    parts: list[np.ndarray] = []
    buffer = np.zeros(0, dtype=np.float32)
    first = 0  # frame index of buffer[0]
    done = 0  # frames whose score is final

    def score(start: int, keep_from: int, keep_to: int, samples: np.ndarray) -> None:
        """Score the window starting at frame ``start``; keep frames ``[keep_from, keep_to)``."""
        window = samples if len(samples) >= min_samples else np.resize(samples, min_samples)  # tiny file
        p = session.run(None, {"waveform": np.ascontiguousarray(window[None], dtype=np.float32)})[0][0]
        parts.append(p[keep_from - start : keep_to - start])

    for chunk in track(stream_audio(path, sr, step * hop), f"{meta['detector']}", total=None):
        buffer = np.concatenate([buffer, chunk.reshape(-1)])
        while first + len(buffer) // hop >= done + step + context:
            start, end = max(0, done - context), done + step + context
            score(start, done, done + step, buffer[(start - first) * hop : (end - first) * hop])
            done += step
            cut = max(0, done - context) - first
            buffer, first = buffer[cut * hop :], first + cut
    total = first + len(buffer) // hop
    if total > done:
        start = max(0, done - context)
        score(start, done, total, buffer[(start - first) * hop :])  # the partial frame too, as whole-file
    probs = np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)
    labels = [classes[1] if p >= min_score else clean for p in probs]
    return {
        "kind": meta["kind"],
        "classes": classes,
        "unit_s": hop / sr,
        "num_units": int(len(probs)),
        "events": merge_events(labels, probs, clean, hop / sr, min_score),
        "scores": [[round(1 - p, 4), round(p, 4)] for p in probs.tolist()],
    }


def onnx_scorer(meta: dict[str, Any]) -> Any:
    """A :class:`~vqa_train.avsync.pipeline.SyncScorer` over the three exported SyncNet graphs."""
    import onnxruntime as ort

    from vqa_train.avsync.pipeline import SyncScorer

    root = Path(meta["_export_dir"])
    sessions = {
        part: ort.InferenceSession(str(root / fname), providers=["CPUExecutionProvider"])
        for part, fname in meta["onnx_parts"].items()
    }

    def video(crops: np.ndarray) -> np.ndarray:
        return sessions["video"].run(None, {"crops": np.ascontiguousarray(crops[None], np.float32)})[0][0]

    def audio(wave: np.ndarray) -> np.ndarray:
        mel = sessions["frontend"].run(None, {"waveform": np.ascontiguousarray(wave[None], np.float32)})[0]
        return sessions["audio"].run(None, {"logmel": mel})[0][0]

    return SyncScorer(video=video, audio=audio)


def run_av_sync(
    meta: dict[str, Any], session: Any, path: Path, min_score: float, batch_size: int, **_: Any
) -> dict[str, Any]:
    """The lip-sync pipeline over consecutive ``clip_s`` windows of the file (one decoded at a time).

    Each window gets a verdict (in_sync / out_of_sync / inconclusive) with its estimated offset and
    confidence (``min_score`` is not used: the pipeline's own ``min_confidence`` decides which
    tracks vote); consecutive out-of-sync windows merge into events carrying the median offset and
    the peak confidence. Memory is one window.
    """
    from synth.av.io import load_av_clip, probe_av
    from vqa_train.avsync.pipeline import PipelineConfig, SyncPipeline

    clip_s, fps, sr = float(meta["clip_s"]), float(meta["fps"]), int(meta["sample_rate"])
    config = PipelineConfig.from_dict(
        meta.get("pipeline"),
        max_offset_frames=int(meta["max_offset_frames"]),
        tolerance_ms=tuple(meta.get("tolerance_ms", (40.0, 60.0))),
    )
    pipe = SyncPipeline(onnx_scorer(meta), config)
    info = probe_av(path)
    duration = info.duration_s or clip_s
    count = max(1, int(np.floor(duration / clip_s + 1e-6)))
    classes = list(meta["classes"])
    windows, scores = [], []
    for k in track(range(count), meta["detector"], total=count):
        clip = load_av_clip(path, start_s=k * clip_s, duration_s=clip_s, fps=fps, sample_rate=sr)
        verdict = pipe(clip.frames, clip.audio)
        windows.append(
            {
                "start_s": round(k * clip_s, 3),
                "end_s": round((k + 1) * clip_s, 3),
                "label": verdict.label,
                "offset_ms": verdict.offset_ms,
                "confidence": round(verdict.confidence, 4),
                "reasons": verdict.reasons,
                "tracks": len(verdict.tracks),
            }
        )
        scores.append([1.0 if verdict.label == c else 0.0 for c in classes])
    events: list[dict[str, Any]] = []
    for w in windows:
        if w["label"] != "out_of_sync":
            continue
        last = events[-1] if events else None
        if last and last["end_s"] == w["start_s"]:
            last["end_s"] = w["end_s"]
            last["_offsets"].append(w["offset_ms"])
            last["peak_score"] = max(last["peak_score"], w["confidence"])
        else:
            events.append({"label": "out_of_sync", "start_s": w["start_s"], "end_s": w["end_s"],
                           "peak_score": w["confidence"], "_offsets": [w["offset_ms"]]})  # fmt: skip
    for e in events:
        e["offset_ms"] = float(np.median([o for o in e.pop("_offsets") if o is not None] or [np.nan]))
    return {
        "kind": meta["kind"],
        "classes": classes,
        "unit_s": clip_s,
        "num_units": len(windows),
        "events": events,
        "windows": windows,
        "tolerance_ms": list(config.tolerance_ms),
        "scores": scores,
    }


RUNNERS: dict[str, Callable[..., dict[str, Any]]] = {
    "audio_segment_classifier": run_audio_segments,
    "frame_map_classifier": run_frame_maps,
    "temporal_segmenter": run_temporal_segments,
    "av_sync_pipeline": run_av_sync,
    "audio_frame_segmenter": run_audio_frames,
}
