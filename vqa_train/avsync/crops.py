"""Mouth crops: the region of a face box that SyncNet's visual stream looks at.

Boxes follow the face detector's convention (OpenCV's frontal-face cascade: a square from the
brows to below the mouth). Measured on the procedural talking heads (750 detections, 30 clips),
a cascade box is centred on the drawn face ellipse (+0.3 % of its width, +1.8 % of its height)
with width 1.16x the ellipse's width and height 0.90x its height; :func:`detector_box` applies
that calibration so training crops from ground-truth boxes look like inference crops from
detections. The mouth crop of a box of side ``S`` centred at ``(x, y)`` spans
``x +- 0.3 S`` and ``y + 0.08 S .. y + 0.48 S``, resampled to ``CROP_HW`` gray pixels in [0, 1].
"""

from __future__ import annotations

import cv2
import numpy as np

CROP_HW = (32, 48)  # (height, width) of a mouth crop
MOUTH_X = (-0.3, 0.3)  # crop span in units of the box side, around its centre
MOUTH_Y = (0.08, 0.48)
# Cascade box vs drawn face ellipse box: centre shift (fraction of width, height), size ratio.
CASCADE_CALIBRATION = (0.003, 0.018, 1.16, 0.905)
# Boxes are in the convention of OpenCV's default frontal-face cascade; another cascade's boxes are
# scaled about their centre by this factor first (measured as above: alt2 boxes are 1.076 x 0.838
# of the ellipse, the default's 1.165 x 0.907, i.e. 8 % smaller).
CASCADE_BOX_SCALE = {"haarcascade_frontalface_default.xml": 1.0, "haarcascade_frontalface_alt2.xml": 1.08}


def canonical_boxes(boxes: np.ndarray, cascade: str) -> np.ndarray:
    """Boxes of ``cascade`` (a file name) in the default cascade's convention that crops assume."""
    from pathlib import Path

    name = Path(cascade).name
    if name not in CASCADE_BOX_SCALE:
        raise ValueError(
            f"no crop calibration for cascade {name!r}; known: {sorted(CASCADE_BOX_SCALE)} "
            "(measure its boxes against the default cascade's and add a scale to CASCADE_BOX_SCALE)"
        )
    b = np.asarray(boxes, dtype=np.float32)
    centre, half = (b[..., :2] + b[..., 2:]) / 2, (b[..., 2:] - b[..., :2]) / 2 * CASCADE_BOX_SCALE[name]
    return np.concatenate([centre - half, centre + half], axis=-1).astype(np.float32)


def detector_box(ellipse_boxes: np.ndarray) -> np.ndarray:
    """Face-ellipse boxes ``(..., 4)`` -> the boxes the cascade detector draws around those faces."""
    b = np.asarray(ellipse_boxes, dtype=np.float32)
    w, h = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
    dx, dy, sw, sh = CASCADE_CALIBRATION
    cx = (b[..., 0] + b[..., 2]) / 2 + dx * w
    cy = (b[..., 1] + b[..., 3]) / 2 + dy * h
    half_w, half_h = sw * w / 2, sh * h / 2
    return np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=-1).astype(np.float32)


def mouth_box(boxes: np.ndarray) -> np.ndarray:
    """Face boxes ``(..., 4)`` -> mouth regions ``(..., 4)`` (x0, y0, x1, y1, frame pixels)."""
    b = np.asarray(boxes, dtype=np.float32)
    side = ((b[..., 2] - b[..., 0]) + (b[..., 3] - b[..., 1])) / 2
    cx, cy = (b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2
    return np.stack(
        [cx + MOUTH_X[0] * side, cy + MOUTH_Y[0] * side, cx + MOUTH_X[1] * side, cy + MOUTH_Y[1] * side],
        axis=-1,
    ).astype(np.float32)


def mouth_crops(frames: np.ndarray, boxes: np.ndarray, size: tuple[int, int] = CROP_HW) -> np.ndarray:
    """Gray mouth crops ``(T, h, w)`` float32 in [0, 1] of RGB frames ``(T, H, W, 3)`` and face boxes ``(T, 4)``.

    Regions reaching outside the frame repeat its border pixels.
    """
    frames = np.asarray(frames)
    boxes = np.asarray(boxes, dtype=np.float32)
    if frames.ndim != 4 or frames.shape[-1] != 3 or boxes.shape != (frames.shape[0], 4):
        raise ValueError(f"need frames (T, H, W, 3) and boxes (T, 4); got {frames.shape} and {boxes.shape}")
    h, w = size
    out = np.empty((frames.shape[0], h, w), np.float32)
    for k, (frame, m) in enumerate(zip(frames, mouth_box(boxes))):
        sx, sy = (m[2] - m[0]) / w, (m[3] - m[1]) / h
        # affine map from crop pixel centres to frame coordinates, inverted for warpAffine
        mat = np.array([[1 / sx, 0, -m[0] / sx - 0.5 + 0.5 / sx], [0, 1 / sy, -m[1] / sy - 0.5 + 0.5 / sy]])
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if sx > 1.5:  # shrinking a lot: pre-blur against aliasing
            gray = cv2.GaussianBlur(gray, (0, 0), 0.5 * sx)
        out[k] = cv2.warpAffine(gray, mat, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out / np.float32(255.0)
