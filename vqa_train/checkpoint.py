"""Rebuild a trained network from a checkpoint written by ``train.py`` (no pickle execution)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
import torch
from torch import nn

from vqa_train.train import CHECKPOINT_KEY


def _read(ckpt_path: str | Path, key: str) -> tuple[Path, dict[str, Any]]:
    """The checkpoint at ``ckpt_path`` (tensors only, no pickle execution); errors name ``key``."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise FileNotFoundError(f"{key}: no such checkpoint: {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
        raise ValueError(f"{path}: not a readable checkpoint ({type(exc).__name__})") from None
    if not isinstance(ckpt, dict) or ckpt.get(CHECKPOINT_KEY) is None:
        raise ValueError(f"{path}: not a vqa_train checkpoint (no '{CHECKPOINT_KEY}' entry)")
    return path, ckpt


def load_detector(ckpt_path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Return the network in eval mode and the config stored with it (detector, model, data)."""
    path, ckpt = _read(ckpt_path, "ckpt_path")
    info = ckpt[CHECKPOINT_KEY]
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


def init_weights(module: nn.Module, ckpt_path: str | Path) -> None:
    """Load the weights (and scalar buffers) of a ``train.py`` checkpoint into a fresh training module:
    ``init_ckpt_path`` fine-tunes from them with a new optimizer, schedule and epoch count, where
    ``ckpt_path`` would resume the old run. The architectures must match; a mismatch names the keys."""
    path, ckpt = _read(ckpt_path, "init_ckpt_path")
    state = ckpt.get("state_dict") or {}
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    reshaped = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or reshaped:
        parts = [
            f"{what} {keys[:3]}{' ...' if len(keys) > 3 else ''}"
            for what, keys in (("missing", missing), ("unexpected", unexpected), ("other shape", reshaped))
            if keys
        ]
        raise ValueError(f"init_ckpt_path: {path} does not fit this model: " + "; ".join(parts))
    module.load_state_dict(state)
