"""Audio and video together: AV offsets, procedural talking heads, clips on one timeline, real offset sets."""

from synth.av.offset import AVMeta, AVOffset, sync_label
from synth.av.synthesizer import CLIP_KINDS, AVClipSample, AVSyncSynth, FaceTruth, SyncWindow

__all__ = [
    "CLIP_KINDS",
    "AVClipSample",
    "AVMeta",
    "AVOffset",
    "AVSyncSynth",
    "FaceTruth",
    "SyncWindow",
    "sync_label",
]
