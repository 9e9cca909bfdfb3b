"""Evaluate an audio dropout segmenter (``detector=audio_dropout``) beside FFmpeg ``silencedetect``.

One report, on the same segments of the simulated test split, laid out like the temporal-clip
report (:mod:`vqa_train.evaluation.temporal_clips`):

- ``model``: frame-level classification report (a 10-ms frame flagged when its probability > 0.5),
  with ``clip_level`` (a segment flagged when any frame is), ``events`` (runs of flagged frames
  against the runs of true frames, :func:`vqa_train.metrics.event_scores` with
  ``event_tolerance_frames``) and ``recall_by_mode`` / ``recall_by_length`` (a true dropout span is
  found when a flagged frame lies within the tolerance of its frames);
- ``dsp_baseline``: FFmpeg ``silencedetect`` per frame (a frame silent when at least half of it lies
  in a reported silence, the rule of the frame labels), its two settings tuned on the simulated val
  split: the noise level ``n`` is the per-frame peak-level threshold with the best frame balanced
  accuracy (:class:`~vqa_train.baselines.temporal_dsp.TemporalDSPBaseline`, score ``silence``: a
  frame whose peak is below ``n`` is all below it), then the minimum duration ``d`` from
  ``MIN_DURATIONS_S`` at that ``n``. ``peak_level`` holds the thresholded peak level alone (no
  duration rule), the same three levels;
- ``clean_fpr_by_content``: on clean segments, the share of frames and of segments flagged, by
  content kind (``target.stats["source"]["kind"]``: speech, music, ambience, mixture, quiet; user
  files are ``folder``): natural pauses are the hard negatives, so this is where false alarms live;
- ``roc_auc`` per frame of the model and of the (negated) peak level.

``real_set=DIR`` scores the clips of ``DIR/manifest.csv`` instead (``path,label,spans_s[,mechanism]``,
as :mod:`synth.audio.dropout_realset` writes: ``spans_s`` end-exclusive ``start-end;start-end`` in
seconds, empty for a clean clip). Each file is decoded whole with that module's
:func:`~synth.audio.dropout_realset.decode_on_timeline` at the detector's rate (frames placed at
their timestamps, so lost packets stay silent, as the set's labels assume) and framed by the same
half-frame rule as the synthetic labels. The same levels are reported (``recall_by_mode`` is then
by mechanism), with ``per_mechanism`` in place of ``clean_fpr_by_content`` (false-positive rates of
the clean mechanisms, recalls of the dropout ones); the baseline is still tuned on the simulated
val split.

PNGs: frame- and segment-level confusion matrices of the model, the baseline's frame-level one and
a timeline of a few segments (probability vs truth, baseline flags).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from omegaconf import DictConfig

from synth.media import MediaError
from vqa_train.baselines.temporal_dsp import TemporalDSPBaseline, silencedetect_audio
from vqa_train.checkpoint import load_detector
from vqa_train.data.audio_frames import frame_labels
from vqa_train.data.manifest import parse_spans, read_manifest
from vqa_train.evaluation.common import clip_errors, frame_aucs, frame_levels, frame_timeline, per_mechanism
from vqa_train.metrics import (
    balanced_accuracy,
)
from vqa_train.plots import save_confusions
from vqa_train.progress import track
from vqa_train.utils.atomic import write_json

log = logging.getLogger(__name__)

# Minimum silence durations (s) tried for silencedetect's ``d`` on the val split.
MIN_DURATIONS_S = (0.0, 0.005, 0.01, 0.02, 0.05)
# Dropout span lengths (ms) for recall_by_length: [lo, hi).
LENGTH_BUCKETS_MS = ((0.0, 30.0), (30.0, 100.0), (100.0, math.inf))
TIMELINE_SEGMENTS = 8
BASELINE_NAME = "ffmpeg silencedetect (noise level and minimum duration tuned on val)"


def simulated_segments(dm: Any, split: str, size: int) -> Iterator[dict[str, Any]]:
    """The first ``size`` segments of a simulated split with their truth and content kind."""
    for i in range(size):
        audio, frame_labels, target = dm.synth.sample(split, i)
        source = target.stats.get("source", {})
        yield {
            "audio": audio[0],
            "frame_labels": frame_labels.astype(bool),
            "label": target.label,
            "segments": [tuple(map(int, s)) for s in target.segments],
            "modes": list(target.stats.get("modes", [])),
            "content": str(source.get("kind") or source.get("source") or "unknown"),
            "origin": {"split": split, "index": i},
        }


def real_segments(
    root: str, classes: list[str], sample_rate: int, hop: int
) -> tuple[int, Iterator[dict[str, Any]]]:
    """The clips of a labelled folder: rows, labels and spans checked now, files decoded lazily with
    :func:`synth.audio.dropout_realset.decode_on_timeline` (errors name the manifest row)."""
    from synth.audio.dropout_realset import decode_on_timeline

    manifest, rows = read_manifest(root, classes, required=("path", "label"))
    clean, positive = classes
    checked = []
    for row in rows:
        where = f"{manifest}:{row.line}"
        if row.start_s is not None or row.end_s is not None:
            raise ValueError(f"{where}: start_s/end_s are not supported for dropout clips; cut the clip")
        extra = dict(row.extra)
        spans = parse_spans(extra.get("spans_s", ""), where, "spans_s", seconds=True)
        if row.label == positive and not spans:
            raise ValueError(f"{where}: a '{positive}' clip needs spans_s (start-end;... in seconds)")
        if row.label == clean and spans:
            raise ValueError(f"{where}: a '{clean}' clip has no spans, got spans_s='{extra['spans_s']}'")
        checked.append((row, spans, extra.get("mechanism") or "unspecified"))

    def segments() -> Iterator[dict[str, Any]]:
        for row, spans, mechanism in checked:
            try:
                audio = decode_on_timeline(row.path, sample_rate)
            except MediaError as exc:
                raise MediaError(f"{manifest}:{row.line}: {exc}") from None
            if len(audio) < hop:
                raise MediaError(f"{manifest}:{row.line}: {row.path} decodes to less than one frame")
            samples = [(round(s * sample_rate), round(e * sample_rate)) for s, e in spans]
            labels = frame_labels(samples, len(audio), hop).astype(bool)
            if spans and not labels.any():
                log.warning("%s:%d: no frame lies half inside a span of %s", manifest, row.line, row.path)
            yield {
                "audio": audio,
                "frame_labels": labels,
                "label": row.label,
                "segments": samples,
                "modes": [mechanism] * len(samples),
                "content": mechanism,
                "mechanism": mechanism,
                "origin": {"row": row.line, "path": str(row.path)},
            }

    return len(checked), segments()


def peak_db(audio: np.ndarray, sample_rate: int, hop: int, frames: int) -> np.ndarray:
    """Peak level (dBFS) of each ``hop``-sample frame, from FFmpeg's block scores."""
    return silencedetect_audio(audio, sample_rate, block_samples=hop)["block_scores"][:frames]


