"""Evaluate a temporal-defect segmenter (black frames, freeze, stutter, tearing) on simulated or real clips.

One report holds, on the same clips (the test split of the simulated data, or a labelled folder):

- ``model``: frame-level classification report (a frame flagged when its probability exceeds the
  ``threshold``: 0.5, or with ``detector.max_hard_negative_fpr`` the ``operating_point`` chosen on
  the first ``detector.operating_point_clips`` clips of the simulated val split (default: the val
  split's size) by :func:`choose_threshold`, ``model_at_0.5`` then repeating the report at 0.5), with
  ``clip_level`` (a clip flagged when any frame is) and ``events`` (runs of flagged frames against
  the true spans, :func:`vqa_train.metrics.event_scores` with ``event_tolerance_frames``);
- ``dsp_baseline``: the FFmpeg-derived score that matches the defect, thresholded on the simulated
  val split (:class:`vqa_train.baselines.temporal_dsp.TemporalDSPBaseline`), the same three levels,
  plus ``ffmpeg_flags``, the filter's own decision at its default settings where it has one;
- ``hard_negatives``: false-positive rates of both on clean clips carrying each temporal negative;
- ``roc_auc`` of both per frame.

``real_set=DIR`` scores the clips of ``DIR/manifest.csv`` instead (``path,label,spans[,mechanism]``,
as :mod:`synth.video.temporal_realset` writes it: ``spans`` end-exclusive frames ``start-end;...``
at the detector's fps, empty for a clean clip). Each clip is decoded whole at the detector's fps by
timestamp (:func:`synth.media.iter_video_frames`), resized to its height x width (INTER_AREA, as
``detect.py`` does) and scored as ``detect.py`` scores a stream: in windows of the detector's
``num_frames`` overlapping by 4, the preset's decision rules per window; frame labels come from the
spans, cut to the decoded length. The baseline's threshold is still chosen on the
simulated val split. ``hard_negatives`` is replaced by ``per_mechanism``: false-positive rates on the
clean clips and recall on the defective ones of each ``mechanism``. Every problem with a row names
``manifest.csv:<line>``.

PNGs: the frame-level confusion matrices and a timeline of a few clips (probability vs truth).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import hydra
import numpy as np
import torch
from omegaconf import DictConfig

from synth.media import MediaError, iter_video_frames
from vqa_train.baselines import temporal_dsp
from vqa_train.checkpoint import load_detector
from vqa_train.data.manifest import parse_spans, read_manifest
from vqa_train.deploy.runners import TEMPORAL_OVERLAP, DecisionRules, mean_motion, score_in_windows
from vqa_train.evaluation.common import (
    clip_errors,
    frame_aucs,
    frame_levels,
    frame_timeline,
    hard_negative_groups,
    per_mechanism,
    sample_tags,
)
from vqa_train.metrics import balanced_accuracy, best_threshold
from vqa_train.plots import save_confusions
from vqa_train.progress import track
from vqa_train.utils.atomic import write_json

log = logging.getLogger(__name__)

TIMELINE_CLIPS = 8
ROW_KEYS = ("frame_labels", "label", "origin", "negatives", "content", "mechanism")
REAL_SET_KIND = "temporal_real_set"  # meta.json of synth.video.temporal_realset (records the set's fps)
Scorer = Callable[[np.ndarray, float], tuple[np.ndarray, np.ndarray | None]]


def _blackdetect(clip: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray | None]:
    out = temporal_dsp.blackdetect_frames(clip, fps)
    return out["scores"], out["flags"]


def _freezedetect(clip: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray | None]:
    out = temporal_dsp.freezedetect_frames(clip, fps)
    return out["frame_diff"], out["flags"]


def _irregularity(clip: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray | None]:
    """``|log((d_t + 0.5) / (median d + 0.5))|``: repeats (d = 0) and jumps both stand out from the clip's pace."""
    diff = temporal_dsp.frame_differences(clip)
    pace = np.nanmedian(diff) if np.isfinite(diff).any() else 0.0
    return np.abs(np.log((diff + 0.5) / (pace + 0.5))), None


def _scdet(clip: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray | None]:
    out = temporal_dsp.scdet_frames(clip, fps)
    return out["scores"], out["flags"]


