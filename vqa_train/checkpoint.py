"""Rebuild a trained network from a checkpoint written by ``train.py`` (no pickle execution)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
import torch
from torch import nn

from vqa_train.train import CHECKPOINT_KEY


def load_detector(ckpt_path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Return the network in eval mode and the config stored with it (detector, model, data)."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise FileNotFoundError(f"ckpt_path: no such checkpoint: {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
        raise ValueError(f"{path}: not a readable checkpoint ({type(exc).__name__})") from None
    info = ckpt.get(CHECKPOINT_KEY) if isinstance(ckpt, dict) else None
    if info is None:
        raise ValueError(f"{path}: not a vqa_train checkpoint (no '{CHECKPOINT_KEY}' entry)")
    net_cfg = dict(info["model"]["net"])
    net: nn.Module = hydra.utils.instantiate(net_cfg)
    state = {k.removeprefix("net."): v for k, v in ckpt["state_dict"].items() if k.startswith("net.")}
    net.load_state_dict(state)
    net.eval()
    # Scalar buffers of the training module itself (e.g. the area threshold chosen on val).
    info = {
        **info,
        "module_buffers": {
            k: float(v)
            for k, v in ckpt["state_dict"].items()
            if "." not in k and getattr(v, "numel", lambda: 0)() == 1
        },
    }
    return net, info
