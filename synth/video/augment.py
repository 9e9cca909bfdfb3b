"""Photometric and geometric augmentation, applied identically to the previous and current frame."""

from __future__ import annotations

from typing import Any

import albumentations as A
import cv2
import numpy as np

from synth.video.base import check_frame


def build_augment(seed: int = 0) -> A.Compose:
    """The default albumentations pipeline with a ``previous`` image target.

    Photometric: brightness/contrast, hue/saturation, gamma, Gaussian noise. Geometric: horizontal
    flip and a small scale/rotate/shift (reflected borders). Noise and hue cost the most
    (~1-2 ms at 224 x 224 for the pair), so they run on a minority of samples.
    """
    return A.Compose(
        [
            A.HorizontalFlip(p=0.5),
            A.Affine(
                scale=(0.9, 1.12),
                rotate=(-6, 6),
                translate_percent=(-0.04, 0.04),
                border_mode=cv2.BORDER_REFLECT_101,
                p=0.3,
            ),
            A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.25, p=0.6),
            A.HueSaturationValue(hue_shift_limit=12, sat_shift_limit=25, val_shift_limit=0, p=0.25),
            A.RandomGamma(gamma_limit=(75, 135), p=0.3),
            A.GaussNoise(std_range=(0.005, 0.03), p=0.2),
        ],
        additional_targets={"previous": "image"},
        seed=int(seed),
    )


class FrameAugment:
    """``augment(previous, frame, seed) -> (previous, frame)``: one draw of ``transform`` on both.

    The draw is a pure function of ``seed`` (albumentations' own generator is reseeded per call),
    so a sample does not depend on what the transform did before. Any albumentations ``Compose``
    works; a ``previous`` image target is added to it if missing. Not thread-safe (one per worker).
    """

    def __init__(self, transform: A.BaseCompose | None = None) -> None:
        self.transform = build_augment() if transform is None else transform
        if "previous" not in getattr(self.transform, "additional_targets", {}):
            self.transform.add_targets({"previous": "image"})

    def __call__(self, previous: np.ndarray, frame: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
        self.transform.set_random_seed(int(seed))
        out: dict[str, Any] = self.transform(image=frame, previous=previous)
        previous, frame = np.ascontiguousarray(out["previous"]), np.ascontiguousarray(out["image"])
        check_frame(previous, "augmented previous frame")
        check_frame(frame, "augmented frame")
        return previous, frame
