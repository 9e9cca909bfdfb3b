"""Evaluate a block-corruption detector on the simulated test split or a labeled folder of frames.

One report holds, on the same frames:

- both decisions: ``learned`` (frame head > 0.5) and ``area_ratio`` (binarised map area above a
  threshold chosen on the simulated val split; the reference's fixed 0.07 is reported too), and
  ``learned_capped``: the frame head with its threshold chosen on val as the best balanced accuracy
  that flags at most ``detector.max_hard_negative_fpr`` (default 2 %) of the clean val frames that
  carry a hard negative or crowd content;
- map IoU against the ground-truth masks pooled to map cells (where masks exist);
- FFmpeg's ``blockdetect`` with its threshold chosen on the same val split;
- on simulated data, the false-positive rate on the clean hard negatives, by kind.

``report["model"]`` is the decision the checkpoint was trained to follow (``model.decision``). An
overlay PNG (frame, map heat-map, decision) for a sample of frames goes to the run directory.
``device=auto`` (or ``cuda``) runs the network on a GPU when there is one; the default is the CPU.
A real set is ``DIR/manifest.csv`` with ``path,label[,mask_path]``, labels clean|corrupted, where
``path`` is an image (png/jpg) and ``mask_path`` a same-size image, non-zero where corrupted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hydra
import matplotlib.pyplot as plt
import numpy as np
import torch
from omegaconf import DictConfig

from synth.media import MediaError, read_image
from vqa_train.checkpoint import load_detector
from vqa_train.data.manifest import read_manifest
from vqa_train.evaluation.common import eval_device, hard_negative_groups, sample_tags
from vqa_train.metrics import best_threshold, classification_report
from vqa_train.modules.block_corruption import area_ratio, cell_targets
from vqa_train.plots import save_confusion
from vqa_train.progress import track
from vqa_train.utils.atomic import save_figure, write_json

HARD_CONTENT = ("crowd",)  # content kinds counted with the hard negatives by the capped decision
log = logging.getLogger(__name__)

OVERLAY_FRAMES = 12


def simulated_frames(dm: Any, split: str, size: int | None = None) -> Iterator[dict[str, Any]]:
    n = size if size is not None else dm.sizes[split]
    for i in range(n):
        frame, mask, target = dm.synth.sample(split, i)
        yield {
            "frame": frame,
            "mask": mask,
            "label": target.label,
            "origin": {"split": split, "index": i},
            **sample_tags(target),
        }


def _read_frame(manifest: Path, row: Any, column: str, path: Path) -> np.ndarray:
    try:
        return read_image(path)
    except MediaError as exc:
        raise MediaError(f"{manifest}:{row.line}: {column}: {exc}") from None


def real_frames(root: str, classes: list[str]) -> tuple[int, Iterator[dict[str, Any]]]:
    """Frames of a labeled folder, checked row by row (paths and labels up front)."""
    manifest, rows = read_manifest(root, classes)
    for row in rows:
        mask_rel = dict(row.extra).get("mask_path", "")
        if mask_rel:
            mask_path = Path(mask_rel) if Path(mask_rel).is_absolute() else Path(root) / mask_rel
            if not mask_path.is_file():
                raise FileNotFoundError(f"{manifest}:{row.line}: mask_path not found: {mask_path}")

    def frames() -> Iterator[dict[str, Any]]:
        for row in rows:
            frame = _read_frame(manifest, row, "path", row.path)
            extra = dict(row.extra)
            mask = None
            if extra.get("mask_path"):
                mp = Path(extra["mask_path"])
                mp = mp if mp.is_absolute() else Path(root) / mp
                m = _read_frame(manifest, row, "mask_path", mp)
                if m.shape[:2] != frame.shape[:2]:
                    raise ValueError(
                        f"{manifest}:{row.line}: mask {m.shape[1]}x{m.shape[0]} differs from frame "
                        f"{frame.shape[1]}x{frame.shape[0]}"
                    )
                mask = (m.max(axis=2) > 0).astype(np.float32)
            elif row.label == classes[0]:
                mask = np.zeros(frame.shape[:2], np.float32)
            yield {
                "frame": frame,
                "mask": mask,
                "label": row.label,
                "origin": {"row": row.line, "path": str(row.path)},
                "negatives": [],
                "content": extra.get("clip", ""),
            }

    return len(rows), frames()


class _Scorer:
    """Runs the network on frames of any size (batched while the size stays the same)."""

    def __init__(
        self,
        net: torch.nn.Module,
        batch_size: int,
        cell_target: str,
        cell_threshold: float,
        device: torch.device | None = None,
    ) -> None:
        self.device = device or torch.device("cpu")
        self.net, self.batch_size = net.to(self.device), batch_size
        self.cell_target, self.cell_threshold = cell_target, cell_threshold
        self.rows: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []
        self.seconds = 0.0

    def add(self, item: dict[str, Any]) -> None:
        if self._pending and self._pending[0]["frame"].shape != item["frame"].shape:
            self.flush()
        self._pending.append(item)
        if len(self._pending) == self.batch_size:
            self.flush()

    @torch.inference_mode()
    def flush(self) -> None:
        if not self._pending:
            return
        batch = np.stack([it["frame"] for it in self._pending]).transpose(0, 3, 1, 2)
        t0 = time.perf_counter()
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device).float() / 255.0
        map_logits, frame_logits = (t.float().cpu() for t in self.net(x))
        self.seconds += time.perf_counter() - t0
        probs = torch.sigmoid(map_logits)
        areas = area_ratio(probs).numpy()
        frame_probs = torch.sigmoid(frame_logits).numpy()
        for j, it in enumerate(self._pending):
            row = {k: it[k] for k in ("label", "origin", "negatives", "content")}
            row.update({"frame_prob": float(frame_probs[j]), "area": float(areas[j])})
            if it["mask"] is not None:
                target = (
                    cell_targets(
                        torch.from_numpy(it["mask"])[None],
                        tuple(probs.shape[-2:]),
                        self.cell_target,
                        self.cell_threshold,
                    )[0, 0]
                    >= 0.5
                )
                pred = probs[j, 0] > 0.5
                row["inter"], row["union"] = int((pred & target).sum()), int((pred | target).sum())
            self.rows.append(row)
        self._pending = []


def _score(
    net: torch.nn.Module,
    items: Iterator[dict[str, Any]],
    total: int,
    desc: str,
    model_cfg: dict,
    batch_size: int,
    device: torch.device | None = None,
    baseline: bool = True,
) -> tuple[list[dict[str, Any]], np.ndarray, float, float]:
    """Network outputs and blockdetect scores for every frame (no blockdetect with ``baseline``
    False: an empty array); also the seconds each spent."""
    from vqa_train.baselines.blockdetect import blockdetect_scores

    scorer = _Scorer(
        net,
        batch_size,
        model_cfg.get("cell_target", "binary"),
        float(model_cfg.get("cell_threshold", 0.1)),
        device,
    )
    bd_scores, bd_seconds = [], 0.0
    for item in track(items, desc, total=total):
        scorer.add(item)
        if not baseline:
            continue
        t0 = time.perf_counter()
        bd_scores.append(float(blockdetect_scores([item["frame"]])[0]))
        bd_seconds += time.perf_counter() - t0
    scorer.flush()
    return scorer.rows, np.asarray(bd_scores), scorer.seconds, bd_seconds


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    from vqa_train.baselines.blockdetect import BlockDetectBaseline

    out_dir = Path(cfg.paths.output_dir)
    net, info = load_detector(cfg.ckpt_path)
    det, model_cfg = info["detector"], info["model"]
    classes = list(det["classes"])
    if list(cfg.detector.classes) != classes:
        raise ValueError(
            f"checkpoint classes {classes} differ from detector.classes {list(cfg.detector.classes)}"
        )
    clean, corrupted = classes
    batch_size = int(cfg.batch_size)
    device = eval_device(cfg.get("device", "cpu"))

    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    val_n = int(cfg.get("val_size") or dm.sizes["val"])
    val_rows, val_bd, _, _ = _score(
        net, simulated_frames(dm, "val", val_n), val_n, "scoring val", model_cfg, batch_size, device
    )
    y_val = np.array([r["label"] == corrupted for r in val_rows], dtype=int)
    area_thr, _ = best_threshold(np.array([r["area"] for r in val_rows]), y_val)
    capped = capped_operating_point(
        val_rows, clean, corrupted, cfg.detector.get("max_hard_negative_fpr", 0.02)
    )
    capped_thr = capped["threshold"]
    baseline = BlockDetectBaseline().fit(val_bd, y_val)

    if cfg.get("real_set"):
        total, items = real_frames(cfg.real_set, classes)
        source: dict[str, Any] = {"real_set": str(cfg.real_set)}
    else:
        total = dm.sizes["test"]
        items = simulated_frames(dm, "test")
        source = {"simulated_split": "test", "seed": int(cfg.data.seed)}
    rows, bd, net_s, bd_s = _score(net, items, total, "scoring frames", model_cfg, batch_size, device)
    labels = [r["label"] for r in rows]
    prob = np.array([r["frame_prob"] for r in rows])
    area = np.array([r["area"] for r in rows])

    def named(pred: np.ndarray) -> list[str]:
        return [corrupted if p else clean for p in pred]

    fixed_thr = float(model_cfg.get("area_threshold", 0.07))
    decisions = {
        "learned": classification_report(labels, named(prob > 0.5), classes),
        "area_ratio": {
            **classification_report(labels, named(area > area_thr), classes),
            "area_threshold": area_thr,
        },
        "area_ratio_fixed": {
            **classification_report(labels, named(area > fixed_thr), classes),
            "area_threshold": fixed_thr,
        },
        "learned_capped": {**classification_report(labels, named(prob > capped_thr), classes), **capped},
    }
    chosen = model_cfg.get("decision", "learned")
    with_mask = [r for r in rows if "inter" in r]
    report: dict[str, Any] = {
        "detector": det["name"],
        "ckpt_path": str(cfg.ckpt_path),
        **source,
        "decision": chosen,
        "model": decisions[chosen],
        "decisions": decisions,
        "map_iou": (
            float(sum(r["inter"] for r in with_mask) / max(sum(r["union"] for r in with_mask), 1))
            if with_mask
            else None
        ),
        "map_iou_frames": len(with_mask),
        "dsp_baseline": {
            "name": "ffmpeg blockdetect",
            **classification_report(labels, named(baseline.predict(bd).astype(bool)), classes),
            **baseline.to_dict(),
        },
        "seconds_per_frame": {
            "model_eager": net_s / max(len(rows), 1),
            "blockdetect": bd_s / max(len(rows), 1),
        },
        "val_frames": len(val_rows),
        "device": str(device),
    }
    report["roc_auc"] = _aucs(labels, corrupted, {"learned": prob, "area_ratio": area, "blockdetect": bd})
    report["hard_negatives"] = _hard_negative_fpr(
        rows,
        {"learned": prob > 0.5, "learned_capped": prob > capped_thr, "area_ratio": area > area_thr},
        clean,
    )
    for name, rep in (("model", report["model"]), ("dsp_baseline", report["dsp_baseline"])):
        save_confusion(
            np.array(rep["confusion_matrix"]),
            classes,
            out_dir / ("confusion_matrix.png" if name == "model" else "confusion_matrix_blockdetect.png"),
            title=f"{name}: balanced accuracy {rep['balanced_accuracy']:.4f}",
        )
    pred_chosen = prob > 0.5 if chosen == "learned" else area > area_thr
    report["errors"] = [
        {**r["origin"], "label": r["label"], "frame_prob": r["frame_prob"], "area": r["area"]}
        for r, p in zip(rows, pred_chosen)
        if bool(p) != (r["label"] == corrupted)
    ][:200]
    # Every frame's scores, for ROC curves and error analysis beyond the report.
    report["frames"] = [
        {
            **r["origin"],
            "label": r["label"],
            "frame_prob": round(r["frame_prob"], 5),
            "area": round(r["area"], 5),
            "blockdetect": round(float(b), 5),
        }
        for r, b in zip(rows, bd)
    ]
    _overlays(net, dm, cfg, rows, pred_chosen, corrupted, out_dir / "overlays.png")
    write_json(out_dir / "metrics.json", report)
    log.info("wrote %s", out_dir / "metrics.json")
    return report


def capped_operating_point(
    val_rows: list[dict[str, Any]], clean: str, corrupted: str, max_fpr: float
) -> dict[str, Any]:
    """The learned decision's threshold moved, on scored val frames, until at most ``max_fpr`` of
    the clean frames that carry a hard negative or crowd content are flagged (target: <= 2 %); the
    best val balanced accuracy among such thresholds."""
    cap = float(max_fpr)
    if not 0.0 <= cap < 1.0:
        raise ValueError(f"detector.max_hard_negative_fpr must be in [0, 1), got {max_fpr}")
    y_val = np.array([r["label"] == corrupted for r in val_rows], dtype=int)
    hard = np.array(
        [r["label"] == clean and (bool(r["negatives"]) or r["content"] in HARD_CONTENT) for r in val_rows]
    )
    prob = np.array([r["frame_prob"] for r in val_rows])
    threshold, _ = best_threshold(prob, y_val, max_fpr=cap, fpr_mask=hard)
    return {
        "threshold": float(threshold),
        "max_hard_negative_fpr": cap,
        "val_hard_negative_fpr": float((prob[hard] > threshold).mean()) if hard.any() else None,
        "chosen_on": f"simulated val split ({len(val_rows)} frames, {int(hard.sum())} hard negatives)",
    }


def val_capped_operating_point(net: torch.nn.Module, info: dict[str, Any], cfg: DictConfig) -> dict[str, Any]:
    """:func:`capped_operating_point` on the simulated val split of ``cfg.data`` (what export.py records)."""
    clean, corrupted = list(info["detector"]["classes"])
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    n = dm.sizes["val"]
    rows, _, _, _ = _score(
        net, simulated_frames(dm, "val", n), n, "scoring val", info["model"], 64, baseline=False
    )
    return capped_operating_point(rows, clean, corrupted, cfg.detector.get("max_hard_negative_fpr", 0.02))


def _aucs(labels: list[str], positive: str, scores: dict[str, np.ndarray]) -> dict[str, float] | None:
    """Threshold-free separation of each score (ROC AUC); None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y = np.array([lab == positive for lab in labels], dtype=int)
    if y.min() == y.max():
        return None
    return {k: float(roc_auc_score(y, np.nan_to_num(v))) for k, v in scores.items()}


