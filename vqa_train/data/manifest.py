"""Labeled folders of real media: ``DIR/manifest.csv`` with ``path,label[,start_s,end_s]``.

The contract every detector's ``eval.py ... real_set=DIR`` shares: paths are relative to DIR (or
absolute), labels must be among the detector's classes, and every problem names its row.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ManifestRow:
    line: int  # 1-based line number in manifest.csv (the header is line 1)
    path: Path
    label: str
    start_s: float | None = None
    end_s: float | None = None
    extra: tuple[tuple[str, str], ...] = ()

    def where(self, manifest: Path) -> str:
        return f"{manifest}:{self.line} ({self.path.name})"


def read_manifest(
    root: str | Path,
    classes: Sequence[str],
    required: Sequence[str] = ("path", "label"),
) -> tuple[Path, list[ManifestRow]]:
    root = Path(root)
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        raise FileNotFoundError(
            f"real_set: {manifest} not found (expected columns path,label[,start_s,end_s])"
        )
    with open(manifest, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(f"{manifest}: missing column(s) {missing}; found {header}")
        rows: list[ManifestRow] = []
        for line, raw in enumerate(reader, start=2):
            rec = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
            if not any(rec.values()):
                continue
            label = rec["label"]
            if label not in classes:
                raise ValueError(
                    f"{manifest}:{line}: unknown label '{label}'; expected one of {list(classes)}"
                )
            rel = rec["path"]
            if not rel:
                raise ValueError(f"{manifest}:{line}: empty path")
            path = Path(rel) if Path(rel).is_absolute() else root / rel
            if not path.is_file():
                raise FileNotFoundError(f"{manifest}:{line}: file not found: {path}")
            start = _seconds(rec.get("start_s"), manifest, line, "start_s")
            end = _seconds(rec.get("end_s"), manifest, line, "end_s")
            if start is not None and end is not None and end <= start:
                raise ValueError(f"{manifest}:{line}: end_s={end} must be greater than start_s={start}")
            extra = tuple((k, v) for k, v in rec.items() if k not in ("path", "label", "start_s", "end_s"))
            rows.append(ManifestRow(line, path, label, start, end, extra))
    if not rows:
        raise ValueError(f"{manifest}: no rows")
    return manifest, rows


def _seconds(value: str | None, manifest: Path, line: int, column: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except ValueError:
        raise ValueError(f"{manifest}:{line}: {column}='{value}' is not a number of seconds") from None
    if out < 0:
        raise ValueError(f"{manifest}:{line}: {column}={out} is negative")
    return out


_SPAN = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*-\s*(\d+(?:\.\d*)?)\s*$")


def parse_spans(
    text: str, where: str, column: str, seconds: bool
) -> list[tuple[float, float]] | list[tuple[int, int]]:
    """``start-end;start-end`` spans of a manifest cell (end exclusive), empty text for none.

    ``seconds`` spans are floats; otherwise they are whole frames. Errors name ``where`` and ``column``.
    """
    if not text.strip():
        return []
    unit = "seconds" if seconds else "frames"
    spans: list = []
    for part in text.split(";"):
        match = _SPAN.match(part)
        if match is None or (not seconds and ("." in match[1] or "." in match[2])):
            raise ValueError(f"{where}: {column}='{text}' is not start-end;start-end ({unit}, end exclusive)")
        start, end = (float(match[1]), float(match[2])) if seconds else (int(match[1]), int(match[2]))
        if end <= start:
            raise ValueError(f"{where}: span {part.strip()} in {column}='{text}' must end after it starts")
        spans.append((start, end))
    return spans
