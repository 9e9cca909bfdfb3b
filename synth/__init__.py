"""Simulated defects with exact ground truth, injected into pristine content."""

import os

# Synthesis works on segment-sized vectors: multi-threaded BLAS gains nothing there and its
# spinning threads steal cores from the trainer (3-4x slower samples on 2 cores). Must precede numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from synth.core import SPLITS, AudioMeta, ClipMeta, Defect, FrameMeta, Target, sample_rng  # noqa: E402

__all__ = ["SPLITS", "AudioMeta", "ClipMeta", "Defect", "FrameMeta", "Target", "sample_rng"]
