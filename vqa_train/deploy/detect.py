"""Run every exported detector over one media file; write a JSON timeline and a PNG plot."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from omegaconf import DictConfig

from synth.media import probe
from vqa_train import __version__
from vqa_train.deploy.export import read_sidecar
from vqa_train.deploy.runners import RUNNERS
from vqa_train.utils.atomic import save_figure, write_json

log = logging.getLogger(__name__)


def find_exports(export_dir: Path) -> list[dict[str, Any]]:
    """Every sidecar in ``export_dir`` whose kind has a runner and whose ONNX file exists."""
    if not export_dir.is_dir():
        raise FileNotFoundError(f"export_dir: {export_dir} does not exist; run export.py first")
    found = []
    for sidecar in sorted(export_dir.glob("*.json")):
        meta = read_sidecar(sidecar)
        onnx = export_dir / meta["onnx"]
        if meta["kind"] not in RUNNERS:
            log.warning("skipping %s: no runner for kind '%s'", sidecar.name, meta["kind"])
            continue
        if not onnx.is_file():
            log.warning("skipping %s: %s is missing", sidecar.name, onnx.name)
            continue
        missing = [f for f in dict(meta.get("onnx_parts") or {}).values() if not (export_dir / f).is_file()]
        if missing:
            log.warning("skipping %s: %s missing", sidecar.name, ", ".join(missing))
            continue
        found.append({**meta, "_onnx_path": onnx, "_export_dir": export_dir})
    if not found:
        raise FileNotFoundError(f"export_dir: no exported detector in {export_dir}; run export.py first")
    return found


def detect(cfg: DictConfig) -> dict[str, Any]:
    import onnxruntime as ort

    path = Path(cfg.input)
    info = probe(path)
    timeline: dict[str, Any] = {
        "input": str(path),
        "duration_s": info.duration_s,
        "version": __version__,
        "detectors": {},
    }
    for meta in find_exports(Path(cfg.export_dir)):
        if meta["kind"].startswith("audio") and not info.has_audio:
            timeline["detectors"][meta["detector"]] = {"kind": meta["kind"], "skipped": "no audio stream"}
            continue
        if meta["kind"] in ("frame_map_classifier", "temporal_segmenter") and not info.has_video:
            timeline["detectors"][meta["detector"]] = {"kind": meta["kind"], "skipped": "no video stream"}
            continue
        if meta["kind"] == "av_sync_pipeline" and not (info.has_video and info.has_audio):
            missing = "video" if not info.has_video else "audio"
            timeline["detectors"][meta["detector"]] = {
                "kind": meta["kind"],
                "skipped": f"no {missing} stream (lip sync needs both)",
            }
            continue
        session = ort.InferenceSession(str(meta["_onnx_path"]), providers=["CPUExecutionProvider"])
        result = RUNNERS[meta["kind"]](
            meta,
            session,
            path,
            float(cfg.min_score),
            int(cfg.batch_size),
            frame_rate=float(cfg.frame_rate),
            max_side=cfg.get("max_side"),
        )
        timeline["detectors"][meta["detector"]] = result
        log.info("%s: %d event(s)", meta["detector"], len(result["events"]))
    write_json(cfg.output_json, timeline)
    plot_timeline(timeline, Path(cfg.output_png))
    return timeline


def plot_timeline(timeline: dict[str, Any], path: Path) -> None:
    """One panel per detector: class probabilities over time, detected events shaded."""
    dets = [(n, d) for n, d in timeline["detectors"].items() if "scores" in d]
    fig, axes = plt.subplots(max(1, len(dets)), 1, figsize=(12, 2.6 * max(1, len(dets))), squeeze=False)
    for ax, (name, d) in zip(axes[:, 0], dets):
        if "windows" in d and d["kind"] == "av_sync_pipeline":
            _plot_sync_windows(ax, name, d)
            continue
        scores = np.asarray(d["scores"])
        t = np.asarray(d["times_s"]) if "times_s" in d else np.arange(len(scores)) * d["unit_s"]
        colors = plt.cm.tab10.colors
        for j, cls in enumerate(d["classes"]):
            if len(scores):
                ax.step(t, scores[:, j], where="post", label=cls, color=colors[j % 10], lw=1)
        for ev in d["events"]:
            j = d["classes"].index(ev["label"])
            ax.axvspan(ev["start_s"], ev["end_s"], color=colors[j % 10], alpha=0.2)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("probability")
        ax.set_title(f"{name}: {len(d['events'])} event(s)")
        ax.legend(loc="upper right", fontsize=7, ncol=len(d["classes"]))
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(Path(timeline["input"]).name)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    plt.close(fig)


SYNC_COLOURS = {"in_sync": "tab:green", "out_of_sync": "tab:red", "inconclusive": "tab:grey"}


def _plot_sync_windows(ax: Any, name: str, d: dict[str, Any]) -> None:
    """Lip sync: each window's estimated offset as a bar coloured by its verdict, the tolerance shaded."""
    lead, lag = d.get("tolerance_ms", (40.0, 60.0))
    ax.axhspan(-lead, lag, color="tab:green", alpha=0.12, label="in-sync tolerance")
    for w in d["windows"]:
        colour = SYNC_COLOURS.get(w["label"], "k")
        y = 0.0 if w["offset_ms"] is None else w["offset_ms"]
        ax.hlines(y, w["start_s"], w["end_s"], colors=colour, lw=3)
        ax.text(
            (w["start_s"] + w["end_s"]) / 2, y, w["label"], color=colour, fontsize=7, ha="center", va="bottom"
        )
    ax.axhline(0, color="grey", lw=0.5, ls=":")
    ax.set_ylabel("offset (ms, > 0 audio late)")
    ax.set_title(f"{name}: {len(d['events'])} out-of-sync event(s)")
    ax.legend(loc="upper right", fontsize=7)
