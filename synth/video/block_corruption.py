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
      (luma: grey patterns; U or V: coloured ones);
    - ``border``: a motion vector far outside the picture: ``border_depth_blocks_range`` (1-3)
      blocks in from a frame edge and ``border_length_blocks_range`` (2-8) blocks along it, the
      reference's edge pixels streak across (horizontal streaks at the left/right edge, chosen with
      probability ``border_side_prob`` (0.75), else vertical ones at the top/bottom), with chroma
      from ``border_chroma_choices``: the edge colours, a chroma shift, or a random chroma offset
      per stripe of ``border_stripe_px_range`` (1-8 px): rainbow stripes;
    - ``chroma``: right luma, wrong colour, in a style from ``chroma_style_choices``: chroma read
      ``chroma_displace_px_range`` (2-24 px) away (short vectors bleed colour past object edges),
      or shifted by ``chroma_shift_levels_range`` (24-80 levels) in a random U/V direction (that
      range also sets the ``border`` chroma shifts and stripes);
    - ``misaligned``: concealment with a slightly wrong vector: a cluster copied
      ``misalign_px_range`` (1-6 px) away from the previous frame (probability
      ``misaligned_previous_prob``, 0.5, when there is one) or the current one, blended like the
      copy modes: doubled, broken edges and text;
    - ``garbage``: a desynchronised entropy decode: every 8x8 block of a cluster gets its own
      luma DC jump, two random AC patterns and a colour, up to ``garbage_level_range`` (40-140
      levels); with probability ``garbage_run_prob`` (0.3) it runs like a smear, to the end of the
      slice row and ``smear_rest_ratio_range`` of the rows below.

    Clusters are ``cluster_blocks_range`` (1-6) blocks high and wide (independently). A fraction
    ``border_hit_prob`` (0.3) of the cluster hits (every mode but ``smear``, runs and ``border``,
    which always reach an edge) is moved along its row or column to touch a frame edge, as real
    errors concentrate there (left/right with probability ``border_side_prob``).

    Visibility is guaranteed: pixels changed by less than ``min_pixel_change_levels`` (3) are
    restored, so the mask is exactly the changed pixels; a draw whose mask covers less than
    ``min_area_ratio`` (0.5 %) of the frame, or changes it by less than ``min_mean_change_levels``
    (16) on average inside the mask, is redrawn (``max_attempts`` times) and finally replaced by a
    flat grey or green cluster of at least 1.5 x the minimum area (see DEFECTS.md).
    """

    label: ClassVar[str] = "corrupted"
    options: ClassVar[dict[str, tuple[Any, ...]]] = {
        "block_px_choices": BLOCK_SIZES,
        "mode_choices": F.MODES,
        "colour_choices": F.COLOURS,
        "smear_style_choices": F.SMEAR_STYLES,
        "dct_pattern_choices": F.DCT_PATTERNS,
        "dct_plane_choices": F.DCT_PLANES,
        "border_chroma_choices": F.BORDER_CHROMAS,
        "chroma_style_choices": F.CHROMA_STYLES,
    }
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "hits_range": (1, 64),
        "cluster_blocks_range": (1, 256),
        "displace_px_range": (1.0, 4096.0),
        "previous_offset_px_range": (0.0, 4096.0),
        "blend_range": (0.1, 1.0),
        "smear_rest_ratio_range": (0.0, 1.0),
        "smear_stretch_rows_range": (1, 16),
        "dct_level_range": (1.0, 1024.0),
        "border_depth_blocks_range": (1, 64),
        "border_length_blocks_range": (1, 256),
        "border_stripe_px_range": (1, 64),
        "chroma_displace_px_range": (1.0, 4096.0),
        "chroma_shift_levels_range": (1.0, 255.0),
        "misalign_px_range": (1.0, 64.0),
        "garbage_level_range": (1.0, 1024.0),
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
    border_hit_prob: float = 0.3
    border_side_prob: float = 0.75
    border_depth_blocks_range: tuple[int, int] = (1, 3)
    border_length_blocks_range: tuple[int, int] = (2, 8)
    border_chroma_choices: tuple[str, ...] = F.BORDER_CHROMAS
    border_stripe_px_range: tuple[int, int] = (1, 8)
    chroma_style_choices: tuple[str, ...] = F.CHROMA_STYLES
    chroma_displace_px_range: tuple[float, float] = (2.0, 24.0)
    chroma_shift_levels_range: tuple[float, float] = (24.0, 80.0)
    misalign_px_range: tuple[float, float] = (1.0, 6.0)
    misaligned_previous_prob: float = 0.5
    garbage_level_range: tuple[float, float] = (40.0, 140.0)
    garbage_run_prob: float = 0.3
    min_pixel_change_levels: int = 3
    min_area_ratio: float = 0.005
    min_mean_change_levels: float = 16.0
    max_attempts: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        name = type(self).__name__
        object.__setattr__(self, "block_px_choices", tuple(int(b) for b in self.block_px_choices))
        scalars = {
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
        if mode == "smear" or (mode == "garbage" and rng.random() < self.garbage_run_prob):
            if mode == "garbage":
                hit["run"] = True
            lo, hi = self.smear_rest_ratio_range
            hit["rest_ratio"] = float(lo + (hi - lo) * rng.random() ** 2)
        elif mode == "border":
            hit["edge"] = self._edge(rng)
            depth = integer(rng, self.border_depth_blocks_range)
            length = integer(rng, self.border_length_blocks_range)
            across = hit["edge"] in ("left", "right")
            hit["rows"], hit["cols"] = (length, depth) if across else (depth, length)
        else:
            hit["rows"] = integer(rng, self.cluster_blocks_range)
            hit["cols"] = integer(rng, self.cluster_blocks_range)
            if rng.random() < self.border_hit_prob:
                hit["edge"] = self._edge(rng)
        if mode in ("displaced", "previous"):
            if mode == "previous" and rng.random() < self.previous_colocated_prob:
                length = 0.0
            else:
                length = uniform(
                    rng, self.displace_px_range if mode == "displaced" else self.previous_offset_px_range
                )
            hit["dy"], hit["dx"] = _vector(rng, length)
            hit["blend"] = uniform(rng, self.blend_range)
        elif mode == "constant":
            hit["colour"] = str(self.colour_choices[int(rng.integers(len(self.colour_choices)))])
        elif mode == "smear":
            hit["style"] = str(self.smear_style_choices[int(rng.integers(len(self.smear_style_choices)))])
            hit["stretch_rows"] = integer(rng, self.smear_stretch_rows_range)
        elif mode == "dct":
            hit["pattern"] = str(self.dct_pattern_choices[int(rng.integers(len(self.dct_pattern_choices)))])
            hit["plane"] = str(self.dct_plane_choices[int(rng.integers(len(self.dct_plane_choices)))])
            hit["level"] = uniform(rng, self.dct_level_range)
            hit["seed"] = int(rng.integers(2**31))
        elif mode == "border":
            hit["chroma"] = str(
                self.border_chroma_choices[int(rng.integers(len(self.border_chroma_choices)))]
            )
            if hit["chroma"] == "shift":
                hit["du"], hit["dv"] = _polar(rng, uniform(rng, self.chroma_shift_levels_range))
            elif hit["chroma"] == "stripes":
                hit["level"] = uniform(rng, self.chroma_shift_levels_range)
                hit["stripe_px"] = integer(rng, self.border_stripe_px_range)
                hit["seed"] = int(rng.integers(2**31))
        elif mode == "chroma":
            hit["style"] = str(self.chroma_style_choices[int(rng.integers(len(self.chroma_style_choices)))])
            if hit["style"] == "displaced":
                hit["dy"], hit["dx"] = _vector(rng, uniform(rng, self.chroma_displace_px_range))
            else:
                hit["du"], hit["dv"] = _polar(rng, uniform(rng, self.chroma_shift_levels_range))
        elif mode == "misaligned":
            from_previous = meta.previous is not None and rng.random() < self.misaligned_previous_prob
            hit["source"] = "previous" if from_previous else "current"
            hit["dy"], hit["dx"] = _vector(rng, uniform(rng, self.misalign_px_range))
            hit["blend"] = uniform(rng, self.blend_range)
        else:  # garbage
            hit["level"] = uniform(rng, self.garbage_level_range)
            hit["seed"] = int(rng.integers(2**31))
        return hit

    def _edge(self, rng: np.random.Generator) -> str:
        """A frame edge: left or right with probability ``border_side_prob``, else top or bottom."""
        side = rng.random() < self.border_side_prob
        return (("left", "right") if side else ("top", "bottom"))[int(rng.integers(2))]

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


def _polar(rng: np.random.Generator, length: float) -> tuple[float, float]:
    """A 2-vector of ``length`` in a uniformly random direction, ``(sin, cos)`` components."""
    angle = uniform(rng, (0.0, 2.0 * math.pi))
    return length * math.sin(angle), length * math.cos(angle)


def _vector(rng: np.random.Generator, length: float) -> tuple[int, int]:
    """An integer motion vector ``(dy, dx)`` of about ``length`` px in a random direction.

    A length >= 1 never rounds to ``(0, 0)`` (both components would need to be below 0.5).
    """
    dy, dx = _polar(rng, length)
    return int(round(dy)), int(round(dx))
