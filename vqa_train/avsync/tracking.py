"""Face tracks: per-shot greedy IoU association of sparse face detections into per-frame boxes.

Detections are usually run on every few frames (``FaceDetector.detect_every``). Within each shot the
detection frames are visited in order; each detection joins the live track whose last box overlaps it
most (greedy, highest IoU first, at least ``iou_threshold``), otherwise it starts a new track. A track
that found no detection for more than ``max_gap`` frames is closed, and every track is closed at the end
of its shot, so a track never crosses a cut. A track spans its first to its last detection frame: boxes
of the frames in between are interpolated linearly, then smoothed per coordinate with a centred moving
median; tracks shorter than ``min_length`` frames are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class FaceTrack:
    """One face followed through frames [start, end) of one shot, one x0, y0, x1, y1 box per frame."""

    track_id: int
    shot: int
    start: int
    end: int  # exclusive
    boxes: np.ndarray  # (end - start, 4) float32
    detected: np.ndarray  # (end - start,) bool: that frame had its own detection

    @property
    def length(self) -> int:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        """A json-able summary without per-frame arrays."""
        sizes = np.sqrt(
            np.clip((self.boxes[:, 2] - self.boxes[:, 0]) * (self.boxes[:, 3] - self.boxes[:, 1]), 0, None)
        )
        return {
            "track_id": int(self.track_id),
            "shot": int(self.shot),
            "start": int(self.start),
            "end": int(self.end),
            "length": int(self.length),
            "num_detected": int(self.detected.sum()),
            "mean_box": [round(float(v), 2) for v in self.boxes.mean(axis=0)] if self.length else [],
            "mean_size_px": round(float(sizes.mean()), 2) if self.length else 0.0,
        }


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) intersection over union of boxes a (N, 4) and b (M, 4), x0, y0, x1, y1; 0 for empty unions."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    ix0 = np.maximum(a[:, None, 0], b[None, :, 0])
    iy0 = np.maximum(a[:, None, 1], b[None, :, 1])
    ix1 = np.minimum(a[:, None, 2], b[None, :, 2])
    iy1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(ix1 - ix0, 0.0, None) * np.clip(iy1 - iy0, 0.0, None)
    area_a = np.clip(a[:, 2] - a[:, 0], 0.0, None) * np.clip(a[:, 3] - a[:, 1], 0.0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0.0, None) * np.clip(b[:, 3] - b[:, 1], 0.0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two (4,) x0, y0, x1, y1 boxes."""
    return float(iou_matrix(np.asarray(a).reshape(1, 4), np.asarray(b).reshape(1, 4))[0, 0])


def _smooth(boxes: np.ndarray, window: int) -> np.ndarray:
    """Centred moving median per coordinate over ``window`` frames (rounded up to odd).

    Near the ends the window shrinks symmetrically, so the first and last boxes stay put and linear
    motion passes unchanged.
    """
    half = window // 2
    out = boxes.astype(np.float64)
    for radius in range(1, half + 1):
        if 2 * radius + 1 > len(boxes):
            break
        windows = np.lib.stride_tricks.sliding_window_view(boxes, 2 * radius + 1, axis=0)  # (L-2r, 4, w)
        out[radius : len(boxes) - radius] = np.median(windows, axis=-1)
    return out


def _as_boxes(value: Any, frame: int) -> np.ndarray:
    boxes = np.asarray(value, dtype=np.float64)
    if boxes.size == 0:
        return np.zeros((0, 4))
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"detections[{frame}]: expected an (N, 4) array of boxes, got shape {boxes.shape}")
    return boxes


def _check_shots(shots: list[tuple[int, int]], num_frames: int) -> None:
    previous_end = 0
    for i, (start, end) in enumerate(shots):
        if not 0 <= start < end <= num_frames or start < previous_end:
            raise ValueError(
                f"shots[{i}] = ({start}, {end}): expected increasing, non-overlapping (start, end) "
                f"ranges with 0 <= start < end <= num_frames = {num_frames}"
            )
        previous_end = end


def track_faces(
    detections: dict[int, np.ndarray],
    shots: list[tuple[int, int]],
    num_frames: int,
    iou_threshold: float = 0.3,
    max_gap: int = 6,
    min_length: int = 9,
    smooth: int = 5,
) -> list[FaceTrack]:
    """Link per-frame detections (frame index -> (N, 4) boxes) into face tracks, never across shots.

    Detections on frames outside every shot are ignored. Track ids follow start frame, then x0.
    """
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValueError(f"iou_threshold: expected a value in [0, 1], got {iou_threshold}")
    if max_gap < 1:
        raise ValueError(f"max_gap: expected >= 1, got {max_gap}")
    if smooth < 1:
        raise ValueError(f"smooth: expected >= 1, got {smooth}")
    shots = [(int(s), int(e)) for s, e in shots]
    _check_shots(shots, num_frames)
    frames = sorted(int(f) for f in detections)
    boxes_at = {f: _as_boxes(detections[f], f) for f in frames}

    # raw tracks: (shot, detection frames, detection boxes)
    raw: list[tuple[int, list[int], list[np.ndarray]]] = []
    for shot_index, (start, end) in enumerate(shots):
        live: list[tuple[list[int], list[np.ndarray]]] = []
        for frame in (f for f in frames if start <= f < end):
            raw.extend((shot_index, *t) for t in live if frame - t[0][-1] > max_gap)
            live = [t for t in live if frame - t[0][-1] <= max_gap]
            dets = boxes_at[frame]
            used = np.zeros(len(dets), dtype=bool)
            if live and len(dets):
                scores = iou_matrix(np.stack([t[1][-1] for t in live]), dets)
                taken = np.zeros(len(live), dtype=bool)
                order = np.argsort(-scores, axis=None, kind="stable")  # ties: track order, then detection
                for flat in order:
                    ti, di = np.unravel_index(flat, scores.shape)
                    if scores[ti, di] < iou_threshold or scores[ti, di] <= 0.0:
                        break
                    if taken[ti] or used[di]:
                        continue
                    taken[ti] = used[di] = True
                    live[ti][0].append(frame)
                    live[ti][1].append(dets[di])
            live.extend(([frame], [dets[di]]) for di in np.flatnonzero(~used))
        raw.extend((shot_index, *track) for track in live)

    tracks: list[FaceTrack] = []
    for shot_index, det_frames, det_boxes in raw:
        first, last = det_frames[0], det_frames[-1]
        if last + 1 - first < min_length:
            continue
        span = np.arange(first, last + 1)
        points = np.stack(det_boxes)
        boxes = np.stack([np.interp(span, det_frames, points[:, k]) for k in range(4)], axis=1)
        detected = np.zeros(len(span), dtype=bool)
        detected[np.asarray(det_frames) - first] = True
        tracks.append(
            FaceTrack(
                track_id=-1,
                shot=shot_index,
                start=first,
                end=last + 1,
                boxes=_smooth(boxes, smooth).astype(np.float32),
                detected=detected,
            )
        )
    tracks.sort(key=lambda t: (t.start, float(t.boxes[0, 0]), float(t.boxes[0, 1]), t.end))
    for track_id, track in enumerate(tracks):
        track.track_id = track_id
    return tracks