def silence_flags(
    audio: np.ndarray, sample_rate: int, hop: int, frames: int, noise_db: float, min_duration_s: float
) -> np.ndarray:
    """Bool per frame: at least half of it inside a silence FFmpeg's ``silencedetect`` reports."""
    out = silencedetect_audio(audio, sample_rate, noise_db, min_duration_s, block_samples=hop)
    return out["block_flags"][:frames]


def _noise_db(threshold: float) -> float:
    """silencedetect's ``n`` from a peak threshold (dBFS); FFmpeg needs a negative level."""
    return min(float(threshold), -0.01)


@torch.inference_mode()
def _model_probs(net: torch.nn.Module, audio: list[np.ndarray]) -> np.ndarray:
    return torch.sigmoid(net(torch.from_numpy(np.stack(audio)).float())).numpy()


def _fit_baseline(dm: Any, size: int, sr: int, hop: int) -> dict[str, Any]:
    """Tune silencedetect's ``n`` (peak threshold) then ``d`` (grid) on ``size`` val segments."""
    frames = dm.synth.num_frames
    peaks, labels = [], []
    for item in track(simulated_segments(dm, "val", size), "baseline: val peak levels", total=size):
        peaks.append(peak_db(item["audio"], sr, hop, frames))
        labels.append(item["frame_labels"])
    peak = TemporalDSPBaseline("silence", block_samples=hop).fit(peaks, labels)
    noise_db = _noise_db(peak.threshold)
    flags: dict[float, list[np.ndarray]] = {d: [] for d in MIN_DURATIONS_S}
    for item in track(simulated_segments(dm, "val", size), "baseline: val silencedetect", total=size):
        for d in MIN_DURATIONS_S:
            flags[d].append(silence_flags(item["audio"], sr, hop, frames, noise_db, d))
    truth = np.concatenate(labels).astype(int)
    grid = {d: balanced_accuracy(truth, np.concatenate(f).astype(int)) for d, f in flags.items()}
    best = max(MIN_DURATIONS_S, key=lambda d: (grid[d], -d))  # ties: the shorter duration
    return {
        "peak": peak,
        "noise_db": noise_db,
        "min_duration_s": best,
        "val_bacc": grid[best],
        "val_bacc_by_min_duration_s": {str(d): v for d, v in grid.items()},
    }


