"""Frontal face detection with OpenCV's bundled Haar cascade.

A Haar cascade is small, CPU-only and dependency-free, which is enough to find the talking head that a
lip-sync model crops. Frames are downscaled so that the longer side is at most ``max_side`` before
detection and the boxes are mapped back to original pixels. The classifier is loaded lazily and dropped
when pickled, so a ``FaceDetector`` can be shipped to DataLoader workers, each of which loads its own.
"""

from __future__ import annotations

import os
from typing import Any

import cv2
import numpy as np


def _resolve_cascade(cascade: str) -> str:
    """A bare file name is looked up in ``cv2.data.haarcascades``; anything with a directory is a path."""
    if os.path.dirname(cascade):
        return cascade
    return os.path.join(cv2.data.haarcascades, cascade)


class FaceDetector:
    """Haar-cascade face detector returning (N, 4) float32 ``x0, y0, x1, y1`` boxes in frame pixels."""

    def __init__(
        self,
        cascade: str = "haarcascade_frontalface_default.xml",
        max_side: int = 320,
        scale_factor: float = 1.1,
        min_neighbors: int = 3,
        min_face_px: int = 24,
        equalize: bool = True,
    ) -> None:
        if max_side < 16:
            raise ValueError(f"max_side: expected >= 16, got {max_side}")
        if scale_factor <= 1.0:
            raise ValueError(f"scale_factor: expected > 1, got {scale_factor}")
        if min_neighbors < 0:
            raise ValueError(f"min_neighbors: expected >= 0, got {min_neighbors}")
        if min_face_px < 1:
            raise ValueError(f"min_face_px: expected >= 1, got {min_face_px}")
        self.cascade_path = _resolve_cascade(cascade)
        self.max_side = int(max_side)
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)
        self.min_face_px = int(min_face_px)
        self.equalize = bool(equalize)
        self._classifier: Any = None
        self._load()  # fail early on a bad cascade

    def _load(self) -> Any:
        if self._classifier is None:
            if not hasattr(cv2, "CascadeClassifier"):
                raise RuntimeError(
                    f"cv2 {cv2.__version__} has no CascadeClassifier: FaceDetector needs opencv-python-headless 4.x"
                )
            if not os.path.isfile(self.cascade_path):
                raise FileNotFoundError(f"Haar cascade file not found: {self.cascade_path}")
            try:
                classifier = cv2.CascadeClassifier(self.cascade_path)
            except (cv2.error, SystemError) as err:  # a malformed XML raises inside the constructor
                reason = " ".join(str(err.__cause__ or err).split())
                raise RuntimeError(
                    f"Haar cascade could not be loaded from {self.cascade_path}: {reason}"
                ) from err
            if classifier.empty():
                raise RuntimeError(
                    f"Haar cascade could not be loaded (empty classifier): {self.cascade_path}"
                )
            self._classifier = classifier
        return self._classifier

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_classifier"] = None  # cv2 objects do not pickle; each process reloads
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return (
            f"FaceDetector(cascade={self.cascade_path!r}, max_side={self.max_side}, "
            f"scale_factor={self.scale_factor}, min_neighbors={self.min_neighbors}, "
            f"min_face_px={self.min_face_px}, equalize={self.equalize})"
        )

    def detect(self, frame: np.ndarray) -> np.ndarray:
        """Faces in one RGB (H, W, 3) or gray (H, W) uint8 frame, largest first; (0, 4) when none."""
        frame = np.asarray(frame)
        if frame.dtype != np.uint8:
            raise ValueError(f"frame: expected dtype uint8, got {frame.dtype}")
        if frame.ndim == 3 and frame.shape[-1] == 3:
            gray = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        elif frame.ndim == 2 or (frame.ndim == 3 and frame.shape[-1] == 1):
            gray = np.ascontiguousarray(frame.reshape(frame.shape[:2]))
        else:
            raise ValueError(
                f"frame: expected an RGB (H, W, 3) or gray (H, W) image, got shape {frame.shape}"
            )
        height, width = gray.shape
        if height == 0 or width == 0:
            return np.zeros((0, 4), dtype=np.float32)
        scale = min(1.0, self.max_side / max(height, width))
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        if self.equalize:
            gray = cv2.equalizeHist(gray)
        found = self._load().detectMultiScale(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_face_px, self.min_face_px),
        )
        if len(found) == 0:
            return np.zeros((0, 4), dtype=np.float32)
        xywh = np.asarray(found, dtype=np.float64).reshape(-1, 4)
        sx, sy = width / gray.shape[1], height / gray.shape[0]
        boxes = np.stack(
            [
                xywh[:, 0] * sx,
                xywh[:, 1] * sy,
                (xywh[:, 0] + xywh[:, 2]) * sx,
                (xywh[:, 1] + xywh[:, 3]) * sy,
            ],
            axis=1,
        )
        boxes = np.clip(boxes, 0.0, [width, height, width, height])
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        order = np.lexsort((boxes[:, 1], boxes[:, 0], -area))  # area descending, then left to right
        return boxes[order].astype(np.float32)

    def detect_every(self, frames: np.ndarray, step: int = 2) -> dict[int, np.ndarray]:
        """Detections on frames 0, step, 2*step, ... and always the last frame, keyed by frame index."""
        frames = np.asarray(frames)
        if frames.ndim not in (3, 4):
            raise ValueError(f"frames: expected (T, H, W, 3) RGB or (T, H, W) gray, got shape {frames.shape}")
        if step < 1:
            raise ValueError(f"step: expected >= 1, got {step}")
        num_frames = len(frames)
        indices = list(range(0, num_frames, step))
        if num_frames and indices[-1] != num_frames - 1:
            indices.append(num_frames - 1)
        return {t: self.detect(frames[t]) for t in indices}
