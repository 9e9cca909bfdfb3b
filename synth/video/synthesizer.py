"""Per-sample generation of labelled frames: pristine pair, augmentation, hard negatives, maybe the defect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import albumentations as A
import numpy as np

from synth.core import FrameMeta, Target, sample_rng
from synth.video.augment import FrameAugment
from synth.video.base import FrameSource, check_classes, check_frame, check_frame_size
from synth.video.block_corruption import BlockCorruption
from synth.video.negatives import HardNegatives

CLEAN = "clean"


class BlockCorruptionSynth:
    """Labelled frames from ``(seed, split, index)`` alone.

    A sample is two consecutive frames from ``source``, augmented identically (``augment``: True
    for :func:`~synth.video.augment.build_augment`, False/None for none, an albumentations
    ``Compose`` or any ``(previous, frame, seed) -> (previous, frame)`` callable), passed through
    the same hard ``negatives``; then, for a ``defect.label`` index, the defect is applied to the
    current frame with the previous one as ``FrameMeta.previous``. Labels cycle through
    ``classes`` by index, so every split is exactly balanced whatever the worker count or order.
    """

    def __init__(
        self,
        source: FrameSource,
        defect: BlockCorruption,
        negatives: HardNegatives | None = None,
        augment: bool | Any = True,
        height: int = 224,
        width: int = 224,
        seed: int = 0,
        classes: Sequence[str] = (CLEAN, "corrupted"),
    ) -> None:
        classes = check_classes(classes, defect.label, CLEAN)
        check_frame_size(height, width)
        if augment is True:
            augment = FrameAugment()
        elif isinstance(augment, A.BaseCompose):
            augment = FrameAugment(augment)
        elif augment is False:
            augment = None
        self.source = source
        self.defect = defect
        self.negatives = negatives
        self.augment = augment
        self.height, self.width = int(height), int(width)
        self.seed = int(seed)
        self.classes = classes

    def label_of(self, index: int) -> str:
        return self.classes[index % len(self.classes)]

    def sample(self, split: str, index: int) -> tuple[np.ndarray, np.ndarray, Target]:
        """The ``index``-th sample of ``split``: uint8 ``(H, W, 3)`` frame, float32 ``(H, W)`` mask, Target."""
        rng = sample_rng(self.seed, split, index)
        label = self.label_of(index)
        previous, frame, info = self.source.frames(rng, split, self.height, self.width)
        check_frame(previous, "source previous frame")
        check_frame(frame, "source frame")
        if previous.shape != (self.height, self.width, 3) or frame.shape != previous.shape:
            raise ValueError(
                f"source frames are {previous.shape} and {frame.shape}, asked for {(self.height, self.width, 3)}"
            )
        if self.augment is not None:
            previous, frame = self.augment(previous, frame, int(rng.integers(2**31)))
        applied: list[str] = []
        if self.negatives is not None:
            params = self.negatives.sample_params(rng, self.height, self.width)
            previous, frame = self.negatives.apply_pair(previous, frame, params)
            applied = list(params["applied"])
        if label == CLEAN:
            target = Target(label=label, mask=np.zeros((self.height, self.width), dtype=np.float32))
        else:
            frame, target = self.defect(frame, rng, FrameMeta(previous=previous))
        target.stats["source"] = info
        target.stats["negatives"] = applied
        return frame, target.mask, target
