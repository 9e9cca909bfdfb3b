"""Folders of the user's own media as pristine content: files listed once and split by file.

A file's split comes from a hash of its path relative to the root, so splits never share a file,
the split is the same for every detector (audio or video) that reads the folder, and adding files
never moves the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from synth.core import SPLITS

VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".ts", ".mxf", ".wmv")


def split_of(relative_path: str, split_fractions: Sequence[float]) -> str:
    """The split of a file, from a hash of its relative path: stable across runs, seeds and machines."""
    digest = hashlib.sha1(relative_path.encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    edge = 0.0
    names = sorted(SPLITS, key=SPLITS.get)
    for name, fraction in zip(names, split_fractions):
        edge += fraction
        if u < edge:
            return name
    return names[-1]


def split_folder(
    root: Path, extensions: Sequence[str], split_fractions: Sequence[float], owner: str, what: str
) -> tuple[tuple[float, ...], dict[str, list[str]]]:
    """``(fractions, {split: [relative paths]})`` for the media files under ``root``.

    Errors name ``owner`` (the source class) and say which ``what`` files were looked for.
    """
    fractions = tuple(float(f) for f in split_fractions)
    if len(fractions) != len(SPLITS) or any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(
            f"{owner}.split_fractions must be {len(SPLITS)} non-negative numbers summing to 1 "
            f"(train, val, test), got {list(split_fractions)}"
        )
    if not root.is_dir():
        raise ValueError(f"{owner} root {str(root)!r} is not a folder")
    wanted = {e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions}
    files = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in wanted and not p.name.startswith(".")
    )
    if not files:
        raise ValueError(f"{owner} found no {what} files under {str(root)!r} (extensions {sorted(wanted)})")
    splits: dict[str, list[str]] = {name: [] for name in SPLITS}
    for rel in files:
        splits[split_of(rel, fractions)].append(rel)
    return fractions, splits


def media_files(
    root: str | Path, extensions: Sequence[str], what: str, list_extensions: bool = False
) -> list[Path]:
    """The files under ``root`` with one of ``extensions`` (sorted, recursive, hidden files and folders
    left out); FileNotFoundError when ``root`` is not a folder or holds none (``what`` names them)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a folder")
    wanted = {e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions}
    paths = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in wanted
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not paths:
        listed = f" ({', '.join(extensions)})" if list_extensions else ""
        raise FileNotFoundError(f"{root}: no {what} files{listed}")
    return paths
