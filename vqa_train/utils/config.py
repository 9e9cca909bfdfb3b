"""Config helpers: resolvers, instantiation of groups, and the project's conf/ directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"

if not OmegaConf.has_resolver("len"):
    OmegaConf.register_new_resolver("len", lambda x: len(x))


def to_plain(cfg: Any) -> Any:
    """A resolved, plain-Python copy of a config node (safe to pickle with weights_only loads)."""
    if isinstance(cfg, DictConfig) or OmegaConf.is_list(cfg):
        return OmegaConf.to_container(cfg, resolve=True)
    return cfg


def instantiate_group(group: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a dict of ``_target_`` configs (callbacks, loggers)."""
    if not group:
        return []
    return [hydra.utils.instantiate(node) for node in group.values() if node and "_target_" in node]
