"""Pristine audio sources: procedural synthesis and a folder of the user's own media."""

from synth.audio.sources.folder import FolderAudio
from synth.audio.sources.procedural import KINDS, ProceduralAudio

__all__ = ["KINDS", "FolderAudio", "ProceduralAudio"]
