"""Pure kernels of the frame defects: grid-aligned block corruption as broken decoders produce it.

Every function takes the clean frame (and the previous frame where a mode needs it) and returns new
arrays; nothing passed in is modified. Geometry is in pixels, levels in 8-bit code values.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

MODES = ("displaced", "previous", "constant", "smear", "dct", "border", "chroma", "misaligned", "garbage")
COLOURS = ("grey", "green", "previous_dc")
SMEAR_STYLES = ("rows", "columns", "blocks")
DCT_PATTERNS = ("checker", "stripes", "random", "dc")
DCT_PLANES = ("luma", "u", "v")
EDGES = ("left", "right", "top", "bottom")
BORDER_CHROMAS = ("edge", "shift", "stripes")
CHROMA_STYLES = ("displaced", "shift")
MISALIGN_SOURCES = ("current", "previous")

GREY = (128, 128, 128)  # a decoder's "no data" mid-grey
GREEN = (0, 135, 0)  # all-zero YUV (an unwritten buffer), BT.601 limited range -> RGB
# RGB change per unit of Y, U or V (BT.601 full range): damage to a chroma plane is coloured.
PLANE_RGB = {
    "luma": (1.0, 1.0, 1.0),
    "u": (0.0, -0.344, 1.772),
    "v": (1.402, -0.714, 0.0),
}
# RGB -> (U, V) rows of BT.601 full range, the inverse of the chroma columns above.
RGB_UV = np.array([[-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], dtype=np.float32)
DCT_PX = 8  # transform block size: H.264, MPEG-2 and JPEG all damage 8x8 (or 4x4 inside) blocks
Box = tuple[int, int, int, int]  # (y0, x0, y1, x1), end exclusive


@functools.lru_cache(maxsize=1)
def dct_basis() -> np.ndarray:
    """The 64 8x8 DCT-II basis images, float32 ``(64, 8, 8)`` indexed ``u * 8 + v``, peak 1."""
    k = np.arange(DCT_PX)
    cos = np.cos((2 * k[None, :] + 1) * k[:, None] * np.pi / (2 * DCT_PX))  # (freq, position)
    basis = cos[:, None, :, None] * cos[None, :, None, :]  # (u, v, y, x)
    return basis.reshape(DCT_PX * DCT_PX, DCT_PX, DCT_PX).astype(np.float32)


def grid(height: int, width: int, block_px: int) -> tuple[int, int]:
    """Block rows and columns covering a frame (the last ones may be cut by the frame edge)."""
    return -(-height // block_px), -(-width // block_px)


def anchor(hit: dict[str, Any], block_px: int, height: int, width: int) -> tuple[int, int]:
    """The grid-aligned top-left pixel of a hit placed at relative ``(row, col)`` in [0, 1)."""
    rows, cols = grid(height, width, block_px)
    r = min(int(float(hit["row"]) * rows), rows - 1)
    c = min(int(float(hit["col"]) * cols), cols - 1)
    return r * block_px, c * block_px


def hit_boxes(hit: dict[str, Any], block_px: int, height: int, width: int) -> list[Box]:
    """The pixel boxes a hit may change: one cluster box, or a slice run's tail plus whole rows.

    Smears and garbage hits with ``run`` are slice runs; a cluster with an ``edge`` (one of
    ``EDGES``) is moved along its row or column until it touches that frame edge.
    """
    y0, x0 = anchor(hit, block_px, height, width)
    if hit["mode"] == "smear" or hit.get("run"):
        y1 = min(y0 + block_px, height)
        boxes = [(y0, x0, y1, width)]
        below = -(-(height - y1) // block_px)
        extra = int(round(float(hit["rest_ratio"]) * below))
        if extra > 0:
            boxes.append((y1, 0, min(y1 + extra * block_px, height), width))
        return boxes
    rows, cols = int(hit["rows"]), int(hit["cols"])
    edge = hit.get("edge")
    if edge == "left":
        x0 = 0
    elif edge == "right":
        x0 = max(grid(height, width, block_px)[1] - cols, 0) * block_px
    elif edge == "top":
        y0 = 0
    elif edge == "bottom":
        y0 = max(grid(height, width, block_px)[0] - rows, 0) * block_px
    elif edge is not None:
        raise ValueError(f"unknown frame edge {edge!r}; expected one of {EDGES}")
    return [(y0, x0, min(y0 + rows * block_px, height), min(x0 + cols * block_px, width))]


def corrupt_blocks(
    frame: np.ndarray,
    previous: np.ndarray | None,
    block_px: int,
    hits: Sequence[dict[str, Any]],
    min_pixel_change_levels: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``hits`` in order; returns the new frame and the float32 ``(H, W)`` mask of changes.

    Hits read their sources from the clean ``frame`` (the decoder's good data) and later hits
    overwrite earlier ones. A pixel whose channels all moved by less than
    ``min_pixel_change_levels`` is restored exactly, so the mask is precisely where the output
    differs from ``frame``: ``mask == (abs(out - frame).max(-1) > 0)``.
    """
    height, width = frame.shape[:2]
    work = frame.copy()
    for hit in hits:
        mode = hit["mode"]
        boxes = hit_boxes(hit, block_px, height, width)
        if mode == "displaced":
            _copy(work, frame, frame, boxes[0], int(hit["dy"]), int(hit["dx"]), float(hit["blend"]))
        elif mode == "previous":
            if previous is None:
                raise ValueError("a 'previous' hit needs meta.previous (the previous frame), got None")
            _copy(work, previous, frame, boxes[0], int(hit["dy"]), int(hit["dx"]), float(hit["blend"]))
        elif mode == "constant":
            _fill(work, frame, boxes[0], block_px, str(hit["colour"]))
        elif mode == "smear":
            _smear(work, frame, boxes, block_px, str(hit["style"]), int(hit["stretch_rows"]))
        elif mode == "dct":
            _dct(work, boxes[0], hit)
        elif mode == "border":
            ref = frame if previous is None else previous
            _border(work, ref, boxes[0], str(hit["edge"]), hit)
        elif mode == "chroma":
            _chroma(work, frame, boxes[0], hit)
        elif mode == "misaligned":
            source = str(hit["source"])
            if source not in MISALIGN_SOURCES:
                raise ValueError(f"unknown misaligned source {source!r}; expected one of {MISALIGN_SOURCES}")
            if source == "previous" and previous is None:
                raise ValueError("a misaligned hit from 'previous' needs meta.previous, got None")
            ref = previous if source == "previous" else frame
            _copy(work, ref, frame, boxes[0], int(hit["dy"]), int(hit["dx"]), float(hit["blend"]))
        elif mode == "garbage":
            for box in boxes:
                _garbage(work, frame, box, hit)
        else:
            raise ValueError(f"unknown block corruption mode {mode!r}; expected one of {MODES}")
    keep = change_levels(frame, work) >= max(int(min_pixel_change_levels), 1)
    work = cv2.copyTo(frame, (~keep).view(np.uint8), work)  # restore the invisible changes
    return work, keep.astype(np.float32)


