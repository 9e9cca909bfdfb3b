"""Block corruption: lost or damaged macroblocks as a decoder shows transmission errors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from synth.core import FrameMeta, Target, integer, uniform
from synth.video import functional as F
from synth.video.base import FrameDefect, check_frame

BLOCK_SIZES = (8, 16)


@dataclass(frozen=True)
class BlockCorruption(FrameDefect):
    """Grid-aligned corrupted macroblocks: wrong prediction, concealment, smeared slices, bad DCT.

    ``block_px_choices`` (8 or 16 px) is the grid every hit is aligned to. A frame gets
    ``hits_range`` (1-4) hits, each of a mode from ``mode_choices``:

    - ``displaced``: a cluster predicted with a wrong motion vector from the current frame,
      ``displace_px_range`` (8-96 px) away in a random direction;
    - ``previous``: a cluster copied from the previous frame (frame-copy concealment), co-located
      with probability ``previous_colocated_prob`` (0.5), else offset by
      ``previous_offset_px_range`` (4-32 px); ``displaced`` when there is no previous frame.
      Both copy modes blend in the clean block by ``1 - blend`` with ``blend_range`` (0.5-1): a
      bi-predicted block with one bad reference;
    - ``constant``: a cluster concealed by a flat colour from ``colour_choices``: mid-grey, the green
      of a zeroed YUV buffer, or the DC colour of the block before it in raster order;
    - ``smear``: from the hit block to the end of its slice row, plus a fraction
      ``smear_rest_ratio_range`` (0-1, drawn as u**2: most smears stay within a row or two, some
      run to the bottom) of the block rows below, smeared in a style from ``smear_style_choices``
      (last good row or column repeated, or each block row stretched down from its first
      ``smear_stretch_rows_range`` (1-4) pixel rows);
    - ``dct``: wrong large coefficients added to every 8x8 transform block of a cluster, patterns
      from ``dct_pattern_choices`` (checkerboards, stripes, random bases, DC shifts), peak
      amplitude ``dct_level_range`` (40-140 levels), on the plane from ``dct_plane_choices``
      (luma: grey patterns; U or V: coloured ones).

    Clusters are ``cluster_blocks_range`` (1-6) blocks high and wide (independently).

    Visibility is guaranteed: pixels changed by less than ``min_pixel_change_levels`` (3) are
    restored, so the mask is exactly the changed pixels; a draw whose mask covers less than
    ``min_area_ratio`` (0.5 %) of the frame, or changes it by less than ``min_mean_change_levels``
    (16) on average inside the mask, is redrawn (``max_attempts`` times) and finally replaced by a
    flat grey or green cluster of at least 1.5 x the minimum area (see DEFECTS.md).
    """

    label: ClassVar[str] = "corrupted"
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "hits_range": (1, 64),
        "cluster_blocks_range": (1, 256),
        "displace_px_range": (1.0, 4096.0),
        "previous_offset_px_range": (0.0, 4096.0),
        "blend_range": (0.1, 1.0),
        "smear_rest_ratio_range": (0.0, 1.0),
        "smear_stretch_rows_range": (1, 16),
        "dct_level_range": (1.0, 1024.0),
    }

    block_px_choices: tuple[int, ...] = BLOCK_SIZES
    mode_choices: tuple[str, ...] = F.MODES
    hits_range: tuple[int, int] = (1, 4)
    cluster_blocks_range: tuple[int, int] = (1, 6)
    displace_px_range: tuple[float, float] = (8.0, 96.0)
    previous_colocated_prob: float = 0.5
    previous_offset_px_range: tuple[float, float] = (4.0, 32.0)
    blend_range: tuple[float, float] = (0.5, 1.0)
    colour_choices: tuple[str, ...] = F.COLOURS
    smear_style_choices: tuple[str, ...] = F.SMEAR_STYLES
    smear_rest_ratio_range: tuple[float, float] = (0.0, 1.0)
    smear_stretch_rows_range: tuple[int, int] = (1, 4)
    dct_pattern_choices: tuple[str, ...] = F.DCT_PATTERNS
    dct_plane_choices: tuple[str, ...] = F.DCT_PLANES
    dct_level_range: tuple[float, float] = (40.0, 140.0)
    min_pixel_change_levels: int = 3
    min_area_ratio: float = 0.005
    min_mean_change_levels: float = 16.0
    max_attempts: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        allowed = {
            "block_px_choices": BLOCK_SIZES,
            "mode_choices": F.MODES,
            "colour_choices": F.COLOURS,
            "smear_style_choices": F.SMEAR_STYLES,
            "dct_pattern_choices": F.DCT_PATTERNS,
            "dct_plane_choices": F.DCT_PLANES,
        }
        for field_name, options in allowed.items():
            unknown = [v for v in getattr(self, field_name) if v not in options]
            if unknown:
                raise ValueError(
                    f"{name}.{field_name} has unknown values {unknown}; expected some of {options}"
                )
        object.__setattr__(self, "block_px_choices", tuple(int(b) for b in self.block_px_choices))
        scalars = {
            "previous_colocated_prob": (0.0, 1.0),
            "min_pixel_change_levels": (1, 64),
            "min_area_ratio": (0.0, 0.25),
            "min_mean_change_levels": (0.0, 48.0),
            "max_attempts": (1, 100),
        }
        for field_name, (lo, hi) in scalars.items():
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ValueError(f"{name}.{field_name}={value!r} must be a number in [{lo}, {hi}]")

    def sample_params(self, rng: np.random.Generator, meta: FrameMeta) -> dict[str, Any]:
        block_px = int(self.block_px_choices[int(rng.integers(len(self.block_px_choices)))])
        count = integer(rng, self.hits_range)
        return {"block_px": block_px, "hits": [self._sample_hit(rng, meta) for _ in range(count)]}

    def _sample_hit(self, rng: np.random.Generator, meta: FrameMeta) -> dict[str, Any]:
        mode = str(self.mode_choices[int(rng.integers(len(self.mode_choices)))])
        if mode == "previous" and meta.previous is None:
            mode = "displaced"  # the first frame of a shot has nothing to copy from
        hit: dict[str, Any] = {"mode": mode, "row": float(rng.random()), "col": float(rng.random())}
        if mode != "smear":
            hit["rows"] = integer(rng, self.cluster_blocks_range)
            hit["cols"] = integer(rng, self.cluster_blocks_range)
        if mode in ("displaced", "previous"):
            if mode == "previous" and rng.random() < self.previous_colocated_prob:
                length = 0.0
            else:
                length = uniform(
                    rng, self.displace_px_range if mode == "displaced" else self.previous_offset_px_range
                )
            angle = uniform(rng, (0.0, 2.0 * math.pi))
            hit["dy"] = int(round(length * math.sin(angle)))
            hit["dx"] = int(round(length * math.cos(angle)))
            hit["blend"] = uniform(rng, self.blend_range)
        elif mode == "constant":
            hit["colour"] = str(self.colour_choices[int(rng.integers(len(self.colour_choices)))])
        elif mode == "smear":
            hit["style"] = str(self.smear_style_choices[int(rng.integers(len(self.smear_style_choices)))])
            lo, hi = self.smear_rest_ratio_range
            hit["rest_ratio"] = float(lo + (hi - lo) * rng.random() ** 2)
            hit["stretch_rows"] = integer(rng, self.smear_stretch_rows_range)
        else:  # dct
            hit["pattern"] = str(self.dct_pattern_choices[int(rng.integers(len(self.dct_pattern_choices)))])
            hit["plane"] = str(self.dct_plane_choices[int(rng.integers(len(self.dct_plane_choices)))])
            hit["level"] = uniform(rng, self.dct_level_range)
            hit["seed"] = int(rng.integers(2**31))
        return hit

    def apply(self, frame: np.ndarray, params: dict[str, Any], meta: FrameMeta) -> tuple[np.ndarray, Target]:
        check_frame(frame)
        previous = meta.previous
        if previous is not None:
            check_frame(previous, "meta.previous")
            if previous.shape != frame.shape:
                raise ValueError(f"meta.previous has shape {previous.shape}, the frame {frame.shape}")
        block_px = int(params["block_px"])
        if block_px not in BLOCK_SIZES:
            raise ValueError(f"block_px must be one of {BLOCK_SIZES}, got {block_px}")
        out, mask = F.corrupt_blocks(frame, previous, block_px, params["hits"], self.min_pixel_change_levels)
        height, width = frame.shape[:2]
        area = float(mask.mean())
        change = float(F.change_levels(frame, out).sum(dtype=np.int64) / mask.sum()) if area > 0 else 0.0
        stats = {
            "area_ratio": area,
            "mean_change_levels": change,
            "visible": bool(
                area > 0 and area >= self.min_area_ratio and change >= self.min_mean_change_levels
            ),
            "block_px": block_px,
            "modes": [hit["mode"] for hit in params["hits"]],
            "boxes": [[list(b) for b in F.hit_boxes(hit, block_px, height, width)] for hit in params["hits"]],
        }
        return out, Target(label=self.label, params=params, stats=stats, mask=mask)

    def __call__(
        self, frame: np.ndarray, rng: np.random.Generator, meta: FrameMeta
    ) -> tuple[np.ndarray, Target]:
        """Draw until the corruption is visible (see the class doc); ``stats["attempts"]`` counts draws."""
        check_frame(frame)
        for attempt in range(1, self.max_attempts + 1):
            out, target = self.apply(frame, self.sample_params(rng, meta), meta)
            if target.stats["visible"]:
                target.stats["attempts"] = attempt
                return out, target
        out, target = max(
            (self.apply(frame, params, meta) for params in self._fallback_params(rng, frame.shape[:2])),
            key=lambda result: result[1].stats["mean_change_levels"],
        )
        target.stats["attempts"] = self.max_attempts + 1
        return out, target

    def _fallback_params(self, rng: np.random.Generator, shape: tuple[int, int]) -> list[dict[str, Any]]:
        """A flat grey and a flat green cluster of >= 1.5 x the minimum area; the caller keeps the more visible.

        One of the two always moves a pixel by >= 64 levels in some channel (their red channels
        are 128 apart), so the better one has a mean change of at least 64.
        """
        height, width = shape
        block_px = int(self.block_px_choices[int(rng.integers(len(self.block_px_choices)))])
        blocks = max(1, math.ceil(1.5 * self.min_area_ratio * height * width / block_px**2))
        rows, cols = F.grid(height, width, block_px)
        side_r = min(rows, max(1, math.ceil(math.sqrt(blocks))))
        side_c = min(cols, max(1, math.ceil(blocks / side_r)))
        row = float((rng.integers(rows - side_r + 1) + 0.5) / rows)  # block centres: no rounding surprises
        col = float((rng.integers(cols - side_c + 1) + 0.5) / cols)
        hit = {"mode": "constant", "row": row, "col": col, "rows": side_r, "cols": side_c}
        return [{"block_px": block_px, "hits": [{**hit, "colour": c}]} for c in ("grey", "green")]
