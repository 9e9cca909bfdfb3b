"""Pristine audio from a folder of the user's own audio or video files, split by file."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synth.core import SPLITS, split_id

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aif", ".aiff", ".wma")
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


class FolderAudio:
    """An :class:`~synth.audio.base.AudioSource` over every audio/video file under ``root``.

    Files are assigned to train/val/test by a hash of their path relative to ``root`` (see
    :func:`split_of`), so splits never share a file and adding files never moves the others.
    Files are decoded lazily with :func:`synth.media.load_audio` (mono, resampled to
    ``sample_rate``) the first time they are picked, and kept in memory. A file that cannot be
    decoded is skipped with a warning naming it (it is recorded in ``unreadable``) and the next
    readable file of the same split is used instead, so a bad file never stops a run; a split
    whose files are all unreadable raises ``ValueError``. Files shorter than a segment are placed
    at a random position and zero-padded.
    """

    def __init__(
        self,
        root: str | Path,
        sample_rate: int,
        split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
        extensions: Sequence[str] = AUDIO_EXTENSIONS + VIDEO_EXTENSIONS,
    ) -> None:
        self.root = Path(root).expanduser()
        self.sample_rate = int(sample_rate)
        fractions = tuple(float(f) for f in split_fractions)
        if len(fractions) != len(SPLITS) or any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
            raise ValueError(
                f"FolderAudio.split_fractions must be {len(SPLITS)} non-negative numbers summing to 1 "
                f"(train, val, test), got {list(split_fractions)}"
            )
        if not self.root.is_dir():
            raise ValueError(f"FolderAudio root {str(self.root)!r} is not a folder")
        wanted = {e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions}
        files = sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and p.suffix.lower() in wanted and not p.name.startswith(".")
        )
        if not files:
            raise ValueError(
                f"FolderAudio found no audio or video files under {str(self.root)!r} "
                f"(extensions {sorted(wanted)})"
            )
        self.split_fractions = fractions
        self.files: dict[str, list[str]] = {name: [] for name in SPLITS}
        for rel in files:
            self.files[split_of(rel, fractions)].append(rel)
        self.unreadable: dict[str, str] = {}
        self._cache: dict[str, np.ndarray] = {}

    def _counts(self) -> str:
        return ", ".join(f"{name} {len(self.files[name])}" for name in SPLITS)

    def _decode(self, rel: str) -> np.ndarray | None:
        if rel in self._cache:
            return self._cache[rel]
        if rel in self.unreadable:
            return None
        from synth.media import MediaError, load_audio

        try:
            audio = load_audio(self.root / rel, self.sample_rate)
        except MediaError as exc:
            self.unreadable[rel] = str(exc)
            warnings.warn(f"FolderAudio skips an unreadable file: {exc}", stacklevel=3)
            return None
        audio = np.asarray(audio, dtype=np.float32).reshape(1, -1)
        if audio.shape[1] == 0:
            self.unreadable[rel] = "no audio samples"
            warnings.warn(
                f"FolderAudio skips {str(self.root / rel)!r}: it has no audio samples", stacklevel=3
            )
            return None
        self._cache[rel] = audio
        return audio

    def segment(
        self, rng: np.random.Generator, split: str, num_samples: int, sample_rate: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        split_id(split)
        if int(sample_rate) != self.sample_rate:
            raise ValueError(
                f"FolderAudio({str(self.root)!r}) decodes at {self.sample_rate} Hz, "
                f"asked for {sample_rate} Hz"
            )
        n = int(num_samples)
        if n <= 0:
            raise ValueError(f"num_samples must be > 0, got {num_samples}")
        files = self.files[split]
        if not files:
            raise ValueError(
                f"FolderAudio({str(self.root)!r}) has no file in split {split!r}: its "
                f"{sum(len(v) for v in self.files.values())} files split as {self._counts()} "
                f"with split_fractions {list(self.split_fractions)}; add files or change the fractions"
            )
        first = int(rng.integers(len(files)))
        where = float(rng.random())
        for k in range(len(files)):  # the drawn file, or the next readable one of the split
            rel = files[(first + k) % len(files)]
            audio = self._decode(rel)
            if audio is not None:
                break
        else:
            raise ValueError(
                f"FolderAudio({str(self.root)!r}): none of the {len(files)} files of split {split!r} "
                f"can be decoded: {sorted(rel for rel in files if rel in self.unreadable)}"
            )
        length = audio.shape[1]
        out = np.zeros((1, n), dtype=np.float32)
        if length >= n:
            offset = int(where * (length - n + 1))
            out[:] = audio[:, offset : offset + n]
            placed = -offset
        else:
            placed = int(where * (n - length + 1))
            out[:, placed : placed + length] = audio
        info = {
            "source": "folder",
            "file": rel,
            "split": split,
            "offset_s": round(-placed / self.sample_rate, 6),
            "file_duration_s": round(length / self.sample_rate, 6),
        }
        return out, info
