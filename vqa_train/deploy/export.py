"""Export a trained detector to ONNX + a JSON sidecar, after an ONNX Runtime parity check.

Both files are first written to temporary names and only moved into ``export_dir`` once the
parity check passed, so a failed export never replaces a good one.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig
from torch import nn

from vqa_train import __version__
from vqa_train.checkpoint import load_detector
from vqa_train.deploy.runners import DecisionRules
from vqa_train.utils.atomic import atomic_path, write_json

log = logging.getLogger(__name__)


class ProbabilityModel(nn.Module):
    """Waveform ``(batch, samples)`` -> class probabilities ``(batch, classes)``."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.net(waveform).softmax(dim=1)


class FrameMapModel(nn.Module):
    """Frames ``(batch, 3, H, W)`` RGB in [0, 1] -> map probabilities, frame probability, area ratio."""

    def __init__(self, net: nn.Module, map_threshold: float = 0.5) -> None:
        super().__init__()
        self.net, self.map_threshold = net, map_threshold

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        map_logits, frame_logits = self.net(frames)
        probs = torch.sigmoid(map_logits)
        area = (probs > self.map_threshold).float().flatten(1).mean(dim=1)
        return probs, torch.sigmoid(frame_logits), area


@dataclass
class ExportSpec:
    """What one detector kind exports: the wrapped model, its I/O and the kind's sidecar fields."""

    model: nn.Module
    example: torch.Tensor
    input_names: list[str]
    output_names: list[str]
    dynamic_axes: dict[str, dict[int, str]]
    parity_shapes: list[tuple[int, ...]]
    # Outputs compared in the parity check (discrete outputs such as a thresholded area are not).
    parity_outputs: list[int]
    sidecar: dict[str, Any] = field(default_factory=dict)
    # Random parity input of a shape, in the input's own range.
    parity_input: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray] = field(
        default=lambda rng, shape: (rng.standard_normal(shape) * 0.1).astype(np.float32)
    )


def _pixels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random RGB in [0, 1], the layout frame and clip detectors take."""
    return rng.random(shape, dtype=np.float32)


def _audio_spec(net: nn.Module, info: dict[str, Any]) -> ExportSpec:
    det = info["detector"]
    seg = int(round(det["segment_s"] * det["sample_rate"]))
    return ExportSpec(
        model=ProbabilityModel(net).eval(),
        example=torch.zeros(2, seg),
        input_names=["waveform"],
        output_names=["probs"],
        dynamic_axes={"waveform": {0: "batch", 1: "samples"}, "probs": {0: "batch"}},
        parity_shapes=[(1, seg), (3, seg)],
        parity_outputs=[0],
        sidecar={
            "input": {"name": "waveform", "layout": "(batch, samples) float32 mono in [-1, 1]"},
            "output": {"name": "probs", "layout": "(batch, classes) softmax probabilities"},
            "sample_rate": int(det["sample_rate"]),
            "segment_s": float(det["segment_s"]),
            "features": {
                **{
                    k: info["model"]["net"].get(k)
                    for k in ("n_fft", "hop_length", "n_mels", "f_min", "f_max")
                },
                # The hand-designed cue branch (mains comb, impulses, noise flatness) runs inside the graph.
                "cues": bool(info["model"]["net"].get("cues", False)),
            },
        },
    )


def _frame_map_spec(net: nn.Module, info: dict[str, Any]) -> ExportSpec:
    from vqa_train.models.block_map import IMAGENET_MEAN, IMAGENET_STD, MAP_STRIDE

    det, model_cfg = info["detector"], info["model"]
    map_threshold = float(model_cfg.get("map_threshold", 0.5))
    area_threshold = info.get("module_buffers", {}).get(
        "area_threshold", model_cfg.get("area_threshold", 0.07)
    )
    h, w = int(det.get("height", 224)), int(det.get("width", 224))
    return ExportSpec(
        model=FrameMapModel(net, map_threshold).eval(),
        example=torch.rand(2, 3, h, w),
        input_names=["frames"],
        output_names=["map", "score", "area"],
        dynamic_axes={
            "frames": {0: "batch", 2: "height", 3: "width"},
            "map": {0: "batch", 2: "map_height", 3: "map_width"},
            "score": {0: "batch"},
            "area": {0: "batch"},
        },
        parity_shapes=[(1, 3, h, w), (2, 3, 360, 640)],
        parity_outputs=[0, 1],
        parity_input=_pixels,
        sidecar={
            "input": {
                "name": "frames",
                "layout": "(batch, 3, height, width) float32 RGB in [0, 1], any size",
                "normalisation": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD), "in_graph": True},
            },
            "output": {
                "map": "(batch, 1, ceil(H/32), ceil(W/32)) corruption probability per cell",
                "score": "(batch,) learned frame-level corruption probability",
                "area": "(batch,) share of map cells above map_threshold",
            },
            "map_stride": MAP_STRIDE,
            "map_threshold": map_threshold,
            "decision": model_cfg.get("decision", "learned"),
            "area_threshold": float(area_threshold),
            # The learned decision flags a frame whose score reaches this: 0.5, or with
            # detector.export_threshold=capped the val threshold under the hard-negative FPR cap.
            "score_threshold": float(det.get("operating_point", {}).get("threshold", 0.5)),
            "operating_point": det.get("operating_point"),
        },
    )


class FrameProbabilityModel(nn.Module):
    """Per-frame logits -> probabilities: clips ``(batch, frames, 3, H, W)`` RGB in [0, 1], or waveforms
    ``(batch, samples)`` for audio frame segmenters -> defect probability ``(batch, frames)``."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(clips))


