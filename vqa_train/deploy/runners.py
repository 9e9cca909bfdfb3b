"""Runners: how detect.py applies one exported detector kind to a media file, streaming.

A runner takes the sidecar, the ONNX session and the file, and returns per-unit scores plus merged
defect events. New detector kinds add a runner here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from synth.media import stream_audio
from vqa_train.progress import track


def _batches(chunks: Iterator[np.ndarray], seg_len: int, batch_size: int) -> Iterator[np.ndarray]:
    """Group streamed ``(1, n)`` chunks into ``(batch, seg_len)`` arrays; a short last chunk is padded."""
    batch: list[np.ndarray] = []
    for chunk in chunks:
        x = chunk.reshape(-1)
        if len(x) == 0:
            continue
        batch.append(np.pad(x, (0, seg_len - len(x))) if len(x) < seg_len else x)
        if len(batch) == batch_size:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


def merge_events(
    labels: list[str], scores: np.ndarray, clean: str, unit_s: float, min_score: float
) -> list[dict[str, Any]]:
    """Consecutive units with the same defect label (score >= min_score) become one event."""
    events: list[dict[str, Any]] = []
    for i, (label, score) in enumerate(zip(labels, scores)):
        if label == clean or score < min_score:
            continue
        last = events[-1] if events else None
        if last and last["label"] == label and last["_end"] == i:
            last["_end"] = i + 1
            last["_scores"].append(float(score))
        else:
            events.append({"label": label, "_start": i, "_end": i + 1, "_scores": [float(score)]})
    return [
        {
            "label": e["label"],
            "start_s": round(e["_start"] * unit_s, 3),
            "end_s": round(e["_end"] * unit_s, 3),
            "peak_score": round(max(e["_scores"]), 4),
            "mean_score": round(float(np.mean(e["_scores"])), 4),
        }
        for e in events
    ]


def run_audio_segments(
    meta: dict[str, Any], session: Any, path: Path, min_score: float, batch_size: int
) -> dict[str, Any]:
    sr, seg_s = int(meta["sample_rate"]), float(meta["segment_s"])
    seg_len = int(round(sr * seg_s))
    classes, clean = list(meta["classes"]), meta.get("clean_label", "none")
    probs = []
    for batch in track(
        _batches(stream_audio(path, sr, seg_len), seg_len, batch_size), f"{meta['detector']}", total=None
    ):
        probs.append(session.run(None, {"waveform": batch.astype(np.float32)})[0])
    p = np.concatenate(probs) if probs else np.zeros((0, len(classes)), np.float32)
    # Per segment: the most probable class; a defect is reported with its own probability.
    top = p.argmax(axis=1) if len(p) else np.zeros(0, int)
    labels = [classes[i] for i in top]
    events = merge_events(labels, p.max(axis=1) if len(p) else np.zeros(0), clean, seg_s, min_score)
    return {
        "kind": meta["kind"],
        "classes": classes,
        "unit_s": seg_s,
        "num_units": int(len(p)),
        "events": events,
        "scores": np.round(p, 4).tolist(),
    }


RUNNERS: dict[str, Callable[..., dict[str, Any]]] = {
    "audio_segment_classifier": run_audio_segments,
}