def _score(
    net: torch.nn.Module,
    baseline: dict[str, Any] | None,
    items: Iterator[dict[str, Any]],
    total: int,
    sr: int,
    hop: int,
    batch_size: int,
    desc: str = "scoring segments",
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Per segment: truth, model probabilities, baseline flags and peak levels (segments of one length
    per batch: real clips go one at a time)."""
    rows: list[dict[str, Any]] = []
    seconds = {"model_eager": 0.0, "dsp_baseline": 0.0}
    pending: list[tuple[dict[str, Any], np.ndarray]] = []

    def flush() -> None:
        if pending:
            t0 = time.perf_counter()
            probs = _model_probs(net, [audio for _, audio in pending])
            seconds["model_eager"] += time.perf_counter() - t0
            for (row, _), p in zip(pending, probs):
                row["prob"] = p
            pending.clear()

    for item in track(items, desc, total=total):
        row = {k: v for k, v in item.items() if k != "audio"}
        frames = len(item["audio"]) // hop
        if baseline is not None:
            t0 = time.perf_counter()
            row["dsp_flags"] = silence_flags(
                item["audio"], sr, hop, frames, baseline["noise_db"], baseline["min_duration_s"]
            )
            seconds["dsp_baseline"] += time.perf_counter() - t0
            row["peak_db"] = peak_db(item["audio"], sr, hop, frames)
        rows.append(row)
        pending.append((row, item["audio"]))
        if len(pending) == batch_size:
            flush()
    flush()
    return rows, {k: v / max(len(rows), 1) for k, v in seconds.items()}


def _span_recall(
    rows: list[dict[str, Any]], flags: list[np.ndarray], hop: int, tolerance: int, sr: int
) -> dict[str, dict[str, Any]]:
    """Share of true dropout spans with a flagged frame within ``tolerance`` frames, by mode and length."""
    by_mode: dict[str, list[bool]] = {}
    by_length: dict[str, list[bool]] = {}
    for row, f in zip(rows, flags):
        modes = row["modes"] + ["unknown"] * (len(row["segments"]) - len(row["modes"]))
        for (start, end), mode in zip(row["segments"], modes):
            lo, hi = start // hop, -(-end // hop)
            found = bool(f[max(0, lo - tolerance) : hi + tolerance].any())
            by_mode.setdefault(mode, []).append(found)
            ms = (end - start) * 1000.0 / sr
            lo_ms, hi_ms = next(b for b in LENGTH_BUCKETS_MS if b[0] <= ms < b[1])
            key = f"{lo_ms:g}-{hi_ms:g}ms" if math.isfinite(hi_ms) else f">={lo_ms:g}ms"
            by_length.setdefault(key, []).append(found)

    def rates(groups: dict[str, list[bool]]) -> dict[str, Any]:
        return {k: {"spans": len(v), "recall": float(np.mean(v))} for k, v in sorted(groups.items())}

    return {"recall_by_mode": rates(by_mode), "recall_by_length": rates(by_length)}


def _levels(
    rows: list[dict[str, Any]], flags: list[np.ndarray], classes: list[str], tolerance: int, hop: int, sr: int
) -> dict[str, Any]:
    """Frame-level report with ``clip_level`` (segments), ``events`` and per-span recall."""
    return {**frame_levels(rows, flags, classes, tolerance), **_span_recall(rows, flags, hop, tolerance, sr)}


def _clean_fpr_by_content(
    rows: list[dict[str, Any]], clean: str, model: list[np.ndarray], dsp: list[np.ndarray] | None
) -> dict[str, Any]:
    """On clean segments, per content kind (and ``all``): flagged frames and flagged segments."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r["label"] == clean:
            groups.setdefault(f"content:{r['content']}", []).append(i)
            groups.setdefault("all", []).append(i)
    out = {}
    for key, idx in sorted(groups.items()):
        entry = {
            "segments": len(idx),
            "fpr_frames_model": float(np.mean(np.concatenate([model[i] for i in idx]))),
            "fpr_segments_model": float(np.mean([model[i].any() for i in idx])),
        }
        if dsp is not None:
            entry["fpr_frames_dsp_baseline"] = float(np.mean(np.concatenate([dsp[i] for i in idx])))
            entry["fpr_segments_dsp_baseline"] = float(np.mean([dsp[i].any() for i in idx]))
        out[key] = entry
    return out


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    out_dir = Path(cfg.paths.output_dir)
    net, info = load_detector(cfg.ckpt_path)
    det = info["detector"]
    classes = list(det["classes"])
    if list(cfg.detector.classes) != classes:
        raise ValueError(
            f"checkpoint classes {classes} differ from detector.classes {list(cfg.detector.classes)}"
        )
    clean, positive = classes
    tolerance = int(det.get("event_tolerance_frames", 2))
    batch_size = int(cfg.batch_size)
    real = None
    if cfg.get("real_set"):  # the manifest is checked before any work
        real_sr = int(det["sample_rate"])
        real = real_segments(str(cfg.real_set), classes, real_sr, round(float(det["frame_s"]) * real_sr))
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    sr, hop = dm.synth.sample_rate, dm.synth.hop
    if sr != int(det["sample_rate"]) or hop != round(float(det["frame_s"]) * sr):
        raise ValueError(
            f"data ({sr} Hz, {hop}-sample frames) differs from the checkpoint's detector "
            f"({det['sample_rate']} Hz, frame_s {det['frame_s']})"
        )

    baseline, skipped = None, None
    if cfg.get("baseline", True):
        val_n = int(cfg.get("val_size") or dm.sizes["val"])
        try:
            baseline = _fit_baseline(dm, val_n, sr, hop)
        except ValueError as exc:  # e.g. a val split too small to hold both classes
            skipped = f"baseline not fitted on val: {exc}"

    if real is None:
        total = dm.sizes["test"]
        items = simulated_segments(dm, "test", total)
        rows, seconds = _score(net, baseline, items, total, sr, hop, batch_size)
        source: dict[str, Any] = {"simulated_split": "test", "seed": int(cfg.data.seed)}
    else:  # whole clips of any length, one at a time
        total, items = real
        rows, seconds = _score(net, baseline, items, total, sr, hop, 1, "scoring real clips")
        source = {"real_set": str(cfg.real_set), "baseline_fitted_on": "simulated val split"}
    model_flags = [r["prob"] > 0.5 for r in rows]
    report: dict[str, Any] = {
        "detector": det["name"],
        "ckpt_path": str(cfg.ckpt_path),
        **source,
        "num_segments": len(rows),
        "sample_rate": sr,
        "frame_s": hop / sr,
        "event_tolerance_frames": tolerance,
        "model": _levels(rows, model_flags, classes, tolerance, hop, sr),
    }
    truth = np.concatenate([r["frame_labels"] for r in rows])
    scores: dict[str, np.ndarray] = {"model": np.concatenate([r["prob"] for r in rows])}
    dsp_flags: list[np.ndarray] | None = None
    if baseline is not None:
        dsp_flags = [r["dsp_flags"] for r in rows]
        peak: TemporalDSPBaseline = baseline["peak"]
        report["dsp_baseline"] = {
            "name": BASELINE_NAME,
            "noise_db": baseline["noise_db"],
            "min_duration_s": baseline["min_duration_s"],
            "val_bacc": baseline["val_bacc"],
            "val_bacc_by_min_duration_s": baseline["val_bacc_by_min_duration_s"],
            **_levels(rows, dsp_flags, classes, tolerance, hop, sr),
            "peak_level": {
                "name": "frame peak level below the val-tuned threshold (no minimum duration)",
                **peak.to_dict(),
                **_levels(rows, [peak.predict(r["peak_db"]) for r in rows], classes, tolerance, hop, sr),
            },
        }
        scores["dsp_baseline_peak_level"] = -np.concatenate([r["peak_db"] for r in rows])
    elif skipped:
        report["dsp_baseline_skipped"] = skipped
    report["roc_auc"] = frame_aucs(truth, scores)
    if real is None:
        report["clean_fpr_by_content"] = _clean_fpr_by_content(rows, clean, model_flags, dsp_flags)
    else:
        report["per_mechanism"] = per_mechanism(rows, clean, tolerance, model_flags, dsp_flags)
    report["seconds_per_segment"] = seconds
    report["errors"] = clip_errors(rows, model_flags, positive, fields=("content",))

    save_confusions(
        [
            ("model, frames", report["model"], "confusion_matrix.png"),
            ("model, segments", report["model"]["clip_level"], "confusion_matrix_segment.png"),
            ("silencedetect, frames", report.get("dsp_baseline"), "confusion_matrix_baseline.png"),
        ],
        classes,
        out_dir,
    )
    frame_timeline(
        rows,
        model_flags,
        dsp_flags,
        positive,
        out_dir / "timeline.png",
        _panel_title,
        frame_s=hop / sr,
        count=TIMELINE_SEGMENTS,
    )
    write_json(out_dir / "metrics.json", report)
    log.info("wrote %s", out_dir / "metrics.json")
    return report


def _panel_title(r: dict[str, Any]) -> str:
    origin = r["origin"]
    if "split" in origin:
        return f"{origin['split']}#{origin['index']} truth {r['label']} ({r['content']})"
    return f"row {origin['row']} {Path(origin['path']).name} truth {r['label']} ({r['content']})"