# defect label -> (report name, TemporalDSPBaseline score kind (its direction), per-frame scorer)
BASELINES: dict[str, tuple[str, str, Scorer]] = {
    "black": ("ffmpeg blackdetect (share of black luma pixels)", "black", _blackdetect),
    "freeze": ("ffmpeg freezedetect frame difference (low = held)", "freeze", _freezedetect),
    "stutter": ("frame-difference irregularity |log(d_t / median d)|", "frame_jump", _irregularity),
    "tearing": ("ffmpeg scdet score", "scene_change", _scdet),
}


def simulated_clips(dm: Any, split: str, size: int) -> Iterator[dict[str, Any]]:
    for i in range(size):
        clip, frame_labels, target = dm.synth.sample(split, i)
        yield {
            "clip": clip,
            "frame_labels": frame_labels,
            "label": target.label,
            "origin": {"split": split, "index": i},
            **sample_tags(target),
        }


def real_clips(
    root: str, classes: list[str], fps: float, height: int, width: int
) -> tuple[int, Iterator[dict[str, Any]]]:
    """The clips of a labelled folder: rows, labels and spans checked now, clips decoded lazily."""
    manifest, rows = read_manifest(root, classes, required=("path", "label"))
    clean, positive = classes
    _check_set_fps(Path(root), fps)
    checked = []
    for row in rows:
        where = f"{manifest}:{row.line}"
        if row.start_s is not None or row.end_s is not None:
            raise ValueError(f"{where}: start_s/end_s are not supported for temporal clips; cut the clip")
        extra = dict(row.extra)
        spans = parse_spans(extra.get("spans", ""), where, "spans", seconds=False)
        if row.label == positive and not spans:
            raise ValueError(
                f"{where}: a '{positive}' clip needs spans (start-end;... frames at {fps:g} fps)"
            )
        if row.label == clean and spans:
            raise ValueError(f"{where}: a '{clean}' clip has no spans, got spans='{extra['spans']}'")
        checked.append((row, spans, extra.get("mechanism") or "unspecified"))

    def clips() -> Iterator[dict[str, Any]]:
        for row, spans, mechanism in checked:
            try:
                frames = [
                    cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
                    for _, frame in iter_video_frames(row.path, fps=fps)
                ]
            except MediaError as exc:
                raise MediaError(f"{manifest}:{row.line}: {exc}") from None
            clip = np.ascontiguousarray(np.stack(frames))
            frame_labels = np.zeros(len(clip), dtype=np.uint8)
            for start, end in spans:
                frame_labels[start:end] = 1  # spans past the decoded end are cut
            if spans and not frame_labels.any():
                log.warning(
                    "%s:%d: every span lies past the %d decoded frames", manifest, row.line, len(clip)
                )
            yield {
                "clip": clip,
                "frame_labels": frame_labels,
                "label": row.label,
                "origin": {"row": row.line, "path": str(row.path)},
                "negatives": [],
                "content": "",
                "mechanism": mechanism,
            }

    return len(checked), clips()


def _check_set_fps(root: Path, fps: float) -> None:
    """A set built by synth.video.temporal_realset records its fps: spans are frames at that rate."""
    try:
        meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        built = float(meta["arguments"]["fps"]) if meta.get("kind") == REAL_SET_KIND else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return
    if built is not None and abs(built - fps) > 1e-6:
        raise ValueError(
            f"real_set: {root} was built at {built:g} fps (its spans are frames at that rate), the detector "
            f"runs at {fps:g} fps; rebuild it with --fps {fps:g}"
        )


@torch.inference_mode()
def _model_probs(net: torch.nn.Module, clips: list[np.ndarray]) -> np.ndarray:
    batch = np.stack(clips).transpose(0, 1, 4, 2, 3)  # (B, T, 3, H, W)
    return torch.sigmoid(net(torch.from_numpy(np.ascontiguousarray(batch)).float() / 255.0)).numpy()


