"""Video-specific pieces of the defect contract: the frame layout check and the source protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from synth.core import Defect


def _check_rgb(array: np.ndarray, layout: str, where: str) -> None:
    """``array`` must be C-contiguous uint8 with ``len(layout)`` axes, a last axis of 3 and no empty axis."""
    ndim = len(layout)
    ok = (
        isinstance(array, np.ndarray)
        and array.ndim == ndim
        and array.shape[-1] == 3
        and min(array.shape[:-1]) > 0
        and array.dtype == np.uint8
        and array.flags.c_contiguous
    )
    if not ok:
        shape = getattr(array, "shape", None)
        dtype = getattr(array, "dtype", type(array).__name__)
        flags = getattr(array, "flags", None)
        contiguous = bool(flags.c_contiguous) if flags is not None else None
        raise ValueError(
            f"{where} must be a C-contiguous uint8 RGB array ({', '.join(layout)}), "
            f"got shape={shape} dtype={dtype} c_contiguous={contiguous}"
        )


def check_frame(frame: np.ndarray, where: str = "frame") -> None:
    """Frames cross every boundary as C-contiguous uint8 RGB ``(H, W, 3)`` with H, W > 0."""
    _check_rgb(frame, ("H", "W", "3"), where)


def check_clip(clip: np.ndarray, where: str = "clip") -> None:
    """Clips cross every boundary as C-contiguous uint8 RGB ``(T, H, W, 3)`` with T, H, W > 0."""
    _check_rgb(clip, ("T", "H", "W", "3"), where)


def check_classes(classes: Sequence[str], defect_label: str, clean: str) -> tuple[str, ...]:
    """A synthesiser's classes: non-empty, each the clean label or its defect's label."""
    classes = tuple(str(c) for c in classes)
    allowed = (clean, defect_label)
    if not classes or any(c not in allowed for c in classes):
        raise ValueError(f"classes must be drawn from {list(allowed)}, got {list(classes)}")
    return classes


def check_frame_size(height: int, width: int, minimum: int = 8) -> None:
    if int(height) < minimum or int(width) < minimum:
        raise ValueError(f"frames must be at least {minimum} x {minimum} pixels, got {height} x {width}")


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