def change_levels(frame: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Per-pixel largest channel change of two uint8 frames, uint8 ``(H, W)``."""
    diff = cv2.absdiff(out, frame)
    return np.maximum(np.maximum(diff[..., 0], diff[..., 1]), diff[..., 2])


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _shifted(ref: np.ndarray, box: Box, dy: int, dx: int) -> np.ndarray:
    """The box of ``ref`` read at ``(dy, dx)`` away, edge pixels repeated as a decoder pads them."""
    y0, x0, y1, x1 = box
    ys = np.clip(np.arange(y0, y1) + dy, 0, ref.shape[0] - 1)
    xs = np.clip(np.arange(x0, x1) + dx, 0, ref.shape[1] - 1)
    return ref[ys[:, None], xs[None, :]]


def _add_chroma(region: np.ndarray, du: np.ndarray | float, dv: np.ndarray | float) -> np.ndarray:
    """uint8 RGB ``region`` with ``du``/``dv`` (levels, broadcast over ``(h, w)``) added to U and V."""
    u_rgb = np.asarray(PLANE_RGB["u"], dtype=np.float32)
    v_rgb = np.asarray(PLANE_RGB["v"], dtype=np.float32)
    du = np.asarray(du, dtype=np.float32)[..., None]
    dv = np.asarray(dv, dtype=np.float32)[..., None]
    return _to_uint8(region.astype(np.float32) + du * u_rgb + dv * v_rgb)


def _uv(region: np.ndarray) -> np.ndarray:
    """float32 ``(h, w, 2)`` chroma (U, V) of a uint8 RGB region, BT.601 full range, 0-centred."""
    return region.astype(np.float32) @ RGB_UV.T


def _copy(
    work: np.ndarray, ref: np.ndarray, clean: np.ndarray, box: Box, dy: int, dx: int, blend: float
) -> None:
    """Macroblocks predicted from the wrong place: ``ref`` shifted by ``(dy, dx)``, edges clamped.

    ``blend`` < 1 mixes in the clean block, as a bi-predicted block with one bad reference does.
    """
    y0, x0, y1, x1 = box
    patch = _shifted(ref, box, dy, dx)
    if blend < 1.0:
        patch = _to_uint8(
            blend * patch.astype(np.float32) + (1.0 - blend) * clean[y0:y1, x0:x1].astype(np.float32)
        )
    work[y0:y1, x0:x1] = patch


def _fill(work: np.ndarray, clean: np.ndarray, box: Box, block_px: int, colour: str) -> None:
    """Concealment by a flat colour: grey, green (zeroed YUV) or the DC of the block before."""
    y0, x0, y1, x1 = box
    if colour == "grey":
        work[y0:y1, x0:x1] = GREY
    elif colour == "green":
        work[y0:y1, x0:x1] = GREEN
    elif colour == "previous_dc":
        width = clean.shape[1]
        last_x = ((width - 1) // block_px) * block_px
        for top in range(y0, y1, block_px):
            # The block before this row of the cluster in raster order (decoded, so still clean).
            if x0 > 0:
                py, px = top, x0 - block_px
            elif top > 0:
                py, px = top - block_px, last_x
            else:
                work[top : top + block_px, x0:x1] = GREY
                continue
            dc = clean[py : py + block_px, px : px + block_px].reshape(-1, 3).mean(axis=0)
            work[top : min(top + block_px, y1), x0:x1] = _to_uint8(dc)
    else:
        raise ValueError(f"unknown concealment colour {colour!r}; expected one of {COLOURS}")


def _smear(
    work: np.ndarray, clean: np.ndarray, boxes: list[Box], block_px: int, style: str, stretch_rows: int
) -> None:
    """A lost slice tail: the last good row/column repeated, or every block row stretched down."""
    height, width = clean.shape[:2]
    y0, x0, ya, _ = boxes[0]
    yb = boxes[1][2] if len(boxes) > 1 else ya
    if style == "rows":
        # Each column repeats the last good pixel above the damage.
        source = np.full(width, max(y0 - 1, 0))
        source[:x0] = ya - 1
        line = clean[source, np.arange(width)]
        work[y0:ya, x0:] = line[None, x0:]
        work[ya:yb] = line[None]
    elif style == "columns":
        # Each row repeats the last good pixel to its left (the frame's left edge on whole rows).
        work[y0:ya, x0:] = clean[y0:ya, max(x0 - 1, 0), None]
        work[ya:yb] = clean[ya:yb, 0, None]
    elif style == "blocks":
        # Every block row shows its first ``stretch_rows`` pixel rows stretched over the block.
        k = max(1, min(int(stretch_rows), block_px))
        ys = np.arange(y0, yb)
        top = y0 + ((ys - y0) // block_px) * block_px
        rows = np.minimum(top + ((ys - top) * k) // block_px, height - 1)
        work[y0:ya, x0:] = clean[rows[: ya - y0], x0:]
        work[ya:yb] = clean[rows[ya - y0 :]]
    else:
        raise ValueError(f"unknown smear style {style!r}; expected one of {SMEAR_STYLES}")


def dct_indices(pattern: str, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Basis indices and signed amplitude factors of ``count`` damaged 8x8 blocks, from ``seed``."""
    rng = np.random.default_rng(int(seed))
    if pattern == "checker":  # both frequencies high: checkerboards
        index = rng.integers(4, 8, count) * DCT_PX + rng.integers(4, 8, count)
    elif pattern == "stripes":  # one frequency zero: horizontal or vertical stripes
        k = rng.integers(2, 8, count)
        index = np.where(rng.random(count) < 0.5, k * DCT_PX, k)
    elif pattern == "random":
        index = rng.integers(1, DCT_PX * DCT_PX, count)
    elif pattern == "dc":  # the whole block shifted
        index = np.zeros(count, dtype=np.int64)
    else:
        raise ValueError(f"unknown DCT pattern {pattern!r}; expected one of {DCT_PATTERNS}")
    amp = rng.uniform(0.6, 1.0, count) * np.where(rng.random(count) < 0.5, -1.0, 1.0)
    return index, amp.astype(np.float32)


def _dct(work: np.ndarray, box: Box, hit: dict[str, Any]) -> None:
    """Wrong large coefficients added to every 8x8 transform block of the box."""
    y0, x0, y1, x1 = box
    rows, cols = -(-(y1 - y0) // DCT_PX), -(-(x1 - x0) // DCT_PX)
    index, amp = dct_indices(str(hit["pattern"]), rows * cols, int(hit["seed"]))
    tiles = dct_basis()[index] * (amp * float(hit["level"]))[:, None, None]
    add = (
        tiles.reshape(rows, cols, DCT_PX, DCT_PX).transpose(0, 2, 1, 3).reshape(rows * DCT_PX, cols * DCT_PX)
    )
    plane = np.asarray(PLANE_RGB[str(hit["plane"])], dtype=np.float32)
    region = work[y0:y1, x0:x1].astype(np.float32) + add[: y1 - y0, : x1 - x0, None] * plane
    work[y0:y1, x0:x1] = _to_uint8(region)


def _border(work: np.ndarray, ref: np.ndarray, box: Box, edge: str, hit: dict[str, Any]) -> None:
    """A motion vector far outside the picture: the reference's edge pixels streak across the box.

    Left/right hits repeat the edge column along each row (horizontal streaks), top/bottom hits
    the edge row down each column. ``chroma`` then keeps the edge colours, shifts them by
    ``(du, dv)``, or adds a random chroma offset of 0.5 - 1 x ``level`` per ``stripe_px`` stripe
    (rainbow stripes).
    """
    y0, x0, y1, x1 = box
    height, width = ref.shape[:2]
    if edge in ("left", "right"):
        column = ref[y0:y1, 0 if edge == "left" else width - 1]
        streaks = np.broadcast_to(column[:, None], (y1 - y0, x1 - x0, 3))
        across = y1 - y0  # stripes run along the streaks
    elif edge in ("top", "bottom"):
        row = ref[0 if edge == "top" else height - 1, x0:x1]
        streaks = np.broadcast_to(row[None], (y1 - y0, x1 - x0, 3))
        across = x1 - x0
    else:
        raise ValueError(f"unknown frame edge {edge!r}; expected one of {EDGES}")
    chroma = str(hit["chroma"])
    if chroma == "edge":
        work[y0:y1, x0:x1] = streaks
        return
    if chroma == "shift":
        du, dv = float(hit["du"]), float(hit["dv"])
    elif chroma == "stripes":
        stripe = max(1, int(hit["stripe_px"]))
        count = -(-across // stripe)
        rng = np.random.default_rng(int(hit["seed"]))
        angle = rng.uniform(0.0, 2.0 * np.pi, count)
        amp = float(hit["level"]) * rng.uniform(0.5, 1.0, count)
        du_s = np.repeat(amp * np.cos(angle), stripe)[:across].astype(np.float32)
        dv_s = np.repeat(amp * np.sin(angle), stripe)[:across].astype(np.float32)
        shape = (-1, 1) if edge in ("left", "right") else (1, -1)
        du, dv = du_s.reshape(shape), dv_s.reshape(shape)
    else:
        raise ValueError(f"unknown border chroma {chroma!r}; expected one of {BORDER_CHROMAS}")
    work[y0:y1, x0:x1] = _add_chroma(streaks, du, dv)


def _chroma(work: np.ndarray, clean: np.ndarray, box: Box, hit: dict[str, Any]) -> None:
    """Right luma, wrong colour: chroma read ``(dy, dx)`` away (bleeding past edges when short) or shifted."""
    y0, x0, y1, x1 = box
    region = clean[y0:y1, x0:x1]
    style = str(hit["style"])
    if style == "displaced":
        delta = _uv(_shifted(clean, box, int(hit["dy"]), int(hit["dx"]))) - _uv(region)
        work[y0:y1, x0:x1] = _add_chroma(region, delta[..., 0], delta[..., 1])
    elif style == "shift":
        work[y0:y1, x0:x1] = _add_chroma(region, float(hit["du"]), float(hit["dv"]))
    else:
        raise ValueError(f"unknown chroma style {style!r}; expected one of {CHROMA_STYLES}")


def _garbage(work: np.ndarray, clean: np.ndarray, box: Box, hit: dict[str, Any]) -> None:
    """A desynchronised entropy decode: every 8x8 block gets its own luma pattern and colour.

    Per block, from ``seed``: a luma DC jump plus two random AC bases, and a U/V offset, each up to
    ``level``; the result is added to the clean prediction.
    """
    y0, x0, y1, x1 = box
    rows, cols = -(-(y1 - y0) // DCT_PX), -(-(x1 - x0) // DCT_PX)
    count = rows * cols
    rng = np.random.default_rng([int(hit["seed"]), y0, x0])  # each box of a run differs
    level = float(hit["level"])
    index = rng.integers(1, DCT_PX * DCT_PX, (count, 2))
    amp = rng.uniform(-1.0, 1.0, (count, 2)).astype(np.float32) * level
    luma = (dct_basis()[index] * amp[:, :, None, None]).sum(axis=1)
    luma += (rng.uniform(-0.5, 0.5, count).astype(np.float32) * level)[:, None, None]
    uv = rng.uniform(-1.0, 1.0, (count, 2)).astype(np.float32) * level
    tile = (
        luma[..., None]
        + uv[:, None, None, 0:1] * np.asarray(PLANE_RGB["u"], dtype=np.float32)
        + uv[:, None, None, 1:2] * np.asarray(PLANE_RGB["v"], dtype=np.float32)
    )  # (count, 8, 8, 3)
    add = tile.reshape(rows, cols, DCT_PX, DCT_PX, 3).transpose(0, 2, 1, 3, 4)
    add = add.reshape(rows * DCT_PX, cols * DCT_PX, 3)[: y1 - y0, : x1 - x0]
    work[y0:y1, x0:x1] = _to_uint8(clean[y0:y1, x0:x1].astype(np.float32) + add)


def cover(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale ``frame`` to cover ``height x width`` (keeping its aspect), then centre-crop to exactly that."""
    h, w = frame.shape[:2]
    scale = max(height / h, width / w)
    size = (max(width, round(w * scale)), max(height, round(h * scale)))
    resized = cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    top, left = (size[1] - height) // 2, (size[0] - width) // 2
    return np.ascontiguousarray(resized[top : top + height, left : left + width])
