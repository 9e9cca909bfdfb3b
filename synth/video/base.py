"""Video-specific pieces of the defect contract: the frame layout check and the source protocol."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from synth.core import Defect


def check_frame(frame: np.ndarray, where: str = "frame") -> None:
    """Frames cross every boundary as C-contiguous uint8 RGB ``(H, W, 3)`` with H, W > 0."""
    ok = (
        isinstance(frame, np.ndarray)
        and frame.ndim == 3
        and frame.shape[2] == 3
        and frame.shape[0] > 0
        and frame.shape[1] > 0
        and frame.dtype == np.uint8
        and frame.flags.c_contiguous
    )
    if not ok:
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", type(frame).__name__)
        flags = getattr(frame, "flags", None)
        contiguous = bool(flags.c_contiguous) if flags is not None else None
        raise ValueError(
            f"{where} must be a C-contiguous uint8 RGB array (H, W, 3), "
            f"got shape={shape} dtype={dtype} c_contiguous={contiguous}"
        )


def check_clip(clip: np.ndarray, where: str = "clip") -> None:
    """Clips cross every boundary as C-contiguous uint8 RGB ``(T, H, W, 3)`` with T, H, W > 0."""
    ok = (
        isinstance(clip, np.ndarray)
        and clip.ndim == 4
        and clip.shape[3] == 3
        and min(clip.shape[:3]) > 0
        and clip.dtype == np.uint8
        and clip.flags.c_contiguous
    )
    if not ok:
        shape = getattr(clip, "shape", None)
        dtype = getattr(clip, "dtype", type(clip).__name__)
        flags = getattr(clip, "flags", None)
        contiguous = bool(flags.c_contiguous) if flags is not None else None
        raise ValueError(
            f"{where} must be a C-contiguous uint8 RGB array (T, H, W, 3), "
            f"got shape={shape} dtype={dtype} c_contiguous={contiguous}"
        )


class FrameDefect(Defect):
    """A defect over one uint8 RGB ``(H, W, 3)`` frame; ``meta`` is a :class:`synth.core.FrameMeta`.

    ``apply`` returns the new frame and a Target whose ``mask`` is float32 ``(H, W)`` in {0, 1}.
    """


class FrameSource(Protocol):
    """Pristine frames. Both methods draw only from ``rng`` and depend on nothing else mutable.

    ``info`` is a small JSON-able dict; it always has ``"content"`` (e.g. ``"crowd"``,
    ``"photo:astronaut"``) and ``"source"``.
    """

    def frames(
        self, rng: np.random.Generator, split: str, height: int, width: int
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """``(previous, frame, info)``: two consecutive frames of one shot, camera motion between them."""
        ...

    def clip(
        self, rng: np.random.Generator, split: str, num_frames: int, height: int, width: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """uint8 ``(num_frames, H, W, 3)`` consecutive frames of one shot with smooth pan/zoom."""
        ...
