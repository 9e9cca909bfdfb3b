"""Codec in the loop: training frames whose corruption comes from a real H.264 decoder.

The hand-written block-corruption modes (:class:`~synth.video.block_corruption.BlockCorruption`)
draw fresh damage on the current frame. Real packet loss mostly shows *after* the hit: the damage
is carried through later P/B frames by motion compensation and partly covered by new residuals.
:class:`CodecLoop` produces such frames the way the real-set builder does
(:mod:`synth.video.realset`): a short pristine clip is encoded with libx264, bytes inside non-IDR
slices are overwritten, FFmpeg decodes the damaged stream with its error concealment, and the
ground-truth mask is the visible difference from the intact decode (same labeling rule as the real
set). A ``clean`` sample is a frame of the intact decode, so compression itself never predicts the
label.

Everything is drawn from the generator it is given, and x264 runs single-threaded without
macroblock-tree rate control, so a sample is a pure function of ``(seed, split, index)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synth.core import Target
from synth.video.realset import (
    RealSetConfig,
    apply_hits,
    corruption_mask,
    decode_h264,
    encode_h264,
    frame_label,
    sample_hits,
)


@dataclass(frozen=True)
class CodecLoop:
    """How often and how samples go through a real encoder, damage and decoder.

    ``prob`` is the fraction of samples (of both classes alike) made this way; a corrupted sample
    is a damaged-decode frame whose visible change covers at least ``damage.min_area_ratio`` of
    the frame, chosen uniformly among such frames of its clip. When ``max_attempts`` damage draws
    leave no such frame, the caller falls back to the hand-written defect on an intact-decode frame
    (``stats["codec"]["fallback"]``). ``splits`` limits the codec to some splits (e.g. ``[train]``
    keeps the simulated val/test splits comparable with a run without it).

    ``frames_per_clip`` > 1 makes the codec path cheaper: the samples ``k * g .. k * g + k - 1``
    (``k`` = ``frames_per_clip``) share one clip, one encode and one damage draw, decided and drawn
    from the group's own generator, and take different frames of it (each class walks through its
    frames from a drawn offset). A sample is still a pure function of ``(seed, split, index)``;
    the synthesiser only caches the group, and :class:`~vqa_train.data.samplers.EpochIndexSampler`
    with ``block=k`` keeps a group inside one batch, so a worker encodes each clip once.
    """

    prob: float = 0.0
    clip_frames: int = 6
    crf_range: tuple[int, int] = (18, 34)
    presets: tuple[str, ...] = ("veryfast",)
    splits: tuple[str, ...] = ("train", "val", "test")
    max_attempts: int = 4
    frames_per_clip: int = 1
    damage: RealSetConfig = field(default_factory=lambda: RealSetConfig(hits_range=(1, 6)))

    def __post_init__(self) -> None:
        object.__setattr__(self, "crf_range", tuple(int(v) for v in self.crf_range))
        object.__setattr__(self, "presets", tuple(str(p) for p in self.presets))
        object.__setattr__(self, "splits", tuple(str(s) for s in self.splits))
        if isinstance(self.damage, Mapping):
            object.__setattr__(self, "damage", RealSetConfig(**dict(self.damage)))
        checks = {
            "prob": 0.0 <= self.prob <= 1.0,
            "clip_frames": 2 <= self.clip_frames <= 64,
            "crf_range": len(self.crf_range) == 2 and 0 <= self.crf_range[0] <= self.crf_range[1] <= 51,
            "presets": bool(self.presets),
            "splits": bool(self.splits),
            "max_attempts": self.max_attempts >= 1,
            "frames_per_clip": 1 <= self.frames_per_clip <= 64,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"CodecLoop.{name}: invalid value {getattr(self, name)!r}")

    def applies(self, rng: np.random.Generator, split: str) -> bool:
        """Whether this sample goes through the codec (draws from ``rng`` only when it may)."""
        return self.prob > 0.0 and split in self.splits and bool(rng.random() < self.prob)

    def encode(self, clip: np.ndarray, rng: np.random.Generator) -> CodedClip:
        """Encode ``clip`` (uint8 ``(T, H, W, 3)``, even H and W) with drawn settings; decode it intact."""
        config = self.damage
        crf = int(rng.integers(self.crf_range[0], self.crf_range[1] + 1))
        preset = self.presets[int(rng.integers(len(self.presets)))]
        slices = int(rng.choice(config.slices_choices))
        bframes = int(rng.choice(config.bframes_choices))
        cabac = bool(config.cabac_choices[int(rng.integers(len(config.cabac_choices)))])
        packets = encode_h264(clip, config.fps, crf, preset, slices, bframes, cabac)
        clean, counts = decode_h264(packets, clip.shape[0])
        if len(clean) != clip.shape[0] or counts["packet_errors"]:
            raise RuntimeError(f"codec loop: the intact stream did not decode cleanly ({counts})")
        stats = {"crf": crf, "preset": preset, "slices": slices, "bframes": bframes, "cabac": cabac}
        return CodedClip(packets=packets, clean=clean, stats=stats)

    def damage_clip(self, coded: CodedClip, rng: np.random.Generator) -> DamagedClip:
        """Damage draws until one leaves frames labelled corrupted (at most ``max_attempts``).

        Frame 0 is the IDR frame, which the damage never touches. ``candidates`` is empty when
        no draw produced visible damage.
        """
        config, num = self.damage, len(coded.clean)
        for attempt in range(1, self.max_attempts + 1):
            hits = sample_hits(rng, coded.packets, config)
            damaged, _ = decode_h264(apply_hits(coded.packets, hits), num)
            candidates: list[tuple[int, np.ndarray, float]] = []
            for index in range(1, num):
                frame = damaged.get(index)
                if frame is None or np.array_equal(frame, coded.clean[index]):
                    continue
                mask, ratio = corruption_mask(
                    frame,
                    coded.clean[index],
                    config.diff_threshold,
                    config.open_kernel_px,
                    config.tolerance_px,
                )
                if frame_label(ratio, config) == "corrupted":
                    candidates.append((index, mask, ratio))
            if candidates:
                return DamagedClip(frames=damaged, candidates=candidates, attempts=attempt, hits=hits)
        return DamagedClip(frames={}, candidates=[], attempts=self.max_attempts, hits=[])

    def sample(
        self, clip: np.ndarray, label_corrupted: bool, rng: np.random.Generator
    ) -> tuple[np.ndarray | None, tuple[np.ndarray, np.ndarray], Target | None, dict[str, Any]]:
        """Encode ``clip`` (uint8 ``(T, H, W, 3)``, even H and W), then pick a frame.

        Returns ``(frame, (previous, fallback_frame), target, stats)``. For the clean class ``frame`` is an
        intact-decode frame and ``target`` its clean Target. For the corrupted class ``frame`` is a
        damaged-decode frame with its mask in ``target``, or ``None`` (with ``target`` None) when no
        draw produced visible damage; ``fallback_frame`` is then the intact-decode frame to apply
        the hand-written defect to, ``previous`` the intact-decode frame before it.
        """
        coded = self.encode(clip, rng)
        # Later frames carry propagated damage and are what a detector mostly sees; frame 0 is the
        # IDR frame, which the damage never touches.
        pick = int(rng.integers(1, len(coded.clean)))
        if not label_corrupted:
            return coded.clean_sample(pick)
        damaged = self.damage_clip(coded, rng)
        if not damaged.candidates:
            return coded.fallback(pick, damaged.attempts)
        return damaged.sample(coded, int(rng.integers(len(damaged.candidates))))


@dataclass(frozen=True)
class CodedClip:
    """A clip's H.264 packets and its intact decode (frame index -> uint8 frame)."""

    packets: list
    clean: dict[int, np.ndarray]
    stats: dict[str, Any]

    def fallback_pair(self, pick: int) -> tuple[np.ndarray, np.ndarray]:
        return self.clean[pick - 1], self.clean[pick]

    def clean_sample(
        self, pick: int
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Target, dict[str, Any]]:
        mask = np.zeros(self.clean[pick].shape[:2], np.float32)
        stats = {**self.stats, "frame_index": pick}
        return self.clean[pick], self.fallback_pair(pick), Target(label="clean", mask=mask), stats

    def fallback(
        self, pick: int, attempts: int
    ) -> tuple[None, tuple[np.ndarray, np.ndarray], None, dict[str, Any]]:
        stats = {**self.stats, "frame_index": pick, "attempts": attempts, "fallback": True}
        return None, self.fallback_pair(pick), None, stats