def _hard_negative_fpr(rows: list[dict], flags: dict[str, np.ndarray], clean: str) -> dict[str, Any]:
    """False-positive rates of each decision's ``flags`` on clean frames carrying each hard negative
    (and each content kind): ``fpr_<decision>``."""
    groups = hard_negative_groups(rows, clean)
    return {
        k: {"frames": len(idx), **{f"fpr_{name}": float(f[idx].mean()) for name, f in flags.items()}}
        for k, idx in groups.items()
    }


def _overlays(
    net: torch.nn.Module,
    dm: Any,
    cfg: DictConfig,
    rows: list[dict],
    pred: np.ndarray,
    corrupted: str,
    path: Path,
) -> None:
    """Frame | map heat-map over the frame, for the first errors plus frames of each class."""
    wrong = [i for i, r in enumerate(rows) if bool(pred[i]) != (r["label"] == corrupted)]
    pos = [i for i, r in enumerate(rows) if r["label"] == corrupted and i not in wrong]
    neg = [i for i, r in enumerate(rows) if r["label"] != corrupted and i not in wrong]
    third = OVERLAY_FRAMES // 3

    def spread(items: list[int]) -> list[int]:  # evenly over the set, not the first clip only
        if len(items) <= third:
            return items
        return [items[int(i)] for i in np.linspace(0, len(items) - 1, third)]

    chosen = sorted(spread(wrong) + spread(pos) + spread(neg))
    if not chosen:
        return
    fig, axes = plt.subplots(len(chosen), 2, figsize=(8, 2.6 * len(chosen)), squeeze=False)
    for ax_row, i in zip(axes, chosen):
        origin = rows[i]["origin"]
        if "index" in origin:
            frame, _, _ = dm.synth.sample(origin["split"], origin["index"])
        else:
            frame = read_image(origin["path"])
        with torch.inference_mode():
            map_logits, _ = net(torch.from_numpy(frame.transpose(2, 0, 1).copy())[None].float() / 255.0)
        probs = torch.sigmoid(map_logits)[0, 0].numpy()
        h, w = frame.shape[:2]
        ax_row[0].imshow(frame)
        ax_row[0].set_title(f"truth: {rows[i]['label']}", fontsize=9)
        ax_row[1].imshow(frame)
        ax_row[1].imshow(
            probs, cmap="inferno", alpha=0.55, vmin=0, vmax=1, extent=(0, w, h, 0), interpolation="nearest"
        )
        verdict = corrupted if pred[i] else "clean"
        ax_row[1].set_title(
            f"says {verdict}: p={rows[i]['frame_prob']:.2f}, area={rows[i]['area']:.2f}",
            fontsize=9,
            color="black" if verdict == rows[i]["label"] else "red",
        )
        for ax in ax_row:
            ax.axis("off")
    fig.tight_layout()
    save_figure(fig, path, dpi=80)
    plt.close(fig)
