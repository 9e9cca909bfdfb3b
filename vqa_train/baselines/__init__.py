"""Non-learned baselines that trained detectors must beat."""

from vqa_train.baselines.audio_dsp import AstatsRunner, AudioDSPBaseline, astats_features, spectral_features

__all__ = ["AstatsRunner", "AudioDSPBaseline", "astats_features", "spectral_features"]