def _temporal_spec(net: nn.Module, info: dict[str, Any]) -> ExportSpec:
    det = info["detector"]
    t, h, w = int(det["num_frames"]), int(det["height"]), int(det["width"])
    return ExportSpec(
        model=FrameProbabilityModel(net).eval(),
        example=torch.rand(2, t, 3, h, w),
        input_names=["clips"],
        output_names=["probs"],
        dynamic_axes={
            "clips": {0: "batch", 1: "frames", 3: "height", 4: "width"},
            "probs": {0: "batch", 1: "frames"},
        },
        parity_shapes=[(1, t, 3, h, w), (2, t // 2, 3, h + 8, w + 16)],
        parity_outputs=[0],
        parity_input=_pixels,
        sidecar={
            "input": {
                "name": "clips",
                "layout": "(batch, frames, 3, height, width) float32 RGB in [0, 1], consecutive frames",
            },
            "output": {"name": "probs", "layout": "(batch, frames) probability that each frame is defective"},
            "fps": float(det["fps"]),
            "num_frames": t,
            "height": h,
            "width": w,
            "event_tolerance_frames": int(det.get("event_tolerance_frames", 2)),
            # Rules detect.py applies per window (pulldown cadence, too little motion, still windows):
            # cadence_veto, min_motion_levels, still_window_levels; see runners.DecisionRules.
            **DecisionRules.from_detector(det).to_dict(),
            # A frame is defective when its probability exceeds this (the operating point chosen on the
            # simulated val split under the preset's hard-negative FPR cap; 0.5 without one).
            "threshold": float(det.get("operating_point", {}).get("threshold", 0.5)),
            "operating_point": det.get("operating_point"),
        },
    )


# Seconds of audio per window when detect.py streams a file through an audio frame segmenter.
AUDIO_FRAME_CHUNK_S = 30.0


def _audio_with_silences(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Noise at -20 dBFS with an exact-zero span and a -70 dB span, so every dropout cue is exercised."""
    x = (rng.standard_normal(shape) * 0.1).astype(np.float32)
    n = shape[-1]
    x[..., n // 5 : n // 4] = 0.0
    x[..., n // 2 : n // 2 + n // 10] *= np.float32(10 ** (-70 / 20))
    return x


def _audio_frame_spec(net: nn.Module, info: dict[str, Any]) -> ExportSpec:
    det = info["detector"]
    sr, hop = int(det["sample_rate"]), int(net.hop)
    seg = int(round(det["segment_s"] * sr))
    return ExportSpec(
        model=FrameProbabilityModel(net).eval(),
        example=torch.randn(1, seg) * 0.1,
        input_names=["waveform"],
        output_names=["probs"],
        dynamic_axes={"waveform": {0: "batch", 1: "samples"}, "probs": {0: "batch", 1: "frames"}},
        parity_shapes=[(1, seg), (2, seg + seg // 2 + 77)],
        parity_outputs=[0],
        parity_input=_audio_with_silences,
        sidecar={
            "input": {
                "name": "waveform",
                "layout": f"(batch, samples) float32 mono in [-1, 1] at sample_rate, samples >= {net.min_samples}",
            },
            "output": {
                "name": "probs",
                "layout": "(batch, samples // frame_samples) probability that each frame is a dropout; "
                "frame i covers samples [i * frame_samples, (i + 1) * frame_samples)",
            },
            "sample_rate": sr,
            "segment_s": float(det["segment_s"]),
            "frame_s": hop / sr,
            "frame_samples": hop,
            "min_samples": int(net.min_samples),
            # Frames each side that can change an output: detect.py overlaps its windows by this much.
            "context_frames": int(net.context_frames),
            "chunk_s": AUDIO_FRAME_CHUNK_S,
            "event_tolerance_frames": int(det.get("event_tolerance_frames", 2)),
            # detect.py zeroes windows whose repeats keep a regular beat (pulldown): see repeat_cadence.
            "cadence_veto": bool(det.get("cadence_veto", False)),
        },
    )


class _Call(nn.Module):
    """One method of a network as a module of its own (an ONNX graph per SyncNet stream)."""

    def __init__(self, net: nn.Module, method: str) -> None:
        super().__init__()
        self.net, self.method = net, method

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return getattr(self.net, self.method)(x)


def _av_sync_spec(net: nn.Module, info: dict[str, Any]) -> dict[str, ExportSpec]:
    """Three graphs: the log-mel front end, the audio stream and the video stream (any length)."""
    det = info["detector"]
    sr, fps = int(net.sample_rate), float(net.fps)
    h, w = net.crop_hw
    n_mels = int(net.frontend.mel_fb.shape[1])
    pipeline = {k: v for k, v in dict(det.get("pipeline") or {}).items()}
    common = {
        "sample_rate": sr,
        "fps": fps,
        "window_frames": int(net.window_frames),
        "crop_hw": [int(h), int(w)],
        "max_offset_frames": int(det.get("max_offset_frames", 15)),
        "clip_s": float(det.get("clip_s", 4.0)),
        "pipeline": pipeline,
        "tolerance_ms": list(
            info.get("data", {}).get("synth", {}).get("offset", {}).get("tolerance_ms", [40, 60])
        ),
        "parts": {
            "frontend": "waveform (1, samples) float32 mono at sample_rate -> log-mel (1, 1, frames, n_mels)",
            "audio": "log-mel (1, 1, frames, n_mels) -> unit embeddings (1, D, frames // 4 - window_frames + 1)",
            "video": "mouth crops (1, T, h, w) gray in [0, 1] -> unit embeddings (1, D, T - window_frames + 1)",
        },
    }
    return {
        "frontend": ExportSpec(
            model=_Call(net, "features").eval(),
            example=torch.randn(1, sr) * 0.1,
            input_names=["waveform"],
            output_names=["logmel"],
            dynamic_axes={"waveform": {1: "samples"}, "logmel": {2: "frames"}},
            parity_shapes=[(1, sr), (1, 4 * sr + 123)],
            parity_outputs=[0],
            sidecar=common,
        ),
        "audio": ExportSpec(
            model=_Call(net, "embed_audio").eval(),
            example=torch.randn(1, 1, 101, n_mels) * 10 - 50,
            input_names=["logmel"],
            output_names=["audio_embeddings"],
            dynamic_axes={"logmel": {2: "frames"}, "audio_embeddings": {2: "windows"}},
            parity_shapes=[(1, 1, 101, n_mels), (1, 1, 401, n_mels)],
            parity_outputs=[0],
            parity_input=lambda rng, shape: (rng.standard_normal(shape) * 10 - 50).astype(np.float32),
        ),
        "video": ExportSpec(
            model=_Call(net, "embed_video").eval(),
            example=torch.rand(1, 12, h, w),
            input_names=["crops"],
            output_names=["video_embeddings"],
            dynamic_axes={"crops": {1: "frames"}, "video_embeddings": {2: "windows"}},
            parity_shapes=[(1, 12, h, w), (1, 100, h, w)],
            parity_outputs=[0],
            parity_input=_pixels,
        ),
    }


EXPORT_SPECS: dict[str, Callable[[nn.Module, dict[str, Any]], ExportSpec | dict[str, ExportSpec]]] = {
    "audio_segment_classifier": _audio_spec,
    "frame_map_classifier": _frame_map_spec,
    "temporal_segmenter": _temporal_spec,
    "av_sync_pipeline": _av_sync_spec,
    "audio_frame_segmenter": _audio_frame_spec,
}


def to_onnx(spec: ExportSpec, path: Path, opset: int) -> None:
    model = spec.model.eval()
    common = {"input_names": spec.input_names, "output_names": spec.output_names, "opset_version": opset}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                model, (spec.example,), str(path), dynamo=False, dynamic_axes=spec.dynamic_axes, **common
            )
        except Exception as exc:  # noqa: BLE001 - fall back to the dynamo exporter
            log.info("TorchScript exporter failed (%s); using torch.export", exc)
            shapes = {
                spec.input_names[0]: {
                    axis: torch.export.Dim(name, min=1, max=8192)
                    for axis, name in spec.dynamic_axes[spec.input_names[0]].items()
                }
            }
            torch.onnx.export(model, (spec.example,), str(path), dynamo=True, dynamic_shapes=shapes, **common)
    model.eval()  # the exporter restores train mode on submodules


def parity(spec: ExportSpec, onnx_path: Path, seed: int = 0) -> float:
    """Max |ORT - PyTorch| over the compared outputs, on random inputs of every parity shape."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for shape in spec.parity_shapes:
        x = spec.parity_input(rng, shape)
        with torch.inference_mode():
            ref = spec.model(torch.from_numpy(x))
        ref = [ref] if isinstance(ref, torch.Tensor) else list(ref)
        got = sess.run(None, {spec.input_names[0]: x})
        for k in spec.parity_outputs:
            worst = max(worst, float(np.abs(ref[k].numpy() - got[k]).max()))
    return worst


def export(cfg: DictConfig) -> dict[str, Any]:
    from vqa_train.utils.config import to_plain

    net, info = load_detector(cfg.ckpt_path)
    det = info["detector"]
    for rule in DecisionRules().to_dict():  # decision rules: the current preset's choice, not the weights'
        if cfg.get("detector") is not None and rule in cfg.detector:
            det[rule] = cfg.detector[rule]
    if (
        det["kind"] == "temporal_segmenter"
        and cfg.get("detector", {}).get("max_hard_negative_fpr") is not None
    ):
        from vqa_train.evaluation.temporal_clips import val_operating_point

        det["operating_point"] = val_operating_point(net, cfg)  # a decision rule too: chosen now, on val
    point = cfg.get("detector", {}).get("export_threshold", "fixed")
    if det["kind"] == "frame_map_classifier" and point not in ("fixed", "capped"):
        raise ValueError(f"detector.export_threshold: expected fixed or capped, got {point!r}")
    if det["kind"] == "frame_map_classifier" and point == "capped":
        from vqa_train.evaluation.block_frames import val_capped_operating_point

        det["operating_point"] = val_capped_operating_point(net, info, cfg)
    if det["kind"] not in EXPORT_SPECS:
        raise ValueError(f"detector.kind '{det['kind']}' cannot be exported; known: {sorted(EXPORT_SPECS)}")
    specs = EXPORT_SPECS[det["kind"]](net, info)
    # A kind exports one graph, or several named parts (written as <name>.<part>.onnx).
    parts = specs if isinstance(specs, dict) else {"": specs}
    out_dir = Path(cfg.export_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = det["name"]
    files = {part: f"{name}.{part}.onnx" if part else f"{name}.onnx" for part in parts}
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".{name}.") as tmp:
        diffs = {}
        for part, spec in parts.items():
            tmp_onnx = Path(tmp) / files[part]
            to_onnx(spec, tmp_onnx, int(cfg.opset))
            diffs[part] = parity(spec, tmp_onnx)
            if diffs[part] > float(cfg.parity_atol):
                raise ValueError(
                    f"ONNX Runtime differs from PyTorch by {diffs[part]:.2e} > parity_atol={cfg.parity_atol}"
                    f"{f' (part {part})' if part else ''}; nothing was written to {out_dir}"
                )
        diff = max(diffs.values())
        extra: dict[str, Any] = {}
        for spec in parts.values():
            extra.update(spec.sidecar)
        if len(parts) > 1:
            extra["onnx_parts"] = dict(files)
            extra["parity_max_abs_diff_by_part"] = diffs
        sidecar = {
            "detector": name,
            "kind": det["kind"],
            "version": __version__,
            "onnx": next(iter(files.values())),
            **extra,
            "classes": list(det["classes"]),
            "clean_label": det.get("clean_label", "none"),
            "parity_max_abs_diff": diff,
            "parity_shapes": [list(s) for spec in parts.values() for s in spec.parity_shapes],
            "ckpt_path": str(cfg.ckpt_path),
            "config": {
                "detector": det,
                "model": info["model"],
                "data": info.get("data"),
                "export": {k: to_plain(cfg[k]) for k in ("opset", "parity_atol")},
            },
        }
        for fname in files.values():
            with atomic_path(out_dir / fname) as dst:
                shutil.copyfile(Path(tmp) / fname, dst)
        final_onnx = out_dir / next(iter(files.values()))
        write_json(out_dir / f"{name}.json", sidecar)
    log.info("exported %s (parity %.2e)", final_onnx, diff)
    return {"onnx": str(final_onnx), "sidecar": str(out_dir / f"{name}.json"), "parity_max_abs_diff": diff}


def read_sidecar(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable export sidecar ({exc})") from None
    for key in ("detector", "kind", "onnx"):
        if key not in meta:
            raise ValueError(f"{path}: export sidecar lacks '{key}'")
    return meta
