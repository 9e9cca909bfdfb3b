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
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig
from torch import nn

from vqa_train import __version__
from vqa_train.checkpoint import load_detector
from vqa_train.utils.atomic import atomic_path, write_json

log = logging.getLogger(__name__)


class ProbabilityModel(nn.Module):
    """Waveform ``(batch, samples)`` -> class probabilities ``(batch, classes)``."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.net(waveform).softmax(dim=1)


def to_onnx(model: nn.Module, example: torch.Tensor, path: Path, opset: int) -> None:
    model.eval()
    common = {"input_names": ["waveform"], "output_names": ["probs"], "opset_version": opset}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dynamic_axes = {"waveform": {0: "batch", 1: "samples"}, "probs": {0: "batch"}}
            torch.onnx.export(model, (example,), str(path), dynamo=False, dynamic_axes=dynamic_axes, **common)
        except Exception as exc:  # noqa: BLE001 - fall back to the dynamo exporter
            log.info("TorchScript exporter failed (%s); using torch.export", exc)
            batch = torch.export.Dim("batch", min=1, max=4096)
            torch.onnx.export(
                model, (example,), str(path), dynamo=True, dynamic_shapes={"waveform": {0: batch}}, **common
            )
    model.eval()  # the exporter restores train mode on submodules


def parity(model: nn.Module, onnx_path: Path, shapes: list[tuple[int, int]], seed: int = 0) -> float:
    """Max |ORT - PyTorch| over random inputs of the given shapes."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    worst = 0.0
    for shape in shapes:
        x = (rng.standard_normal(shape) * 0.1).astype(np.float32)
        with torch.inference_mode():
            ref = model(torch.from_numpy(x)).numpy()
        got = sess.run(None, {"waveform": x})[0]
        worst = max(worst, float(np.abs(ref - got).max()))
    return worst


def export(cfg: DictConfig) -> dict[str, Any]:
    from vqa_train.utils.config import to_plain

    net, info = load_detector(cfg.ckpt_path)
    det = info["detector"]
    model = ProbabilityModel(net).eval()
    seg = int(round(det["segment_s"] * det["sample_rate"]))
    out_dir = Path(cfg.export_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = det["name"]
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".{name}.") as tmp:
        tmp_onnx = Path(tmp) / f"{name}.onnx"
        to_onnx(model, torch.zeros(2, seg), tmp_onnx, int(cfg.opset))
        diff = parity(model, tmp_onnx, [(1, seg), (3, seg)])
        if diff > float(cfg.parity_atol):
            raise ValueError(
                f"ONNX Runtime differs from PyTorch by {diff:.2e} > parity_atol={cfg.parity_atol}; "
                f"nothing was written to {out_dir}"
            )
        sidecar = {
            "detector": name,
            "kind": det["kind"],
            "version": __version__,
            "onnx": f"{name}.onnx",
            "input": {"name": "waveform", "layout": "(batch, samples) float32 mono in [-1, 1]"},
            "output": {"name": "probs", "layout": "(batch, classes) softmax probabilities"},
            "classes": list(det["classes"]),
            "clean_label": det.get("clean_label", "none"),
            "sample_rate": int(det["sample_rate"]),
            "segment_s": float(det["segment_s"]),
            "features": {
                k: info["model"]["net"].get(k) for k in ("n_fft", "hop_length", "n_mels", "f_min", "f_max")
            },
            "parity_max_abs_diff": diff,
            "ckpt_path": str(cfg.ckpt_path),
            "config": {
                "detector": det,
                "model": info["model"],
                "data": info.get("data"),
                "export": {k: to_plain(cfg[k]) for k in ("opset", "parity_atol")},
            },
        }
        final_onnx = out_dir / f"{name}.onnx"
        with atomic_path(final_onnx) as dst:
            shutil.copyfile(tmp_onnx, dst)
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
