"""Pristine frames from a folder of the user's own pictures and videos, split by file."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from synth.core import SPLITS, split_id
from synth.folders import VIDEO_EXTENSIONS, split_folder
from synth.video.sources.camera import MIRROR_PROB, Picture, film

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_CROP_RANGE = (0.6, 1.0)  # crop side as a fraction of the largest crop of the frame's aspect


class FolderFrames:
    """A :class:`~synth.video.base.FrameSource` over every picture and video under ``root``.

    Files are assigned to train/val/test by a hash of their path relative to ``root`` (the same
    rule as :class:`~synth.audio.sources.FolderAudio`), never by frame, so a split never sees
    another split's file. Pictures are filmed by the virtual camera (pan, zoom, roll, mirror);
    videos give their own consecutive frames: ``video_frames`` of them decoded with PyAV from 30 %
    into the file (or its start), under one random crop. Decoded files are scaled to at most
    ``max_side_px`` and the last ``cache_files`` kept in memory. A file that cannot be decoded
    raises ``ValueError`` with a one-line message naming it.
    """

    def __init__(
        self,
        root: str | Path,
        split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
        extensions: Sequence[str] = IMAGE_EXTENSIONS + VIDEO_EXTENSIONS,
        video_frames: int = 16,
        max_side_px: int = 1024,
        cache_files: int = 64,
    ) -> None:
        self.root = Path(root).expanduser()
        if int(video_frames) < 2 or int(max_side_px) < 16 or int(cache_files) < 1:
            raise ValueError(
                f"FolderFrames needs video_frames >= 2, max_side_px >= 16 and cache_files >= 1, "
                f"got {video_frames}, {max_side_px}, {cache_files}"
            )
        self.split_fractions, self.files = split_folder(
            self.root, extensions, split_fractions, "FolderFrames", "picture or video"
        )
        self.video_frames = int(video_frames)
        self.max_side_px = int(max_side_px)
        self.cache_files = int(cache_files)
        self._cache: OrderedDict[tuple[str, int], Picture | np.ndarray] = OrderedDict()

    # ------------------------------------------------------------------------------------ decoding

    def is_video(self, rel: str) -> bool:
        return Path(rel).suffix.lower() not in IMAGE_EXTENSIONS

    def load(self, rel: str, min_frames: int = 2) -> Picture | np.ndarray:
        """A picture, or a video's uint8 ``(T, H, W, 3)`` frames (at least ``min_frames`` if it has them)."""
        count = max(self.video_frames, int(min_frames)) if self.is_video(rel) else 0
        key = (rel, count)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        path = self.root / rel
        try:
            item = (
                _read_video(path, count, self.max_side_px)
                if count
                else Picture(_read_image(path, self.max_side_px))
            )
        except ValueError as exc:
            raise ValueError(f"FolderFrames cannot read {str(path)!r}: {_one_line(exc)}") from None
        self._cache[key] = item
        while len(self._cache) > self.cache_files:
            self._cache.popitem(last=False)
        return item

    def _pick(self, rng: np.random.Generator, split: str) -> str:
        split_id(split)
        files = self.files[split]
        if not files:
            counts = ", ".join(f"{name} {len(self.files[name])}" for name in SPLITS)
            raise ValueError(
                f"FolderFrames({str(self.root)!r}) has no file in split {split!r}: its files split as "
                f"{counts} with split_fractions {list(self.split_fractions)}; add files or change the fractions"
            )
        return files[int(rng.integers(len(files)))]

    # -------------------------------------------------------------------------------------- frames

    def frames(
        self, rng: np.random.Generator, split: str, height: int, width: int
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        out, info = self.clip(rng, split, 2, height, width)
        return out[0], out[1], info

    def clip(
        self, rng: np.random.Generator, split: str, num_frames: int, height: int, width: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        num_frames = int(num_frames)
        if num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {num_frames}")
        rel = self._pick(rng, split)
        item = self.load(rel, num_frames)
        if isinstance(item, Picture):
            frames, camera = film(item, rng, num_frames, height, width)
            return frames, {"source": "folder", "content": "folder:image", "file": rel, **camera}
        total = len(item)
        start = int(rng.integers(max(total - num_frames, 0) + 1))
        index = np.arange(start, start + num_frames)
        if total < num_frames:  # a short video plays forwards and backwards
            period = 2 * (total - 1)
            index = np.abs((index + period // 2) % period - period // 2) if period else np.zeros_like(index)
        frames = _crop_resize(item[index], rng, height, width)
        info = {
            "source": "folder",
            "content": "folder:video",
            "file": rel,
            "frame": start,
            "looped": total < num_frames,
        }
        return frames, info


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _fit(h: int, w: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(h, w))
    return max(1, int(round(h * scale))), max(1, int(round(w * scale)))


def _read_image(path: Path, max_side: int) -> np.ndarray:
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise ValueError(_one_line(exc)) from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ValueError("not a decodable picture")
    h, w = _fit(image.shape[0], image.shape[1], max_side)
    if (h, w) != image.shape[:2]:
        image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def _read_video(path: Path, count: int, max_side: int) -> np.ndarray:
    """``count`` consecutive frames (fewer if the file is shorter) from 30 % into the video, else its start."""
    import av

    def decode(seek: bool) -> list[np.ndarray]:
        frames: list[np.ndarray] = []
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ValueError("has no video stream")
            stream = container.streams.video[0]
            if seek and container.duration:
                container.seek(int(container.duration * 0.3))
            for frame in container.decode(stream):
                h, w = _fit(frame.height, frame.width, max_side)
                frames.append(frame.to_ndarray(width=w, height=h, format="rgb24"))
                if len(frames) >= count:
                    break
        return frames

    try:
        frames = decode(seek=True)
        if len(frames) < count:
            frames = decode(seek=False)
    except (av.error.FFmpegError, OSError, EOFError, RuntimeError) as exc:
        raise ValueError(_one_line(exc)) from None
    if len(frames) < 1:
        raise ValueError("has no decodable video frame")
    return np.ascontiguousarray(np.stack(frames))


def _crop_resize(frames: np.ndarray, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """One random crop of the output's aspect ratio (and maybe a mirror) over all frames, resized."""
    fh, fw = frames.shape[1:3]
    aspect = height / width
    ch, cw = (fh, fh / aspect) if fh / aspect <= fw else (fw * aspect, fw)
    side = rng.uniform(*VIDEO_CROP_RANGE)
    ch, cw = max(1, int(math.floor(ch * side))), max(1, int(math.floor(cw * side)))
    y0, x0 = int(rng.integers(fh - ch + 1)), int(rng.integers(fw - cw + 1))
    mirror = bool(rng.random() < MIRROR_PROB)
    interp = cv2.INTER_AREA if ch > height else cv2.INTER_LINEAR
    out = np.empty((len(frames), height, width, 3), dtype=np.uint8)
    for t, frame in enumerate(frames):
        crop = frame[y0 : y0 + ch, x0 : x0 + cw]
        resized = cv2.resize(crop, (width, height), interpolation=interp)
        out[t] = cv2.flip(resized, 1) if mirror else resized
    return out
