"""Pristine frames from the photographs that ship inside scikit-image (no network needed)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from synth.core import SPLITS, split_id
from synth.video.sources.camera import FilmedSource, Picture

# The scikit-image data images bundled with the wheel (checked offline with scikit-image 0.26):
# photographs, microscopy, astronomy, textures and a few graphics. Images that need a download
# (brain, cells3d, eagle, kidney, lily, skin, ...) and synthetic masks (binary_blobs, horse,
# checkerboard, shepp_logan_phantom) are left out.
SKIMAGE_IMAGES = (
    "astronaut",
    "brick",
    "camera",
    "cat",
    "cell",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "colorwheel",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "logo",
    "moon",
    "motorcycle",
    "page",
    "retina",
    "rocket",
    "text",
)


def load_skimage(name: str) -> np.ndarray:
    """One bundled scikit-image picture as uint8 RGB ``(H, W, 3)``; a clear error if it cannot load."""
    try:
        import skimage.data
    except ImportError as exc:
        raise ValueError(f"SkimageFrames needs scikit-image: {exc}") from None
    loader = getattr(skimage.data, "stereo_motorcycle" if name == "motorcycle" else name, None)
    if loader is None:
        raise ValueError(f"skimage.data has no image {name!r}")
    try:
        image = loader()
    except Exception as exc:  # a missing optional download backend, a broken install
        raise ValueError(
            f"skimage.data.{name} cannot be loaded offline: {type(exc).__name__}: {exc}"
        ) from None
    if name == "motorcycle":
        image = image[0]  # the left view of the stereo pair
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"skimage.data.{name} is {image.dtype}, not an 8-bit picture")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    elif image.shape[2] == 4:  # RGBA over white
        alpha = image[..., 3:].astype(np.float32) / 255.0
        image = (image[..., :3] * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(image[..., :3])


def rank_splits(names: Sequence[str], split_fractions: Sequence[float], owner: str) -> dict[str, list[str]]:
    """Names ordered by a hash of the name, cut into train/val/test by the fractions.

    Every split with a positive fraction gets at least one name; the assignment depends only on
    the names, never on a seed.
    """
    fractions = [float(f) for f in split_fractions]
    if len(fractions) != len(SPLITS) or any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(
            f"{owner}.split_fractions must be {len(SPLITS)} non-negative numbers summing to 1 "
            f"(train, val, test), got {list(split_fractions)}"
        )
    order = sorted(names, key=lambda n: hashlib.sha1(n.encode("utf-8")).hexdigest())
    wanted = sum(f > 0 for f in fractions)
    if len(order) < wanted:
        raise ValueError(
            f"{owner} needs at least {wanted} images for the splits {fractions}, got {len(order)}"
        )
    held = [max(1, round(f * len(order))) if f > 0 else 0 for f in fractions[1:]]
    counts = [len(order) - sum(held), *held]
    if fractions[0] > 0 and counts[0] < 1:
        raise ValueError(f"{owner}: {len(order)} images are too few for the splits {fractions}")
    out, start = {}, 0
    for name, count in zip(sorted(SPLITS, key=SPLITS.get), counts):
        out[name] = order[start : start + count]
        start += count
    return out


class SkimageFrames(FilmedSource):
    """A :class:`~synth.video.base.FrameSource` over the photos bundled with scikit-image.

    The images (``names``, default :data:`SKIMAGE_IMAGES`) are split by a hash of their name
    (:func:`rank_splits`, 70/15/15 %: about 15/3/3 images), loaded on first use and filmed by a
    virtual camera (random crop, zoom, roll, mirror, smooth pan). ``info["content"]`` is
    ``"photo:<name>"``.
    """

    def __init__(
        self, names: Sequence[str] | None = None, split_fractions: Sequence[float] = (0.7, 0.15, 0.15)
    ) -> None:
        names = list(SKIMAGE_IMAGES if names is None else names)
        unknown = [n for n in names if n not in SKIMAGE_IMAGES]
        if unknown:
            raise ValueError(
                f"SkimageFrames.names has unknown images {unknown}; expected some of {SKIMAGE_IMAGES}"
            )
        if len(set(names)) != len(names):
            raise ValueError(f"SkimageFrames.names has duplicates: {names}")
        self.splits = rank_splits(names, split_fractions, "SkimageFrames")
        self._pictures: dict[str, Picture] = {}

    def picture(self, name: str) -> Picture:
        if name not in self._pictures:
            self._pictures[name] = Picture(load_skimage(name))
        return self._pictures[name]

    def _pick(
        self, rng: np.random.Generator, split: str, height: int, width: int
    ) -> tuple[Picture, dict[str, Any]]:
        split_id(split)
        names = self.splits[split]
        if not names:
            raise ValueError(f"SkimageFrames has no image in split {split!r}: {self.splits}")
        name = names[int(rng.integers(len(names)))]
        return self.picture(name), {"source": "skimage", "content": f"photo:{name}"}
