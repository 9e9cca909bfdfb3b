"""Thin-entry-point support: one-line errors for bad overrides and for bad input."""

from __future__ import annotations

import difflib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from synth.media import MediaError
from vqa_train.utils.config import CONF_DIR

log = logging.getLogger("vqa_train")

# Errors that mean "your input or config is wrong": reported in one line, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, FileNotFoundError, KeyError, MediaError)


def _group_options(group: str) -> list[str]:
    path = CONF_DIR / group
    return sorted(p.stem for p in path.glob("*.yaml")) if path.is_dir() else []


def _explain(exc: BaseException, config_name: str, overrides: Sequence[str]) -> str:
    """Turn a Hydra composition error into one line that lists what would have been valid."""
    from omegaconf import OmegaConf

    chain, cause = [exc], exc.__cause__
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__
    for err in chain:
        options = getattr(err, "options", None)
        missing = getattr(err, "missing_cfg_file", None) or getattr(err, "config_name", None)
        if options is not None and missing:
            group, _, name = str(missing).rpartition("/")
            return f"unknown {group or 'config'} '{name}'; choose one of: {', '.join(options)}"
        full_key = getattr(err, "full_key", None)
        if full_key:
            parent, _, leaf = str(full_key).rpartition(".")
            try:
                base = _compose(
                    config_name,
                    [
                        o
                        for o in overrides
                        if "=" in o
                        and "." not in o.split("=")[0]
                        and o.split("=")[0].lstrip("+~") in _groups()
                    ],
                )
                node = OmegaConf.select(base, parent) if parent else base
                keys = sorted(node.keys()) if hasattr(node, "keys") else []
            except Exception:  # noqa: BLE001 - best effort listing
                keys = []
            near = difflib.get_close_matches(leaf, keys, n=3)
            hint = f" Did you mean: {', '.join(near)}?" if near else ""
            where = f" under '{parent}'" if parent else ""
            listing = f" Valid keys{where}: {', '.join(keys)}." if keys else ""
            return f"unknown config key '{full_key}'.{hint}{listing} (prefix with + to add a new key)"
    first = str(exc).strip().splitlines()
    return first[0] if first else type(exc).__name__


def _groups() -> set[str]:
    return {p.name for p in CONF_DIR.iterdir() if p.is_dir()}


def _compose(config_name: str, overrides: Sequence[str]) -> Any:
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            return compose(config_name, overrides=list(overrides))
    finally:
        GlobalHydra.instance().clear()


def check_overrides(config_name: str, argv: Sequence[str]) -> None:
    """Compose once before Hydra runs so that a wrong detector or key fails with a clear line."""
    args = [a for a in argv if not a.startswith("-")]
    if any(a in ("-m", "--multirun") for a in argv) or any(a.lstrip("+~").startswith("hydra") for a in args):
        return  # sweeps and hydra's own settings are checked by Hydra itself
    if any(a.startswith("-") and a not in ("-m", "--multirun") for a in argv):
        return  # --help, --cfg, --info ...: leave to Hydra
    try:
        _compose(config_name, args)
    except Exception as exc:  # noqa: BLE001 - any composition failure is the user's override
        print(f"error: {_explain(exc, config_name, args)}", file=sys.stderr)
        sys.exit(2)


def run_task(task: Callable[[Any], Any], cfg: Any) -> Any:
    """Run a task; a user error (bad file, bad value) ends it with one line, not a traceback."""
    try:
        return task(cfg)
    except Exception as exc:
        # Hydra wraps errors raised while instantiating configs: look one level inside too.
        user_error = next(
            (e for e in (exc, exc.__cause__ or exc.__context__) if isinstance(e, USER_ERRORS)), None
        )
        if user_error is None or os.environ.get("VQA_DEBUG") or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        log.error("%s", _one_line(user_error))
        print(f"error: {_one_line(user_error)}", file=sys.stderr)
        sys.exit(1)


def _one_line(exc: BaseException) -> str:
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(msg.split()) or type(exc).__name__
