"""A virtual camera over a still picture: smooth pan, zoom and a fixed roll, drawn from a generator.

Frames are rendered with one affine warp each (``cv2.warpAffine``, bilinear) from a lazily built
image pyramid, so a camera far zoomed out over a large photo does not alias. The path always stays
inside the picture: a pan that would leave it is slowed down to fit.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

STILL_PROB = 0.15  # a locked-off shot: consecutive frames identical up to noise
PAN_PX_PER_FRAME_RANGE = (0.5, 6.0)  # pan speed in output pixels per frame (25-30 fps footage)
ZOOM_PROB = 0.35
ZOOM_PER_FRAME = 0.006  # |d log(scale) / frame|: up to ~16 % zoom per second
ROLL_PROB = 0.3
ROLL_DEG = 4.0
MIRROR_PROB = 0.5
MIN_SCALE = 0.75  # at most 1.33x upsampling of the picture (beyond that it looks soft)
ZOOM_OUT_RANGE = 0.45  # the widest view shows all that fits, the closest 0.45 x that width
FIT_MARGIN = 1.02


class Picture:
    """A still uint8 RGB picture and its pyramid (level ``l`` is ``2**l`` times smaller), built on demand."""

    def __init__(self, image: np.ndarray) -> None:
        self.levels = [np.ascontiguousarray(image)]

    @property
    def shape(self) -> tuple[int, int]:
        return self.levels[0].shape[:2]

    def level(self, index: int) -> np.ndarray:
        while len(self.levels) <= index:
            last = self.levels[-1]
            if min(last.shape[:2]) < 8:
                break
            self.levels.append(cv2.pyrDown(last))
        return self.levels[min(index, len(self.levels) - 1)]


def camera_path(
    rng: np.random.Generator, scene_hw: tuple[int, int], frame_hw: tuple[int, int], num_frames: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """``num_frames`` affine maps from output pixels to scene pixels, float64 ``(T, 2, 3)``, plus a summary.

    Scale ``s`` is scene pixels per output pixel: > 1 zooms out over a large picture, down to
    ``MIN_SCALE`` (a 1.33x close-up).
    """
    sh, sw = (float(v) for v in scene_hw)
    h, w = (float(v) for v in frame_hw)
    steps = max(int(num_frames) - 1, 0)
    roll = math.radians(rng.uniform(-ROLL_DEG, ROLL_DEG)) if rng.random() < ROLL_PROB else 0.0
    mirror = -1.0 if rng.random() < MIRROR_PROB else 1.0
    c, s = abs(math.cos(roll)), abs(math.sin(roll))
    fit = min(sw / (c * w + s * h), sh / (s * w + c * h)) / FIT_MARGIN
    zoom = rng.uniform(-ZOOM_PER_FRAME, ZOOM_PER_FRAME) if rng.random() < ZOOM_PROB else 0.0
    top = fit / math.exp(max(zoom, 0.0) * steps)
    low = min(top, max(MIN_SCALE, ZOOM_OUT_RANGE * top))
    scale0 = math.exp(rng.uniform(math.log(low), math.log(top))) if top > low else top
    scales = scale0 * np.exp(zoom * np.arange(steps + 1))
    if rng.random() < STILL_PROB:
        speed, direction = 0.0, 0.0
    else:
        speed, direction = rng.uniform(*PAN_PX_PER_FRAME_RANGE), rng.uniform(0.0, 2.0 * math.pi)
    # Half extents of the rotated footprint in scene pixels, the largest along the path.
    big = float(scales.max())
    ex, ey = big * (c * w + s * h) / 2.0, big * (s * w + c * h) / 2.0
    room_x, room_y = max(sw - 1.0 - 2.0 * ex, 0.0), max(sh - 1.0 - 2.0 * ey, 0.0)
    vx, vy = speed * scale0 * math.cos(direction), speed * scale0 * math.sin(direction)
    dx, dy = vx * steps, vy * steps
    slow = min(1.0, room_x / abs(dx) if dx else 1.0, room_y / abs(dy) if dy else 1.0)
    vx, vy, dx, dy = vx * slow, vy * slow, dx * slow, dy * slow
    cx0 = _start(rng, ex + max(-dx, 0.0), ex + room_x - max(dx, 0.0)) if room_x > 0 else (sw - 1.0) / 2.0
    cy0 = _start(rng, ey + max(-dy, 0.0), ey + room_y - max(dy, 0.0)) if room_y > 0 else (sh - 1.0) / 2.0
    cos, sin = math.cos(roll), math.sin(roll)
    mats = np.empty((steps + 1, 2, 3), dtype=np.float64)
    for t, st in enumerate(scales):
        a = st * np.array([[cos * mirror, -sin], [sin * mirror, cos]])
        centre = np.array([cx0 + vx * t, cy0 + vy * t])
        mats[t, :, :2] = a
        mats[t, :, 2] = centre - a @ np.array([(w - 1.0) / 2.0, (h - 1.0) / 2.0])
    info = {
        "scale": round(scale0, 4),
        "pan_px_per_frame": round(speed * slow, 3),
        "zoom_per_frame": round(zoom, 5),
        "roll_deg": round(math.degrees(roll), 3),
        "mirror": mirror < 0,
    }
    return mats, info


def _start(rng: np.random.Generator, low: float, high: float) -> float:
    """A start coordinate in [low, high]; a pan that uses all the room leaves high == low up to rounding."""
    return float(rng.uniform(low, max(high, low)))


def render(picture: Picture, mats: np.ndarray, height: int, width: int) -> np.ndarray:
    """Frames seen through ``mats`` (from :func:`camera_path`), uint8 ``(T, H, W, 3)``.

    All frames use the same pyramid level (chosen from the closest view) so that a zoom does not
    switch sharpness halfway.
    """
    closest = float(min(math.sqrt(abs(np.linalg.det(m[:, :2]))) for m in mats))
    level = max(0, int(math.floor(math.log2(max(closest, 1e-6) / 1.25))))
    image = picture.level(level)
    factor = picture.shape[1] / image.shape[1]
    out = np.empty((len(mats), height, width, 3), dtype=np.uint8)
    for t, m in enumerate(mats):
        # Level-l pixel centres: x_l = (x + 0.5) / factor - 0.5.
        ml = m / factor
        ml[:, 2] += 0.5 / factor - 0.5
        cv2.warpAffine(
            image,
            ml,
            (width, height),
            dst=out[t],
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT_101,
        )
    return out


def film(
    picture: Picture, rng: np.random.Generator, num_frames: int, height: int, width: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """``num_frames`` consecutive frames of a camera moving over ``picture`` and the camera summary."""
    mats, info = camera_path(rng, picture.shape, (height, width), num_frames)
    return render(picture, mats, height, width), info


class FilmedSource:
    """A frame source that films a still picture with a moving camera (:func:`film`).

    Subclasses implement ``_pick(rng, split, height, width) -> (picture, info)``; the pair and the
    clip methods of the :class:`~synth.video.base.FrameSource` protocol follow from it.
    """

    def _pick(
        self, rng: np.random.Generator, split: str, height: int, width: int
    ) -> tuple[Picture, dict[str, Any]]:
        raise NotImplementedError

    def frames(
        self, rng: np.random.Generator, split: str, height: int, width: int
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        picture, info = self._pick(rng, split, height, width)
        pair, camera = film(picture, rng, 2, height, width)
        return pair[0], pair[1], {**info, **camera}

    def clip(
        self, rng: np.random.Generator, split: str, num_frames: int, height: int, width: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if int(num_frames) < 1:
            raise ValueError(f"num_frames must be >= 1, got {num_frames}")
        picture, info = self._pick(rng, split, height, width)
        frames, camera = film(picture, rng, int(num_frames), height, width)
        return frames, {**info, **camera}
