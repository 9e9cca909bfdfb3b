"""Frame defects with exact per-pixel ground truth, hard negatives, pristine frame sources and the synthesiser.

Frames cross every boundary as C-contiguous uint8 RGB ``(H, W, 3)`` arrays (clips as
``(T, H, W, 3)``); see :func:`check_frame`.
"""

from synth.video.augment import FrameAugment, build_augment
from synth.video.base import FrameDefect, FrameSource, check_frame
from synth.video.block_corruption import BlockCorruption
from synth.video.negatives import NEGATIVES, HardNegatives
from synth.video.sources import FolderFrames, MixedFrames, ProceduralFrames, SkimageFrames
from synth.video.synthesizer import BlockCorruptionSynth

VIDEO_DEFECTS: dict[str, type[FrameDefect]] = {
    BlockCorruption.label: BlockCorruption,
}

__all__ = [
    "NEGATIVES",
    "VIDEO_DEFECTS",
    "BlockCorruption",
    "BlockCorruptionSynth",
    "FolderFrames",
    "FrameAugment",
    "FrameDefect",
    "FrameSource",
    "HardNegatives",
    "MixedFrames",
    "ProceduralFrames",
    "SkimageFrames",
    "build_augment",
    "check_frame",
]