def _score(
    net: torch.nn.Module | None,
    scorer: Scorer | None,
    items: Iterator[dict[str, Any]],
    total: int,
    fps: float,
    batch_size: int,
    desc: str,
    rules: DecisionRules | None = None,
    window: int | None = None,
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Per clip: truth, model probabilities (when ``net``), baseline scores/flags (when ``scorer``).

    The :class:`~vqa_train.deploy.runners.DecisionRules` apply to a whole clip as one window: with
    ``cadence_veto`` a clip whose repeated frames keep a regular beat through it (pulldown, frame
    doubling) gets probability 0 in every frame (``row["cadence"]``: the period found, 0 for none);
    with ``min_motion_levels`` so does a clip that moves too little (``row["too_still"]``; every
    clip's :func:`~vqa_train.deploy.runners.mean_motion` is ``row["motion"]``); the still-window rule
    needs a window before it and does nothing here. With ``window`` each clip is
    scored as ``detect.py`` scores a stream: in windows of that many frames
    (:func:`~vqa_train.deploy.runners.score_in_windows`), every rule applied per window.
    """
    rules = rules or DecisionRules()
    rows: list[dict[str, Any]] = []
    seconds = {"model_eager": 0.0, "dsp_baseline": 0.0}
    pending: list[tuple[dict[str, Any], np.ndarray]] = []

    def flush() -> None:
        if net is not None and pending:
            t0 = time.perf_counter()
            probs = _model_probs(net, [clip for _, clip in pending])
            seconds["model_eager"] += time.perf_counter() - t0
            for (row, _), p in zip(pending, probs):
                row["prob"] = np.zeros_like(p) if row.get("cadence") or row.get("too_still") else p
        pending.clear()

    for item in track(items, desc, total=total):
        row = {k: item[k] for k in ROW_KEYS if k in item}
        if scorer is not None:
            t0 = time.perf_counter()
            row["dsp_score"], row["dsp_flags"] = scorer(item["clip"], fps)
            seconds["dsp_baseline"] += time.perf_counter() - t0
        rows.append(row)
        if window is not None and net is not None:
            t0 = time.perf_counter()
            predict = lambda w: _model_probs(net, [w])[0]  # noqa: E731
            row["prob"] = score_in_windows(item["clip"], window, rules.scorer(predict))
            seconds["model_eager"] += time.perf_counter() - t0
            continue
        if rules.cadence_veto:
            row["cadence"] = temporal_dsp.repeat_cadence(item["clip"])
        row["motion"] = mean_motion(item["clip"])
        if rules.min_motion_levels is not None:
            row["too_still"] = row["motion"] < rules.min_motion_levels
        pending.append((row, item["clip"]))
        if len(pending) == batch_size:
            flush()
    flush()
    return rows, {k: v / max(len(rows), 1) for k, v in seconds.items()}


def choose_threshold(
    rows: list[dict[str, Any]], clean: str, max_fpr: float, per_kind: bool = False
) -> dict[str, Any]:
    """The model's operating point from scored val clips: the frame threshold that maximises frame
    balanced accuracy while at most ``max_fpr`` of the clean frames of clips carrying a temporal hard
    negative (fades, still shots, pans, cuts, pulldown, a codec) are flagged. With ``per_kind`` the cap
    holds for each kind of hard negative on its own too, not only for all of them pooled."""
    if not 0.0 <= float(max_fpr) < 1.0:
        raise ValueError(f"detector.max_hard_negative_fpr must be in [0, 1), got {max_fpr}")
    probs = np.concatenate([r["prob"] for r in rows])
    labels = np.concatenate([r["frame_labels"] for r in rows]).astype(int)

    def frames_of(keep: Callable[[dict[str, Any]], bool]) -> np.ndarray:
        return np.concatenate([np.full(len(r["prob"]), r["label"] == clean and keep(r)) for r in rows])

    hard = frames_of(lambda r: bool(r["negatives"]))
    kinds = sorted({k for r in rows if r["label"] == clean for k in r["negatives"]})
    by_kind = {k: frames_of(lambda r, k=k: k in r["negatives"]) for k in kinds}
    masks = np.stack([hard, *by_kind.values()]) if per_kind else hard
    threshold, _ = best_threshold(probs, labels, max_fpr=float(max_fpr), fpr_mask=masks)
    flags = probs > threshold
    return {
        "threshold": float(threshold),
        "max_hard_negative_fpr": float(max_fpr),
        "per_kind": bool(per_kind),
        "chosen_on": f"simulated val split ({len(rows)} clips)",
        "val_bacc": balanced_accuracy(labels, flags.astype(int)),
        "val_hard_negative_fpr": float(flags[hard].mean()) if hard.any() else None,
        "val_hard_negative_fpr_per_kind": {k: float(flags[m].mean()) for k, m in by_kind.items()},
    }


def operating_point_clips(cfg: DictConfig, dm: Any) -> int:
    """How many val clips the operating point (and the baseline's threshold) are chosen on:
    ``detector.operating_point_clips``, else the val split's size. Val samples come from (seed,
    "val", index), so indices past ``data.val_size`` are more val clips, never train or test ones."""
    n = cfg.detector.get("operating_point_clips")
    n = dm.sizes["val"] if n is None else n
    if int(n) < 1:
        raise ValueError(f"detector.operating_point_clips must be a positive clip count, got {n}")
    return int(n)


def val_operating_point(net: torch.nn.Module, cfg: DictConfig, batch_size: int = 16) -> dict[str, Any]:
    """:func:`choose_threshold` on the simulated val split of ``cfg.data`` (what export.py records)."""
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    clean = str(cfg.detector.classes[0])
    n = operating_point_clips(cfg, dm)
    rows, _ = _score(
        net,
        None,
        simulated_clips(dm, "val", n),
        n,
        dm.fps,
        batch_size,
        "val operating point",
        DecisionRules.from_detector(cfg.detector),
    )
    return preset_operating_point(rows, clean, cfg.detector)


def preset_operating_point(rows: list[dict[str, Any]], clean: str, detector: Any) -> dict[str, Any]:
    """:func:`choose_threshold` under the preset's cap: ``detector.max_hard_negative_fpr``, per kind of
    hard negative too with ``detector.hard_negative_fpr_per_kind``."""
    per_kind = bool(detector.get("hard_negative_fpr_per_kind", False))
    return choose_threshold(rows, clean, detector.get("max_hard_negative_fpr"), per_kind)


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
    # Decision rules, not weights: the current preset's choices apply to any checkpoint.
    rules = DecisionRules.from_detector(cfg.detector)  # checked now, before any work
    max_fpr = cfg.detector.get("max_hard_negative_fpr")
    real, real_fps = None, float(det.get("fps", cfg.detector.fps))
    if cfg.get("real_set"):  # the manifest is checked before any work
        height, width = int(det.get("height", cfg.detector.height)), int(det.get("width", cfg.detector.width))
        real = real_clips(str(cfg.real_set), classes, real_fps, height, width)
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    fps = dm.fps

    baseline, baseline_name, scorer, skipped = None, "", None, None
    if cfg.get("baseline", True) and positive in BASELINES:
        baseline_name, kind, scorer = BASELINES[positive]
    # One pass over the val split fits the baseline's threshold and the model's operating point.
    val_rows: list[dict[str, Any]] = []
    if scorer is not None or max_fpr is not None:
        val_n = int(cfg.get("val_size") or operating_point_clips(cfg, dm))
        val_rows, _ = _score(
            net if max_fpr is not None else None,
            scorer,
            simulated_clips(dm, "val", val_n),
            val_n,
            fps,
            batch_size,
            "val",
            rules,
        )
    if scorer is not None:
        try:
            baseline = temporal_dsp.TemporalDSPBaseline(kind).fit(
                [r["dsp_score"] for r in val_rows], [r["frame_labels"] for r in val_rows]
            )
        except ValueError as exc:  # e.g. a val split too small to hold both classes
            skipped, scorer = f"baseline not fitted on val: {exc}", None
    operating = preset_operating_point(val_rows, clean, cfg.detector) if max_fpr is not None else None
    threshold = operating["threshold"] if operating else 0.5
    if real is None:
        total = dm.sizes["test"]
        rows, seconds = _score(
            net,
            scorer,
            simulated_clips(dm, "test", total),
            total,
            fps,
            batch_size,
            "scoring clips",
            rules,
        )
        source: dict[str, Any] = {"simulated_split": "test", "seed": int(cfg.data.seed)}
    else:  # whole clips of any length, one at a time
        total, items = real
        fps = real_fps
        window = int(det.get("num_frames", cfg.detector.num_frames))
        rows, seconds = _score(net, scorer, items, total, fps, 1, "scoring real clips", rules, window)
        source = {
            "source": {"real_set": str(cfg.real_set)},
            "baseline_fitted_on": "simulated val split",
            "model_scored": f"as detect.py does: windows of {window} frames overlapping by {TEMPORAL_OVERLAP}",
        }
    model_flags = [r["prob"] > threshold for r in rows]
    report: dict[str, Any] = {
        "detector": det["name"],
        "ckpt_path": str(cfg.ckpt_path),
        **source,
        "num_clips": len(rows),
        "fps": fps,
        "event_tolerance_frames": tolerance,
        "threshold": threshold,
        "decision_rules": rules.to_dict(),
        "model": frame_levels(rows, model_flags, classes, tolerance),
    }
    if operating:
        report["operating_point"] = operating
        # The same model at the default 0.5, for comparison with reports made before operating points.
        at_half = [r["prob"] > 0.5 for r in rows]
        report["model_at_0.5"] = frame_levels(rows, at_half, classes, tolerance)
        if real is None:
            report["model_at_0.5"]["hard_negatives"] = _hard_negative_fpr(rows, clean, at_half, None)
        else:
            report["model_at_0.5"]["per_mechanism"] = per_mechanism(rows, clean, tolerance, at_half, None)
    if rules.cadence_veto and real is None:  # real clips: the rules run per window (not counted)
        vetoed = [r for r in rows if r.get("cadence")]
        report["cadence_veto"] = {
            "clips_vetoed": len(vetoed),
            "of_which_defective": sum(int(r["label"] != clean) for r in vetoed),
            "periods": sorted({int(r["cadence"]) for r in vetoed}),
        }
    if rules.min_motion_levels is not None and real is None:
        still_clips = [r for r in rows if r.get("too_still")]
        report["min_motion"] = {
            "clips_zeroed": len(still_clips),
            "of_which_defective": sum(int(r["label"] != clean) for r in still_clips),
        }
    scores: dict[str, np.ndarray] = {"model": np.concatenate([r["prob"] for r in rows])}
    dsp_flags: list[np.ndarray] | None = None
    if baseline is not None:
        dsp_flags = [baseline.predict(r["dsp_score"]) for r in rows]
        report["dsp_baseline"] = {
            "name": baseline_name,
            **frame_levels(rows, dsp_flags, classes, tolerance),
            **baseline.to_dict(),
        }
        if rows[0]["dsp_flags"] is not None:
            own = [np.asarray(r["dsp_flags"], dtype=bool) for r in rows]
            report["dsp_baseline"]["ffmpeg_flags"] = frame_levels(rows, own, classes, tolerance)
        sign = 1.0 if baseline.higher_is_defect else -1.0
        s = sign * np.concatenate([r["dsp_score"] for r in rows])
        scores["dsp_baseline"] = np.where(np.isfinite(s), s, np.nanmin(s) - 1 if np.isfinite(s).any() else 0)
    elif skipped:
        report["dsp_baseline_skipped"] = skipped
    report["roc_auc"] = frame_aucs(np.concatenate([r["frame_labels"] for r in rows]), scores)
    if real is None:
        report["hard_negatives"] = _hard_negative_fpr(rows, clean, model_flags, dsp_flags)
    else:
        report["per_mechanism"] = per_mechanism(rows, clean, tolerance, model_flags, dsp_flags)
    report["seconds_per_clip"] = seconds
    report["errors"] = clip_errors(rows, model_flags, positive)

    save_confusions(
        [
            ("model", report["model"], "confusion_matrix.png"),
            ("model, clip level", report["model"]["clip_level"], "confusion_matrix_clip.png"),
            ("baseline", report.get("dsp_baseline"), "confusion_matrix_baseline.png"),
        ],
        classes,
        out_dir,
    )
    frame_timeline(
        rows, model_flags, dsp_flags, positive, out_dir / "timeline.png", _panel_title, count=TIMELINE_CLIPS
    )
    write_json(out_dir / "metrics.json", report)
    log.info("wrote %s", out_dir / "metrics.json")
    return report


def _hard_negative_fpr(
    rows: list[dict], clean: str, model: list[np.ndarray], dsp: list[np.ndarray] | None
) -> dict[str, Any]:
    """On clean clips carrying each temporal negative (and each content kind): flagged frames and clips."""
    groups = hard_negative_groups(rows, clean, plain_group=True)
    out = {}
    for k, idx in groups.items():
        entry = {
            "clips": len(idx),
            "fpr_frames_model": float(np.mean(np.concatenate([model[i] for i in idx]))),
            "fpr_clips_model": float(np.mean([model[i].any() for i in idx])),
        }
        if dsp is not None:
            entry["fpr_frames_dsp_baseline"] = float(np.mean(np.concatenate([dsp[i] for i in idx])))
            entry["fpr_clips_dsp_baseline"] = float(np.mean([dsp[i].any() for i in idx]))
        out[k] = entry
    return out


def _panel_title(r: dict[str, Any]) -> str:
    origin = r["origin"]
    if "split" in origin:
        negs = ",".join(r["negatives"]) or "-"
        return f"{origin['split']}#{origin['index']} truth {r['label']} (negatives: {negs})"
    return f"row {origin['row']} {Path(origin['path']).name} truth {r['label']} ({r['mechanism']})"
