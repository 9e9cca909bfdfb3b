"""Pristine audio from a folder of the user's own audio or video files, split by file."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synth.core import SPLITS, split_id
from synth.folders import VIDEO_EXTENSIONS, split_folder

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aif", ".aiff", ".wma")


class FolderAudio:
    """An :class:`~synth.audio.base.AudioSource` over every audio/video file under ``root``.

    Files are assigned to train/val/test by a hash of their path relative to ``root`` (see
    :func:`synth.folders.split_of`), so splits never share a file and adding files never moves the others.
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
        self.split_fractions, self.files = split_folder(
            self.root, extensions, split_fractions, "FolderAudio", "audio or video"
        )
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
