"""The lip-sync pipeline of one clip: shots -> faces -> tracks -> mouth crops -> offset search -> verdict.

Input is a clip already on one timeline at 25 fps with 16 kHz mono sound (files go through
:func:`synth.av.io.load_av_clip`, which resamples any frame rate by timestamp). Stages:

1. shot boundaries (:func:`~vqa_train.avsync.shots.detect_shots`, content difference);
2. faces on every ``detect_every``-th frame (:class:`~vqa_train.avsync.faces.FaceDetector`,
   OpenCV's bundled frontal-face cascade ``face_cascade`` on a frame shrunk to ``face_max_side``);
3. IoU tracks inside each shot (:func:`~vqa_train.avsync.tracking.track_faces`), boxes
   interpolated and smoothed; tracks shorter than ``min_track_frames`` are dropped;
4. mouth crops of every track frame (:func:`~vqa_train.avsync.crops.mouth_crops`);
5. the sync network embeds the whole sound once and each track's crops once; for each offset
   ``d`` in ``+-max_offset_frames`` the track's distance is the mean over its 5-frame windows
   of the distance to the sound ``d`` frames later. The track's offset is the ``d`` of the
   minimum (``> 0``: audio lags), its confidence the median minus the minimum of that curve;
6. a track of at least ``min_vote_frames`` frames (a shorter curve averages too few windows to be
   trusted: in the first real-offset measurement, 13-19-frame tracks of false detections on the
   background reached confidence 0.36 and outvoted the speaker) with confidence
   ``>= min_confidence`` votes in_sync when its offset lies in the tolerance ``[-lead, +lag]`` ms,
   else out_of_sync. The clip is the majority vote; it is
   ``inconclusive`` when no track votes (no face track, or none confident: faces that do not
   speak) or on a tie. Every answer carries its reasons and the time of each stage.

The network is reached through a :class:`SyncScorer` (two functions: crops -> video embeddings,
waveform -> audio embeddings), so the same pipeline runs PyTorch in ``eval.py`` and ONNX Runtime
in ``detect.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vqa_train.avsync.crops import canonical_boxes, mouth_crops
from vqa_train.avsync.faces import FaceDetector
from vqa_train.avsync.shots import detect_shots
from vqa_train.avsync.tracking import FaceTrack, track_faces

VERDICTS = ("in_sync", "out_of_sync", "inconclusive")
FPS = 25.0
WINDOW = 5  # frames per SyncNet window


@dataclass(frozen=True)
class PipelineConfig:
    min_confidence: float = 0.15
    min_track_frames: int = 12
    min_vote_frames: int = 25
    detect_every: int = 3
    face_max_side: int = 320
    # OpenCV's bundled alt2 frontal-face cascade: on the procedural faces it finds 99 % of the
    # speaking faces per frame vs 90 % for the default cascade, with fewer false boxes.
    face_cascade: str = "haarcascade_frontalface_alt2.xml"
    shot_threshold: float = 0.35
    max_offset_frames: int = 15
    # (lead, lag) ms: audio may lead by `lead` and lag by `lag` and still be in sync (EBU R37).
    tolerance_ms: tuple[float, float] = (40.0, 60.0)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None, **extra: Any) -> PipelineConfig:
        values = {**(values or {}), **extra}
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"detector.pipeline has unknown keys {unknown}; known: {sorted(known)}")
        if "tolerance_ms" in values:
            values["tolerance_ms"] = tuple(float(v) for v in values["tolerance_ms"])
        return cls(**values)


@dataclass
class SyncScorer:
    """The two streams of a sync network as plain functions on numpy arrays.

    ``video(crops (T, h, w) float32) -> (D, T - 4)`` and ``audio(wave (N,) float32) -> (D, steps - 4)``
    where audio step ``j`` is aligned with video frame ``j`` (both unit-norm embeddings).
    """

    video: Callable[[np.ndarray], np.ndarray]
    audio: Callable[[np.ndarray], np.ndarray]


def torch_scorer(net: Any) -> SyncScorer:
    """A :class:`SyncScorer` of a :class:`~vqa_train.models.syncnet.SyncNet` in eval mode."""
    import torch

    net.eval()

    def video(crops: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return net.embed_video(torch.from_numpy(np.ascontiguousarray(crops, np.float32))[None])[0].numpy()

    def audio(wave: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            w = torch.from_numpy(np.ascontiguousarray(wave, np.float32))[None]
            return net.embed_audio(net.features(w))[0].numpy()

    return SyncScorer(video=video, audio=audio)


@dataclass
class TrackVerdict:
    track: FaceTrack
    offset_frames: int | None
    offset_ms: float | None
    min_distance: float | None
    confidence: float
    vote: str | None  # in_sync / out_of_sync, or None when the track does not vote
    reason: str
    curve: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.track.to_dict(),
            "offset_frames": self.offset_frames,
            "offset_ms": self.offset_ms,
            "min_distance": None if self.min_distance is None else round(self.min_distance, 4),
            "confidence": round(float(self.confidence), 4),
            "vote": self.vote,
            "reason": self.reason,
        }


@dataclass
class ClipVerdict:
    label: str
    offset_ms: float | None  # of the most confident voting track (of any track when none votes)
    confidence: float
    reasons: list[str]
    tracks: list[TrackVerdict]
    shots: list[tuple[int, int]]
    seconds: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "offset_ms": self.offset_ms,
            "confidence": round(float(self.confidence), 4),
            "reasons": self.reasons,
            "shots": [list(s) for s in self.shots],
            "tracks": [t.to_dict() for t in self.tracks],
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
        }


def offset_curve(video: np.ndarray, audio: np.ndarray, start: int, max_offset: int) -> np.ndarray:
    """Mean distance ``(2 * max_offset + 1,)`` of video windows (``(D, Wv)``, window ``w`` at clip frame
    ``start + w``) to audio windows ``d`` frames later, for ``d`` in ``-max_offset .. max_offset``.

    Only pairs inside the sound count; an offset with fewer than half the windows is ``nan``.
    """
    wv, wa = video.shape[1], audio.shape[1]
    curve = np.full(2 * max_offset + 1, np.nan, np.float64)
    for k, d in enumerate(range(-max_offset, max_offset + 1)):
        idx = start + np.arange(wv) + d
        ok = (idx >= 0) & (idx < wa)
        if ok.sum() * 2 < wv or not ok.any():
            continue
        diff = video[:, ok] - audio[:, idx[ok]]
        curve[k] = float(np.sqrt((diff * diff).sum(axis=0)).mean())
    return curve


def judge_curve(curve: np.ndarray, max_offset: int) -> tuple[int | None, float | None, float]:
    """Offset (frames) at the minimum, the minimum and the confidence (median - minimum)."""
    if not np.isfinite(curve).any():
        return None, None, 0.0
    k = int(np.nanargmin(curve))
    low = float(curve[k])
    return k - max_offset, low, float(np.nanmedian(curve) - low)


def decide(tracks: list[TrackVerdict], any_tracks: bool) -> tuple[str, float | None, float, list[str]]:
    votes = [t for t in tracks if t.vote is not None]
    if not any_tracks:
        return "inconclusive", None, 0.0, ["no face track"]
    if not votes:  # the estimate of the most confident track is still reported
        judged = [t for t in tracks if t.offset_ms is not None]
        best = max(judged, key=lambda t: t.confidence) if judged else None
        return (
            "inconclusive",
            None if best is None else best.offset_ms,
            0.0 if best is None else best.confidence,
            ["no confident face track (faces that do not speak, or sound that does not match any face)"],
        )
    n_in = sum(t.vote == "in_sync" for t in votes)
    n_out = len(votes) - n_in
    best = max(votes, key=lambda t: t.confidence)
    counts = f"{n_in} in-sync vs {n_out} out-of-sync confident track(s)"
    if n_in == n_out:
        return "inconclusive", best.offset_ms, best.confidence, [f"tie: {counts}"]
    label = "in_sync" if n_in > n_out else "out_of_sync"
    return label, best.offset_ms, best.confidence, [counts]


class SyncPipeline:
    def __init__(self, scorer: SyncScorer, config: PipelineConfig | None = None) -> None:
        self.scorer = scorer
        self.config = config or PipelineConfig()
        c = self.config
        if c.min_track_frames < WINDOW:
            raise ValueError(
                f"min_track_frames must be >= {WINDOW} (one sync window), got {c.min_track_frames}"
            )
        self.detector = FaceDetector(cascade=c.face_cascade, max_side=c.face_max_side)

    def __call__(self, frames: np.ndarray, audio: np.ndarray) -> ClipVerdict:
        """Verdict of one clip: RGB frames ``(T, H, W, 3)`` at 25 fps, mono float32 sound at 16 kHz."""
        c = self.config
        frames = np.asarray(frames)
        audio = np.asarray(audio, dtype=np.float32)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
        if audio.ndim != 1 or audio.size == 0:
            raise ValueError(f"audio must be non-empty mono (samples,), got shape {audio.shape}")
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        shots = detect_shots(frames, threshold=c.shot_threshold)
        t1 = time.perf_counter()
        detections = self.detector.detect_every(frames, step=c.detect_every)
        t2 = time.perf_counter()
        tracks = track_faces(
            detections,
            shots,
            frames.shape[0],
            max_gap=max(6, 2 * c.detect_every),
            min_length=c.min_track_frames,
        )
        t3 = time.perf_counter()
        crops = [
            mouth_crops(frames[t.start : t.end], canonical_boxes(t.boxes, c.face_cascade)) for t in tracks
        ]
        t4 = time.perf_counter()
        audio_emb = self.scorer.audio(audio) if tracks else None
        verdicts = []
        for track, crop in zip(tracks, crops):
            curve = offset_curve(self.scorer.video(crop), audio_emb, track.start, c.max_offset_frames)
            offset, low, conf = judge_curve(curve, c.max_offset_frames)
            offset_ms = None if offset is None else offset * 1000.0 / FPS
            if offset is None:
                vote, reason = None, "track outside the sound"
            elif track.length < c.min_vote_frames:
                vote, reason = (
                    None,
                    f"track of {track.length} frames < {c.min_vote_frames}: too short to judge",
                )
            elif conf < c.min_confidence:
                vote, reason = None, f"low confidence {conf:.3f} < {c.min_confidence}"
            else:
                lead, lag = c.tolerance_ms
                vote = "in_sync" if -lead <= offset_ms <= lag else "out_of_sync"
                reason = f"offset {offset_ms:+.0f} ms, confidence {conf:.3f}"
            verdicts.append(TrackVerdict(track, offset, offset_ms, low, conf, vote, reason, curve))
        t5 = time.perf_counter()
        label, offset_ms, conf, reasons = decide(verdicts, bool(tracks))
        if not tracks:
            side = max(frames.shape[1:3])
            smallest = self.detector.min_face_px * max(1.0, side / self.detector.max_side)
            reasons = [
                f"no face track (no face of at least ~{smallest:.0f} px seen in {c.min_track_frames}+ "
                "frames of one shot)"
            ]
        seconds.update(
            {
                "shots": t1 - t0,
                "faces": t2 - t1,
                "tracking": t3 - t2,
                "crops": t4 - t3,
                "syncnet": t5 - t4,
                "total": time.perf_counter() - t0,
            }
        )
        return ClipVerdict(label, offset_ms, conf, reasons, verdicts, shots, seconds)
