"""Labelled sets on disk (real-defect sets built by ``synth.*.realset``): where they may be written
and how a finished set replaces an earlier one without ever leaving a half-written folder."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def is_set(folder: Path, kind: str, record: str) -> bool:
    """Whether ``folder/record`` (a JSON file) says the folder holds a set of ``kind``."""
    try:
        return json.loads((folder / record).read_text(encoding="utf-8")).get("kind") == kind
    except (OSError, ValueError, AttributeError):
        return False


def check_target(out: Path, overwrite: bool, kind: str, what: str, record: str = "meta.json") -> None:
    """Refuse an ``out`` that is a file, a non-empty folder holding something else, or an earlier
    set of ``kind`` without ``overwrite``; ``what`` names the set in the messages."""
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not a folder")
    if not any(out.iterdir()):
        return
    if not is_set(out, kind, record):
        raise FileExistsError(f"{out}: folder is not empty and holds no {what}; choose another --out")
    if not overwrite:
        raise FileExistsError(
            f"{out}: an earlier {what} is already there (pass overwrite / --overwrite to replace it)"
        )


def publish(staging: Path, out: Path) -> None:
    """Move the finished set into place; an earlier set is replaced only once the new one is complete."""
    old = None
    if out.exists():
        if any(out.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / "set")
        else:
            out.rmdir()
    os.replace(staging, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_for_cli(parser: argparse.ArgumentParser, build: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a set builder from its command line: a wrong argument, a taken ``--out``, a missing
    folder or unreadable media ends as one ``parser.error`` line instead of a traceback."""
    from synth.media import MediaError

    try:
        return build(*args, **kwargs)
    except (ValueError, FileExistsError, FileNotFoundError, MediaError) as exc:
        parser.error(str(exc))


def set_counts(folder: Path) -> dict[str, int]:
    """The per-label clip counts a builder recorded in ``folder/meta.json``."""
    return json.loads((Path(folder) / "meta.json").read_text(encoding="utf-8"))["counts"]
