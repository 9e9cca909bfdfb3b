"""Audio defects with exact ground truth, pristine audio sources and the per-sample synthesiser."""

from synth.audio.base import AudioDefect, AudioSource, check_audio, fit_peak
from synth.audio.clicks import Clicks
from synth.audio.distortion import Distortion
from synth.audio.dropout import Dropout
from synth.audio.hiss import Hiss
from synth.audio.hum import Hum
from synth.audio.sources import FolderAudio, ProceduralAudio
from synth.audio.synthesizer import AudioArtifactSynth
from synth.core import AudioMeta

AUDIO_DEFECTS: dict[str, type[AudioDefect]] = {
    Clicks.label: Clicks,
    Distortion.label: Distortion,
    Dropout.label: Dropout,
    Hiss.label: Hiss,
    Hum.label: Hum,
}

__all__ = [
    "AUDIO_DEFECTS",
    "AudioArtifactSynth",
    "AudioDefect",
    "AudioMeta",
    "AudioSource",
    "Clicks",
    "Distortion",
    "Dropout",
    "FolderAudio",
    "Hiss",
    "Hum",
    "ProceduralAudio",
    "check_audio",
    "fit_peak",
]
