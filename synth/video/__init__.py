"""Frame and clip defects with exact ground truth, hard negatives, pristine frame sources and the synthesiser.

Frames cross every boundary as C-contiguous uint8 RGB ``(H, W, 3)`` arrays (clips as
``(T, H, W, 3)``); see :func:`check_frame` and :func:`check_clip`.
"""

from synth.video.augment import FrameAugment, build_augment
from synth.video.base import FrameDefect, FrameSource, check_clip, check_frame
from synth.video.block_corruption import BlockCorruption
from synth.video.clip_synth import TemporalClipSynth
from synth.video.negatives import NEGATIVES, HardNegatives
from synth.video.sources import FolderFrames, MixedFrames, ProceduralFrames, SkimageFrames
from synth.video.synthesizer import BlockCorruptionSynth
from synth.video.temporal import BlackFrames, ClipDefect, Freeze, Stutter, Tearing
from synth.video.temporal_negatives import TEMPORAL_NEGATIVES, TemporalNegatives

VIDEO_DEFECTS: dict[str, type[FrameDefect]] = {
    BlockCorruption.label: BlockCorruption,
}

# Clip defects over uint8 (T, H, W, 3) with frame-span ground truth (synth.core.ClipMeta as meta).
TEMPORAL_DEFECTS: dict[str, type[ClipDefect]] = {
    BlackFrames.label: BlackFrames,
    Freeze.label: Freeze,
    Stutter.label: Stutter,
    Tearing.label: Tearing,
}

__all__ = [
    "NEGATIVES",
    "TEMPORAL_DEFECTS",
    "TEMPORAL_NEGATIVES",
    "VIDEO_DEFECTS",
    "BlackFrames",
    "BlockCorruption",
    "BlockCorruptionSynth",
    "ClipDefect",
    "FolderFrames",
    "FrameAugment",
    "FrameDefect",
    "FrameSource",
    "Freeze",
    "HardNegatives",
    "MixedFrames",
    "ProceduralFrames",
    "SkimageFrames",
    "Stutter",
    "Tearing",
    "TemporalClipSynth",
    "TemporalNegatives",
    "build_augment",
    "check_clip",
    "check_frame",
]
