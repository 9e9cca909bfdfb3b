"""Evaluate an audio segment classifier on the simulated test split or a labeled real folder.

Writes ``metrics.json`` (model and DSP baseline side by side) and confusion-matrix PNGs to the run
directory. A labeled file longer than one segment is scored per segment; its label applies to
every segment of its span.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from omegaconf import DictConfig

from synth.media import MediaError, load_audio
from vqa_train.checkpoint import load_detector
from vqa_train.data.manifest import read_manifest
from vqa_train.data.segments import cut_segments
from vqa_train.metrics import classification_report
from vqa_train.plots import save_confusion
from vqa_train.progress import track
from vqa_train.utils.atomic import write_json

log = logging.getLogger(__name__)


@torch.inference_mode()
def predict_probs(
    net: torch.nn.Module, segments: np.ndarray, batch_size: int, desc: str = "scoring"
) -> np.ndarray:
    """Class probabilities ``(n, classes)`` for ``(n, samples)`` float32 segments."""
    out = []
    starts = range(0, len(segments), batch_size)
    for i in track(starts, desc, total=len(starts)):
        out.append(net(torch.from_numpy(segments[i : i + batch_size])).softmax(dim=1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def simulated_split(dm: Any, split: str, size: int | None = None) -> tuple[np.ndarray, list[str]]:
    """Materialise ``size`` samples of a simulated split (default: the split's configured size)."""
    n = size if size is not None else dm.sizes[split]
    segs, labels = [], []
    for i in track(range(n), f"synthesising {split}", total=n):
        audio, target = dm.synth.sample(split, i)
        segs.append(audio[0])
        labels.append(target.label)
    return np.stack(segs).astype(np.float32), labels


def real_segments(
    root: str, classes: list[str], sample_rate: int, segment_s: float
) -> tuple[np.ndarray, list[str], list[dict[str, Any]]]:
    """Segments, labels and a per-segment origin (file, row, start time) from a labeled folder."""
    manifest, rows = read_manifest(root, classes)
    seg_len = int(round(segment_s * sample_rate))
    segs, labels, origin = [], [], []
    for row in track(rows, "decoding real set", total=len(rows)):
        try:
            audio = load_audio(row.path, sample_rate, start_s=row.start_s, end_s=row.end_s)
        except MediaError as exc:
            raise MediaError(f"{manifest}:{row.line}: {exc}") from None
        cut = cut_segments(audio, seg_len)
        if len(cut) == 0:
            raise ValueError(f"{manifest}:{row.line}: {row.path.name} has no audio in the given span")
        for j, seg in enumerate(cut):
            segs.append(seg)
            labels.append(row.label)
            origin.append(
                {"row": row.line, "path": str(row.path), "start_s": (row.start_s or 0.0) + j * segment_s}
            )
    return np.stack(segs), labels, origin


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    out_dir = Path(cfg.paths.output_dir)
    net, info = load_detector(cfg.ckpt_path)
    det = info["detector"]
    classes, sr, seg_s = list(det["classes"]), int(det["sample_rate"]), float(det["segment_s"])
    if list(cfg.detector.classes) != classes:
        raise ValueError(
            f"checkpoint classes {classes} differ from detector.classes {list(cfg.detector.classes)}"
        )

    # The simulated splits: the test split is scored unless real_set is given; the val split
    # tunes the DSP baseline's thresholds either way.
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    if cfg.get("real_set"):
        segments, labels, origin = real_segments(cfg.real_set, classes, sr, seg_s)
        source = {"real_set": str(cfg.real_set)}
    else:
        segments, labels = simulated_split(dm, "test")
        origin = [{"index": i} for i in range(len(labels))]
        source = {"simulated_split": "test", "seed": int(cfg.data.seed)}

    probs = predict_probs(net, segments, int(cfg.batch_size))
    preds = [classes[i] for i in probs.argmax(axis=1)]
    report: dict[str, Any] = {
        "detector": det["name"],
        "ckpt_path": str(cfg.ckpt_path),
        **source,
        "model": classification_report(labels, preds, classes),
    }
    save_confusion(
        np.array(report["model"]["confusion_matrix"]),
        classes,
        out_dir / "confusion_matrix.png",
        title=f"{det['name']}: balanced accuracy {report['model']['balanced_accuracy']:.4f}",
    )

    if cfg.get("baseline"):
        report["dsp_baseline"] = _baseline(dm, segments, labels, classes, sr, out_dir)

    errors = [
        {**origin[i], "label": labels[i], "predicted": preds[i], "score": float(probs[i].max())}
        for i in range(len(labels))
        if preds[i] != labels[i]
    ]
    report["errors"] = errors[:200]
    write_json(out_dir / "metrics.json", report)
    log.info("wrote %s", out_dir / "metrics.json")
    return report


def _baseline(
    dm: Any, segments: np.ndarray, labels: list[str], classes: list[str], sr: int, out_dir: Path
) -> dict[str, Any]:
    """FFmpeg astats + spectral rules, thresholds tuned on the simulated val split."""
    from vqa_train.baselines.audio_dsp import AudioDSPBaseline

    base = AudioDSPBaseline()
    val_segs, val_labels = simulated_split(dm, "val")
    base.fit(base.features(track(val_segs, "baseline features (val)", total=len(val_segs)), sr), val_labels)
    preds = base.predict(base.features(track(segments, "baseline features", total=len(segments)), sr))
    rep = classification_report(labels, preds, classes)
    rep["thresholds"] = base.to_dict()
    save_confusion(
        np.array(rep["confusion_matrix"]),
        classes,
        out_dir / "confusion_matrix_dsp_baseline.png",
        title=f"DSP baseline: balanced accuracy {rep['balanced_accuracy']:.4f}",
    )
    return rep
