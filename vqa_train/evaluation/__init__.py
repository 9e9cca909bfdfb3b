"""Evaluation: one evaluator per detector kind, all writing metrics.json + PNGs to the run dir."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig

from vqa_train.evaluation import audio_frames, audio_segments, av_clips, block_frames, temporal_clips

EVALUATORS: dict[str, Callable[[DictConfig], dict[str, Any]]] = {
    "audio_segment_classifier": audio_segments.evaluate,
    "frame_map_classifier": block_frames.evaluate,
    "temporal_segmenter": temporal_clips.evaluate,
    "av_sync_pipeline": av_clips.evaluate,
    "audio_frame_segmenter": audio_frames.evaluate,
}


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    kind = cfg.detector.kind
    if kind not in EVALUATORS:
        raise ValueError(f"detector.kind '{kind}' has no evaluator; known: {sorted(EVALUATORS)}")
    return EVALUATORS[kind](cfg)
