"""Evaluate the lip-sync pipeline on simulated 4-second clips or a labeled folder of real clips.

Each clip runs through the whole pipeline (:class:`vqa_train.avsync.pipeline.SyncPipeline`) with
the checkpoint's sync network. Reported in ``metrics.json``:

- ``model``: the 3-way report (in_sync / out_of_sync / inconclusive) with balanced accuracy;
- ``offset_accuracy``: on clips with a speaking face, the share whose estimated offset is within
  +-1 frame (40 ms at 25 fps) of the truth (a clip without an estimate counts as wrong);
- ``faceless_inconclusive_rate``: on clips without any face, the share answered inconclusive;
- per clip kind (single, multi, cut, silent_face, no_face) the accuracy, and the mean seconds
  of every pipeline stage.

``real_set=DIR`` reads ``DIR/manifest.csv`` with ``path,label,offset_ms`` (labels in_sync |
out_of_sync; ``offset_ms`` > 0 when the audio lags) and decodes each clip on one timeline with
:func:`synth.av.io.load_av_clip`. Plots: the confusion matrix and the distance-vs-offset curves of
a few clips with their true offset marked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hydra
import numpy as np
from omegaconf import DictConfig

from synth.media import MediaError
from vqa_train.avsync.pipeline import FPS, VERDICTS, PipelineConfig, SyncPipeline, torch_scorer
from vqa_train.checkpoint import load_detector
from vqa_train.data.manifest import read_manifest
from vqa_train.metrics import classification_report
from vqa_train.plots import plt, save_confusion
from vqa_train.progress import track
from vqa_train.utils.atomic import save_figure, write_json
from vqa_train.utils.config import to_plain

log = logging.getLogger(__name__)
CURVE_PLOTS = 8


def pipeline_config(det: dict[str, Any], offset_tolerance: Any = None) -> PipelineConfig:
    extra = {"max_offset_frames": int(det.get("max_offset_frames", 15))}
    if offset_tolerance is not None:
        extra["tolerance_ms"] = tuple(float(v) for v in offset_tolerance)
    return PipelineConfig.from_dict(dict(det.get("pipeline") or {}), **extra)


def simulated_clips(synth: Any, split: str, size: int) -> Iterator[dict[str, Any]]:
    for i in range(size):
        clip = synth.clip(split, i)
        t = clip.target
        yield {
            "index": i,
            "frames": clip.frames,
            "audio": clip.audio,
            "label": t.label,
            "offset_ms": float(t.params["offset_ms"]),
            "kind": t.params["kind"],
            "speaking_face": bool(t.stats["speaking_face"]),
        }


def real_clips(root: str, det: dict[str, Any]) -> tuple[int, Iterator[dict[str, Any]]]:
    from synth.av.io import load_av_clip

    manifest, rows = read_manifest(root, ["in_sync", "out_of_sync"], required=("path", "label", "offset_ms"))

    def clips() -> Iterator[dict[str, Any]]:
        for row in rows:
            extra = dict(row.extra)
            try:
                offset = float(extra.get("offset_ms", ""))
            except ValueError:
                raise ValueError(
                    f"{row.where(manifest)}: offset_ms='{extra.get('offset_ms')}' is not a number"
                ) from None
            try:
                clip = load_av_clip(
                    row.path,
                    start_s=row.start_s or 0.0,
                    duration_s=float(det.get("clip_s", 4.0)),
                    fps=FPS,
                    sample_rate=int(det["sample_rate"]),
                )
            except MediaError as exc:
                raise MediaError(f"{manifest}:{row.line}: {exc}") from None
            yield {
                "row": row.line,
                "path": str(row.path),
                "frames": clip.frames,
                "audio": clip.audio,
                "label": row.label,
                "offset_ms": offset,
                "kind": "real",
                "speaking_face": True,
            }

    return len(rows), clips()


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    out_dir = Path(cfg.paths.output_dir)
    net, info = load_detector(cfg.ckpt_path)
    det = info["detector"]
    classes = list(det["classes"])
    if classes != list(VERDICTS):
        raise ValueError(f"checkpoint classes {classes} are not the lip-sync verdicts {list(VERDICTS)}")
    tolerance = cfg.defect.out_of_sync.get("tolerance_ms") if "defect" in cfg else None
    # The pipeline settings of the command line (detector.pipeline.*) win over the checkpoint's.
    det = {
        **det,
        "pipeline": {**dict(det.get("pipeline") or {}), **to_plain(cfg.detector.get("pipeline", {}))},
    }
    pipe = SyncPipeline(torch_scorer(net), pipeline_config(det, tolerance))
    if cfg.get("real_set"):
        total, clips = real_clips(cfg.real_set, det)
        source: dict[str, Any] = {"real_set": str(cfg.real_set)}
    else:
        if "offset" not in cfg.data.get("synth", {}):
            raise ValueError(
                "eval.py detector=av_sync: data has no procedural clips to evaluate on; "
                "give real_set=DIR (a labeled folder: python -m synth.av.realset)"
            )
        synth = hydra.utils.instantiate(cfg.data.synth, _convert_="partial")
        total = int(cfg.data.test_size)
        clips = simulated_clips(synth, "test", total)
        source = {"simulated_split": "test", "seed": int(cfg.data.seed)}

    rows, curves = [], []
    for clip in track(clips, "lip sync: clips", total=total):
        verdict = pipe(clip["frames"], clip["audio"])
        est = verdict.offset_ms
        truth_frames = clip["offset_ms"] / (1000.0 / FPS)
        row = {
            **{k: v for k, v in clip.items() if k not in ("frames", "audio")},
            "predicted": verdict.label,
            "estimated_offset_ms": est,
            "offset_ok": est is not None and abs(est / (1000.0 / FPS) - truth_frames) <= 1.0 + 1e-6,
            "confidence": verdict.confidence,
            "reasons": verdict.reasons,
            "num_tracks": len(verdict.tracks),
            "seconds": verdict.seconds,
        }
        rows.append(row)
        if len(curves) < CURVE_PLOTS and verdict.tracks:
            curves.append((row, [t.curve for t in verdict.tracks]))

    report = summarise(rows, classes)
    report = {"detector": det["name"], "ckpt_path": str(cfg.ckpt_path), **source, **report}
    report["pipeline"] = pipe.config.__dict__ | {"tolerance_ms": list(pipe.config.tolerance_ms)}
    save_confusion(
        np.array(report["model"]["confusion_matrix"]),
        classes,
        out_dir / "confusion_matrix.png",
        title=f"{det['name']}: balanced accuracy {report['model']['balanced_accuracy']:.4f}",
    )
    if curves:
        plot_curves(curves, int(pipe.config.max_offset_frames), out_dir / "offset_curves.png")
    report["clips"] = rows
    write_json(out_dir / "metrics.json", report)
    log.info("wrote %s", out_dir / "metrics.json")
    return report


def summarise(rows: list[dict[str, Any]], classes: list[str]) -> dict[str, Any]:
    labels = [r["label"] for r in rows]
    preds = [r["predicted"] for r in rows]
    speaking = [r for r in rows if r["speaking_face"]]
    faceless = [r for r in rows if r["kind"] == "no_face"]
    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted({r["kind"] for r in rows}):
        sel = [r for r in rows if r["kind"] == kind]
        kinds[kind] = {
            "clips": len(sel),
            "accuracy": float(np.mean([r["predicted"] == r["label"] for r in sel])),
            "inconclusive_rate": float(np.mean([r["predicted"] == "inconclusive" for r in sel])),
        }
    stages = sorted({k for r in rows for k in r["seconds"]})
    return {
        "model": classification_report(labels, preds, classes),
        "offset_accuracy": float(np.mean([r["offset_ok"] for r in speaking])) if speaking else None,
        "offset_clips": len(speaking),
        "faceless_inconclusive_rate": (
            float(np.mean([r["predicted"] == "inconclusive" for r in faceless])) if faceless else None
        ),
        "faceless_clips": len(faceless),
        "per_kind": kinds,
        "seconds_mean": {s: float(np.mean([r["seconds"].get(s, 0.0) for r in rows])) for s in stages},
    }


def plot_curves(curves: list[tuple[dict[str, Any], list[np.ndarray]]], max_offset: int, path: Path) -> None:
    """Distance vs offset of every track of a few clips; the true offset dashed, the estimate dotted."""
    cols = 4
    rows = -(-len(curves) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False)
    ms = np.arange(-max_offset, max_offset + 1) * 1000.0 / FPS
    for ax, (row, tracks) in zip(axes.ravel(), curves):
        for k, curve in enumerate(tracks):
            if curve is not None:
                ax.plot(ms, curve, lw=1.2, label=f"track {k}")
        ax.axvline(row["offset_ms"], color="k", ls="--", lw=1)
        if row["estimated_offset_ms"] is not None:
            ax.axvline(row["estimated_offset_ms"], color="r", ls=":", lw=1.2)
        ok = "ok" if row["predicted"] == row["label"] else "WRONG"
        ax.set_title(f"{row['kind']}: {row['label']} -> {row['predicted']} ({ok})", fontsize=8)
        ax.set_xlabel("offset (ms, > 0 audio late)", fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(curves) :]:
        ax.axis("off")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
