"""Tiny real media files for tests, written through soundfile and PyAV (no fixtures on disk)."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
import soundfile as sf

LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}


def tone(freq: float, seconds: float, sr: int, amplitude: float = 0.5) -> np.ndarray:
    """A sine as float32 ``(1, n)``."""
    t = np.arange(int(round(seconds * sr))) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)[None, :]


def write_wav(path: str | os.PathLike, audio: np.ndarray, sr: int, subtype: str = "FLOAT") -> Path:
    """Write float32 ``(channels, n)`` audio as WAV (32-bit float unless ``subtype`` says otherwise)."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    sf.write(os.fspath(path), audio.T, sr, subtype=subtype, format="WAV")
    return Path(path)


def write_mp4(
    path: str | os.PathLike,
    seconds: float,
    fps: int = 25,
    size: tuple[int, int] = (64, 48),
    audio: np.ndarray | None = None,
    sample_rate: int = 48000,
    audio_codec: str = "aac",
    video: bool = True,
    faststart: bool = False,
) -> Path:
    """A real H.264 (+ ``audio_codec``) file; the container follows the suffix (.mp4, .m4a, .mkv, .mp3).

    ``audio`` is float32 ``(1|2|6, n)`` at ``sample_rate`` or None for a video-only file;
    ``video=False`` gives an audio-only file. ``faststart`` puts the index first (as streaming
    services do), which lets a truncated file be partly decoded.
    """
    if not video and audio is None:
        raise ValueError("a file needs a video or an audio stream")
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(os.fspath(path), "w", options=options) as container:
        vstream = None
        if video:
            vstream = container.add_stream("libx264", rate=fps)
            vstream.width, vstream.height = size
            vstream.pix_fmt = "yuv420p"
        astream, layout = None, None
        if audio is not None:
            audio = np.ascontiguousarray(audio, dtype=np.float32)
            layout = LAYOUTS[audio.shape[0]]
            astream = container.add_stream(audio_codec, rate=sample_rate, layout=layout)
        if vstream is not None:
            width, height = size
            ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :]
            for i in range(int(round(seconds * fps))):
                image = np.empty((height, width, 3), dtype=np.uint8)
                image[..., 0] = ((ramp + 8 * i) % 256).astype(np.uint8)
                image[..., 1] = (37 * i) % 256
                image[..., 2] = np.arange(height, dtype=np.uint8)[:, None] * 4
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                container.mux(vstream.encode(frame))
            container.mux(vstream.encode(None))
        if astream is not None:
            block = 1024
            for start in range(0, audio.shape[1], block):
                chunk = np.ascontiguousarray(audio[:, start : start + block])
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
                frame.sample_rate = sample_rate
                frame.pts = start
                container.mux(astream.encode(frame))
            container.mux(astream.encode(None))
    return Path(path)


def write_manifest(root: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    """A labelled folder ``root`` (created) holding ``manifest.csv`` with ``header`` and ``rows``."""
    root.mkdir()
    with open(root / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([list(header), *rows])
    return root
