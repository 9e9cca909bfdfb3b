"""Pristine frame sources: procedural scenes, scikit-image's bundled photos, a folder, and a mixture."""

from synth.video.sources.folder import IMAGE_EXTENSIONS, FolderFrames
from synth.video.sources.mixed import MixedFrames
from synth.video.sources.photos import SKIMAGE_IMAGES, SkimageFrames
from synth.video.sources.procedural import CONTENTS, ProceduralFrames

__all__ = [
    "CONTENTS",
    "IMAGE_EXTENSIONS",
    "SKIMAGE_IMAGES",
    "FolderFrames",
    "MixedFrames",
    "ProceduralFrames",
    "SkimageFrames",
]