@dataclass(frozen=True)
class DamagedClip:
    """The decode of a damaged stream and its frames labelled corrupted: ``(index, mask, ratio)``."""

    frames: dict[int, np.ndarray]
    candidates: list[tuple[int, np.ndarray, float]]
    attempts: int
    hits: list

    def sample(
        self, coded: CodedClip, which: int
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], Target, dict[str, Any]]:
        """The ``which``-th corrupted frame, with its mask and the clip's stats."""
        index, mask, ratio = self.candidates[which]
        stats = {
            **coded.stats,
            "frame_index": index,
            "attempts": self.attempts,
            "hits": [dataclasses.asdict(h) for h in self.hits],
            "fallback": False,
        }
        target = Target(
            label="corrupted",
            params={"codec": True},
            stats={"area_ratio": ratio, "visible": True},
            mask=mask.astype(np.float32),
        )
        return self.frames[index], coded.fallback_pair(index), target, stats


def codec_loop(value: CodecLoop | Mapping[str, Any] | None) -> CodecLoop | None:
    """A :class:`CodecLoop` from itself, a config mapping, or ``None`` (off)."""
    if value is None or isinstance(value, CodecLoop):
        return value
    try:
        return CodecLoop(**dict(value))
    except TypeError as exc:
        raise ValueError(f"data.codec: {exc}") from None


__all__: Sequence[str] = ("CodecLoop", "codec_loop")
