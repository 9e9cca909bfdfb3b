"""Simulated defects with exact ground truth, injected into pristine content."""

from synth.core import SPLITS, AudioMeta, Defect, Target, sample_rng

__all__ = ["SPLITS", "AudioMeta", "Defect", "Target", "sample_rng"]
