"""Per-sample generation of labelled frames: pristine pair, augmentation, hard negatives, maybe the defect."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import albumentations as A
import numpy as np

from synth.core import FrameMeta, Target, sample_rng
from synth.video.augment import FrameAugment
from synth.video.base import FrameSource, check_classes, check_frame, check_frame_size
from synth.video.block_corruption import BlockCorruption
from synth.video.codec_loop import CodecLoop, CodedClip, DamagedClip, codec_loop
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

    With ``codec`` (a :class:`~synth.video.codec_loop.CodecLoop` or its config), a fraction of the
    samples of both classes instead comes from a short source clip put through libx264, packet
    damage and FFmpeg's decoder (no augmentation or hard negatives on that path: the codec is the
    hard negative). Whether a sample takes that path is drawn from its own generator stream, so
    the other samples are the same with or without the codec. With ``codec.frames_per_clip`` k > 1,
    groups of k consecutive indices share a clip (see :class:`~synth.video.codec_loop.CodecLoop`);
    the last few groups are cached, so a worker given a whole group encodes its clip once.
    """

    GROUP_CACHE = 8

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
        codec: CodecLoop | dict[str, Any] | None = None,
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
        self.codec = codec_loop(codec)
        if self.codec is not None and self.codec.prob > 0 and (self.height % 2 or self.width % 2):
            raise ValueError(f"data.codec needs an even frame size (yuv420p), got {self.width}x{self.height}")
        if self.codec is not None and self.codec.frames_per_clip >= self.codec.clip_frames:
            raise ValueError(
                f"data.codec.frames_per_clip ({self.codec.frames_per_clip}) must be below clip_frames "
                f"({self.codec.clip_frames}): frame 0 of a clip is never a sample"
            )
        self._groups: OrderedDict[tuple[str, int], tuple[CodedClip, DamagedClip, dict, tuple[int, int]]] = (
            OrderedDict()
        )

    def label_of(self, index: int) -> str:
        return self.classes[index % len(self.classes)]

    def sample(self, split: str, index: int) -> tuple[np.ndarray, np.ndarray, Target]:
        """The ``index``-th sample of ``split``: uint8 ``(H, W, 3)`` frame, float32 ``(H, W)`` mask, Target."""
        rng = sample_rng(self.seed, split, index)
        label = self.label_of(index)
        if self.codec is not None and self.codec.frames_per_clip > 1:
            group = index // self.codec.frames_per_clip
            if self.codec.applies(sample_rng(self.seed, split, group, stream=2), split):
                return self._grouped_codec_sample(split, group, index, label)
        elif self.codec is not None:
            codec_rng = sample_rng(self.seed, split, index, stream=1)
            if self.codec.applies(codec_rng, split):
                return self._codec_sample(codec_rng, split, label)
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

    def _codec_sample(
        self, rng: np.random.Generator, split: str, label: str
    ) -> tuple[np.ndarray, np.ndarray, Target]:
        clip, info = self.source.clip(rng, split, self.codec.clip_frames, self.height, self.width)
        expected = (self.codec.clip_frames, self.height, self.width, 3)
        if clip.shape != expected or clip.dtype != np.uint8:
            raise ValueError(f"source clip is {clip.dtype} {clip.shape}, asked for uint8 {expected}")
        frame, fallback, target, stats = self.codec.sample(clip, label != CLEAN, rng)
        if target is None:  # no visible codec damage: the hand-written defect on the decoded frame
            previous, current = fallback
            frame, target = self.defect(current, rng, FrameMeta(previous=previous))
        elif label != CLEAN:
            target = Target(label=label, params=target.params, stats=target.stats, mask=target.mask)
        target.stats["source"] = info
        target.stats["negatives"] = []
        target.stats["codec"] = stats
        return frame, target.mask, target

    def _codec_group(self, split: str, group: int) -> tuple[CodedClip, DamagedClip, dict, tuple[int, int]]:
        """Clip, encode, damage and frame offsets of a group: all from the group's generator."""
        key = (split, group)
        if key in self._groups:
            self._groups.move_to_end(key)
            return self._groups[key]
        rng = sample_rng(self.seed, split, group, stream=2)
        self.codec.applies(rng, split)  # the decision's draw, so the rest follows it as in sample()
        clip, info = self.source.clip(rng, split, self.codec.clip_frames, self.height, self.width)
        expected = (self.codec.clip_frames, self.height, self.width, 3)
        if clip.shape != expected or clip.dtype != np.uint8:
            raise ValueError(f"source clip is {clip.dtype} {clip.shape}, asked for uint8 {expected}")
        coded = self.codec.encode(clip, rng)
        damaged = self.codec.damage_clip(coded, rng)
        offsets = (int(rng.integers(1 << 30)), int(rng.integers(1 << 30)))
        self._groups[key] = (coded, damaged, info, offsets)
        if len(self._groups) > self.GROUP_CACHE:
            self._groups.popitem(last=False)
        return self._groups[key]

    def _grouped_codec_sample(
        self, split: str, group: int, index: int, label: str
    ) -> tuple[np.ndarray, np.ndarray, Target]:
        coded, damaged, info, (clean_offset, corrupted_offset) = self._codec_group(split, group)
        classes = len(self.classes)
        rank = (index - group * self.codec.frames_per_clip) // classes  # earlier group members of this class
        frames = len(coded.clean) - 1  # frame 0 (IDR) is never a sample
        if label == CLEAN:
            frame, _, target, stats = coded.clean_sample(1 + (clean_offset + rank) % frames)
        elif damaged.candidates:
            frame, _, target, stats = damaged.sample(
                coded, (corrupted_offset + rank) % len(damaged.candidates)
            )
            target = Target(label=label, params=target.params, stats=target.stats, mask=target.mask)
        else:  # no visible codec damage in this clip: the hand-written defect on a decoded frame
            pick = 1 + (corrupted_offset + rank) % frames
            _, (previous, current), _, stats = coded.fallback(pick, damaged.attempts)
            frame, target = self.defect(
                current, sample_rng(self.seed, split, index, stream=1), FrameMeta(previous=previous)
            )
        target.stats["source"] = info
        target.stats["negatives"] = []
        target.stats["codec"] = {**stats, "group": group, "frames_per_clip": self.codec.frames_per_clip}
        return frame.copy(), target.mask, target  # a copy: the cached clip must stay as decoded
