"""Procedural pristine frames: natural-looking scenes rendered once per bank slot, filmed by a moving camera.

A scene is a picture about ``scene_scale`` (1.4) times the frame, of one content type: 1/f
textures, landscapes, flat shapes, text pages, crowds, foliage, cartoons and soft gradients. Scenes
are rendered on first use from ``(bank_seed, split, content, slot, size)`` and cached (``bank_size``
slots per content and split: the splits never share a scene), so a sample costs two affine warps.
The content deliberately contains the look-alikes of block corruption that clean video has: sharp
rectangles and flat regions, text, dense small detail, smooth gradients.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from typing import Any

import cv2
import numpy as np

from synth.core import split_id
from synth.video.base import check_frame_size
from synth.video.sources.camera import FilmedSource, Picture

CONTENTS = ("texture", "landscape", "shapes", "text", "crowd", "foliage", "cartoon", "gradient")
DEFAULT_CONTENT_WEIGHTS: dict[str, float] = {
    "texture": 0.14,
    "landscape": 0.14,
    "shapes": 0.12,
    "text": 0.1,
    "crowd": 0.13,
    "foliage": 0.13,
    "cartoon": 0.12,
    "gradient": 0.12,
}
SKIN_TONES = ((255, 219, 172), (241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (92, 57, 35))
FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)


# ------------------------------------------------------------------------------------------- helpers


def fractal(rng: np.random.Generator, h: int, w: int, beta: float) -> np.ndarray:
    """Gaussian noise with power spectrum ~ 1/f**beta (natural images: beta ~ 2), zero mean, unit std."""
    spectrum = np.fft.rfft2(rng.standard_normal((h, w)))
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    radius = np.sqrt(fy**2 + fx**2)
    radius[0, 0] = 1.0
    spectrum *= radius ** (-beta / 2.0)
    spectrum[0, 0] = 0.0
    field = np.fft.irfft2(spectrum, s=(h, w))
    return ((field - field.mean()) / (field.std() + 1e-9)).astype(np.float32)


def random_colour(
    rng: np.random.Generator, sat: tuple[float, float] = (0.2, 0.9), val: tuple[float, float] = (0.2, 1.0)
) -> np.ndarray:
    """A float RGB colour in [0, 255] from a random hue and the given saturation and value ranges."""
    hsv = np.array([[random_hsv(rng, sat, val)]], dtype=np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def random_hsv(
    rng: np.random.Generator, sat: tuple[float, float], val: tuple[float, float]
) -> tuple[float, float, float]:
    """The draws behind :func:`random_colour`: OpenCV's 8-bit HSV (hue 0-180), not yet rounded."""
    return rng.uniform(0, 180), rng.uniform(*sat) * 255, rng.uniform(*val) * 255


def palette_lut(rng: np.random.Generator, count: int, sat=(0.15, 0.8), val=(0.1, 1.0)) -> np.ndarray:
    """A 256-entry RGB lookup table through ``count`` random colours (smoothly interpolated)."""
    colours = np.stack([random_colour(rng, sat, val) for _ in range(count)])
    colours = colours[np.argsort(colours.sum(axis=1))]  # dark to light: keeps luminance monotone-ish
    anchors = np.linspace(0, 255, count)
    x = np.arange(256)
    return np.stack([np.interp(x, anchors, colours[:, k]) for k in range(3)], axis=1).astype(np.float32)


def colorize(field: np.ndarray, lut: np.ndarray, spread: float = 2.2) -> np.ndarray:
    """Map a unit-std field through a LUT, float32 ``(h, w, 3)``."""
    index = np.clip((field / spread * 0.5 + 0.5) * 255.0, 0, 255).astype(np.uint8)
    return lut[index]


def to_uint8(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))


def grain(rng: np.random.Generator, image: np.ndarray, sigma: float) -> np.ndarray:
    return image + rng.normal(0.0, sigma, image.shape[:2])[..., None].astype(np.float32)


def words(rng: np.random.Generator, count: int) -> str:
    """Pseudo-words of 1-9 letters, sometimes capitalised or numeric."""
    out = []
    for _ in range(count):
        if rng.random() < 0.08:
            out.append(str(int(rng.integers(0, 10000))))
            continue
        n = int(rng.integers(1, 10))
        word = "".join(rng.choice(list(string.ascii_lowercase), n))
        out.append(word.capitalize() if rng.random() < 0.2 else word)
    return " ".join(out)


def linear_gradient(rng: np.random.Generator, h: int, w: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    angle = rng.uniform(0, 2 * math.pi)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (x - w / 2) * math.cos(angle) + (y - h / 2) * math.sin(angle)
    t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    return a * (1 - t[..., None]) + b * t[..., None]


def colour_tuple(colour: np.ndarray) -> tuple[int, int, int]:
    """An RGB array as the int tuple OpenCV draws with: clipped to [0, 255], truncated.

    Plain Python on the three values: a crowd scene calls this thousands of times, and a NumPy clip
    of three values costs four times as much (same result).
    """
    r, g, b = colour.tolist()
    return int(min(max(r, 0.0), 255.0)), int(min(max(g, 0.0), 255.0)), int(min(max(b, 0.0), 255.0))


# --------------------------------------------------------------------------------------------- scenes


def scene_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Natural-image-like multi-scale texture: a 1/f field through a palette, plus colour drift."""
    base = fractal(rng, h, w, rng.uniform(1.6, 2.6))
    detail = fractal(rng, h, w, rng.uniform(0.6, 1.3))
    image = colorize(base + rng.uniform(0.1, 0.5) * detail, palette_lut(rng, int(rng.integers(3, 6))))
    drift = fractal(rng, h, w, 3.0)
    image += drift[..., None] * (random_colour(rng) - 128.0) * 0.15
    return to_uint8(grain(rng, image, rng.uniform(0.0, 3.0)))


def scene_landscape(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Sky gradient with clouds over 1-3 mountain ridges and a textured foreground."""
    sunset = rng.random() < 0.3
    top = np.array([40, 90, 200] if not sunset else [60, 50, 120], dtype=np.float32) * rng.uniform(0.7, 1.2)
    low = np.array([190, 215, 240] if not sunset else [250, 160, 90], dtype=np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None] ** rng.uniform(0.6, 1.5)
    image = np.broadcast_to(top * (1 - t) + low * t, (h, w, 3)).copy()
    clouds = np.clip(fractal(rng, h, w, 2.8) - rng.uniform(0.2, 1.0), 0, None)
    image += clouds[..., None] * rng.uniform(30, 90)
    horizon = rng.uniform(0.3, 0.6) * h
    layers = int(rng.integers(1, 4))
    x = np.arange(w)
    ys = np.arange(h, dtype=np.float32)[:, None]
    for k in range(layers):
        profile = np.fft.irfft(
            np.fft.rfft(rng.standard_normal(w)) / np.maximum(np.arange(w // 2 + 1), 1), n=w
        )
        profile = (profile - profile.mean()) / (profile.std() + 1e-9)
        line = horizon + k * 0.12 * h + profile * rng.uniform(0.03, 0.12) * h
        near = (k + 1) / layers
        colour = random_colour(rng, (0.1, 0.6), (0.25, 0.7)) * (1.1 - 0.5 * near)
        haze = low * (1 - near) * 0.5
        tex = fractal(rng, h, w, rng.uniform(1.4, 2.2))[..., None] * (10 + 25 * near)
        layer = colour + haze + tex
        under = (ys >= line[None, x]).astype(np.float32)[..., None]
        image = image * (1 - under) + layer * under
    return to_uint8(grain(rng, image, rng.uniform(0.0, 2.5)))


def scene_shapes(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Flat and shaded shapes over a gradient: rectangles (some grid-snapped), discs, polygons, lines."""
    image = linear_gradient(rng, h, w, random_colour(rng), random_colour(rng))
    image = to_uint8(image + fractal(rng, h, w, 2.0)[..., None] * rng.uniform(0, 12))
    for _ in range(int(rng.integers(12, 40))):
        colour = colour_tuple(random_colour(rng, (0.0, 1.0), (0.05, 1.0)))
        kind = rng.integers(5)
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        size = int(rng.integers(4, max(5, min(h, w) // 3)))
        if kind == 0:
            x0, y0 = cx, cy
            if rng.random() < 0.4:  # snapped to the 8 px grid: looks like a block, is not one
                x0, y0, size = x0 // 8 * 8, y0 // 8 * 8, max(8, size // 8 * 8)
            x1, y1 = x0 + size, y0 + int(size * rng.uniform(0.3, 2.0))
            cv2.rectangle(image, (x0, y0), (x1, y1), colour, -1)
        elif kind == 1:
            cv2.circle(image, (cx, cy), size // 2, colour, -1, cv2.LINE_AA)
        elif kind == 2:
            n = int(rng.integers(3, 7))
            angles = np.sort(rng.uniform(0, 2 * math.pi, n))
            radii = rng.uniform(0.4, 1.0, n) * size / 2
            pts = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1).astype(
                np.int32
            )
            cv2.fillPoly(image, [pts], colour, cv2.LINE_AA)
        elif kind == 3:
            p2 = (cx + int(rng.integers(-size, size + 1)), cy + int(rng.integers(-size, size + 1)))
            cv2.line(image, (cx, cy), p2, colour, int(rng.integers(1, 6)), cv2.LINE_AA)
        else:
            axes = (size // 2, max(1, int(size * rng.uniform(0.2, 0.6))))
            cv2.ellipse(image, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (3, 3), 0)
    return image


def scene_text(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A page or screen of text: paragraphs, a title bar, boxes; light or dark theme."""
    dark = rng.random() < 0.35
    bg = random_colour(rng, (0.0, 0.3), (0.05, 0.25) if dark else (0.85, 1.0))
    image = to_uint8(np.broadcast_to(bg, (h, w, 3)) + fractal(rng, h, w, 2.5)[..., None] * rng.uniform(0, 5))
    ink = colour_tuple(random_colour(rng, (0.0, 0.5), (0.8, 1.0) if dark else (0.0, 0.3)))
    y = int(rng.integers(2, 12))
    if rng.random() < 0.6:  # title bar
        bar_h = int(rng.integers(14, 34))
        bar = colour_tuple(random_colour(rng, (0.3, 0.9), (0.3, 0.8)))
        cv2.rectangle(image, (0, y), (w, y + bar_h), bar, -1)
        cv2.putText(
            image, words(rng, 3), (6, y + bar_h - 5), FONTS[0], bar_h / 32, (255, 255, 255), 1, cv2.LINE_AA
        )
        y += bar_h + 6
    font = FONTS[int(rng.integers(len(FONTS)))]
    scale = rng.uniform(0.3, 0.8) * (1.6 if font == cv2.FONT_HERSHEY_PLAIN else 1.0)
    line_h = int(cv2.getTextSize("Ag", font, scale, 1)[0][1] * rng.uniform(1.8, 2.6)) + 2
    margin = int(rng.integers(2, 20))
    while y < h + line_h:
        if rng.random() < 0.12:  # a box or button
            bw, bh = int(rng.integers(20, max(21, w // 2))), int(rng.integers(10, 30))
            colour = colour_tuple(random_colour(rng, (0.2, 0.9), (0.3, 0.9)))
            cv2.rectangle(image, (margin, y), (margin + bw, y + bh), colour, -1 if rng.random() < 0.6 else 1)
            y += bh + 4
        y += line_h
        cv2.putText(
            image, words(rng, 14), (margin, y), font, scale, ink, 1 + int(rng.random() < 0.2), cv2.LINE_AA
        )
        if rng.random() < 0.15:
            y += line_h // 2  # paragraph break
    return image


def scene_crowd(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A dense crowd in perspective: rows of bodies and faces, small at the top, large at the bottom."""
    image = colorize(fractal(rng, h, w, 1.8), palette_lut(rng, 3, val=(0.1, 0.5)))
    image = to_uint8(image)
    r_top, r_bottom = rng.uniform(2.0, 4.0), rng.uniform(7.0, 14.0)
    y = -r_top
    tones = np.array(SKIN_TONES, dtype=np.float32)
    # Thousands of people: draw every random number first, in the order random_colour would, convert
    # all HSV colours in one cvtColor call, then paint the ellipses in the same order (same image as
    # one random_colour call per person, in 0.7x the time).
    hsv: list[tuple[float, float, float]] = []
    shapes: list[tuple] = []  # (centre, axes, start angle, colour: HSV index or RGB tuple, line type)

    def hsv_draw(sat: tuple[float, float], val: tuple[float, float]) -> int:
        hsv.append(random_hsv(rng, sat, val))
        return len(hsv) - 1

    while y < h + 3 * r_bottom:
        r = r_top + (r_bottom - r_top) * max(y, 0) / h
        x = rng.uniform(-r, r)
        while x < w + r:
            cx, cy, rr = int(x), int(y + rng.uniform(-0.4, 0.4) * r), max(1, int(r * rng.uniform(0.85, 1.15)))
            body = hsv_draw((0.1, 1.0), (0.1, 0.95))
            shapes.append(((cx, cy + int(2.6 * rr)), (int(1.6 * rr), int(2.0 * rr)), 0, body, cv2.LINE_8))
            skin = colour_tuple(tones[int(rng.integers(len(tones)))] * rng.uniform(0.75, 1.05))
            shapes.append(((cx, cy), (rr, int(rr * 1.25)), 0, skin, cv2.LINE_AA))
            if rng.random() < 0.7:
                hair = hsv_draw((0.2, 0.8), (0.05, 0.45))
                shapes.append(((cx, cy - rr // 3), (rr, int(rr * 0.9)), 180, hair, cv2.LINE_8))
            x += r * rng.uniform(1.6, 2.4)
        y += r * rng.uniform(1.3, 1.9)
    # One pixel per row: OpenCV's vectorised path along a row rounds some colours 1 off the
    # one-pixel conversion random_colour makes, and a column keeps the scene bit-identical.
    column = np.array(hsv, dtype=np.float32).astype(np.uint8).reshape(-1, 1, 3)
    rgb = cv2.cvtColor(column, cv2.COLOR_HSV2RGB)[:, 0].tolist() if hsv else []
    for centre, axes, start, colour, line in shapes:
        colour = tuple(rgb[colour]) if isinstance(colour, int) else colour
        cv2.ellipse(image, centre, axes, 0, start, 360, colour, -1, line)
    return image


def scene_foliage(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """High-detail leaves: many small tilted ellipses in greens over a dark textured canopy."""
    base = colorize(fractal(rng, h, w, rng.uniform(1.0, 1.6)), palette_lut(rng, 3, (0.4, 0.9), (0.05, 0.4)))
    hue_shift = rng.uniform(-15, 15)
    image = to_uint8(base * np.array([0.7, 1.1, 0.6], dtype=np.float32))
    for _ in range(int(rng.integers(3, 8))):  # branches
        p1 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        p2 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.line(
            image,
            p1,
            p2,
            colour_tuple(np.array([70, 50, 30]) * rng.uniform(0.5, 1.3)),
            int(rng.integers(1, 5)),
        )
    count = int(h * w / rng.uniform(40, 110))
    xs, ys = rng.integers(0, w, count), rng.integers(0, h, count)
    sizes = rng.uniform(1.5, 6.0, count)
    angles = rng.uniform(0, 180, count)
    hsv = np.stack(
        [
            rng.uniform(35, 80, count) + hue_shift,
            rng.uniform(0.4, 1.0, count) * 255,
            rng.uniform(0.2, 1.0, count) * 255,
        ],
        axis=1,
    )
    colours = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8)[None], cv2.COLOR_HSV2RGB)[0]
    for x, y, size, angle, colour in zip(xs, ys, sizes, angles, colours):
        axes = (max(1, int(size)), max(1, int(size * 0.45)))
        cv2.ellipse(image, (int(x), int(y)), axes, float(angle), 0, 360, colour_tuple(colour), -1)
    for _ in range(int(rng.integers(0, 12))):  # light through the leaves
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(
            image,
            centre,
            int(rng.integers(1, 5)),
            colour_tuple(random_colour(rng, (0.0, 0.3), (0.85, 1.0))),
            -1,
        )
    return to_uint8(grain(rng, image.astype(np.float32), rng.uniform(0.0, 3.0)))


def scene_cartoon(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Flat cel-shaded regions with dark outlines, plus a few outlined flat shapes."""
    field = fractal(rng, h, w, rng.uniform(3.6, 4.6))
    levels = int(rng.integers(3, 8))
    labels = np.clip(((field / 2.2 * 0.5 + 0.5) * levels).astype(np.int32), 0, levels - 1)
    colours = np.stack([random_colour(rng, (0.3, 1.0), (0.4, 1.0)) for _ in range(levels)])
    image = colours[labels]
    edges = (labels[1:, :] != labels[:-1, :])[:, :-1] | (labels[:, 1:] != labels[:, :-1])[:-1, :]
    outline = np.zeros((h, w), dtype=np.uint8)
    outline[:-1, :-1] = edges
    if rng.random() < 0.7:
        outline = cv2.dilate(outline, np.ones((2, 2), np.uint8))
    image[outline > 0] = rng.uniform(0, 40)
    image = to_uint8(image)
    for _ in range(int(rng.integers(2, 10))):
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        axes = (int(rng.integers(5, max(6, w // 5))), int(rng.integers(5, max(6, h // 5))))
        angle = float(rng.uniform(0, 180))
        fill = colour_tuple(random_colour(rng, (0.4, 1.0), (0.5, 1.0)))
        cv2.ellipse(image, centre, axes, angle, 0, 360, fill, -1, cv2.LINE_AA)
        cv2.ellipse(image, centre, axes, angle, 0, 360, (20, 20, 20), int(rng.integers(1, 4)), cv2.LINE_AA)
    return image


def scene_gradient(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Smooth studio backdrop or sky: linear/radial gradients and soft out-of-focus blobs."""
    image = linear_gradient(
        rng, h, w, random_colour(rng, val=(0.05, 0.9)), random_colour(rng, val=(0.2, 1.0))
    )
    if rng.random() < 0.5:
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        d = np.sqrt((y - cy) ** 2 + (x - cx) ** 2) / math.hypot(h, w)
        image = image * (1.0 - rng.uniform(0.2, 0.7) * d[..., None])
    small = np.zeros((h // 4 + 1, w // 4 + 1, 3), dtype=np.float32)
    for _ in range(int(rng.integers(1, 8))):
        centre = (int(rng.integers(0, small.shape[1])), int(rng.integers(0, small.shape[0])))
        colour = random_colour(rng, (0.0, 0.8), (0.5, 1.0)) * rng.uniform(0.2, 0.6)
        cv2.circle(small, centre, int(rng.integers(2, max(3, small.shape[0] // 3))), colour_tuple(colour), -1)
    blobs = cv2.resize(
        cv2.GaussianBlur(small, (0, 0), rng.uniform(1.5, 4.0)), (w, h), interpolation=cv2.INTER_LINEAR
    )
    return to_uint8(grain(rng, image + blobs, rng.uniform(0.3, 2.0)))


SCENES: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "texture": scene_texture,
    "landscape": scene_landscape,
    "shapes": scene_shapes,
    "text": scene_text,
    "crowd": scene_crowd,
    "foliage": scene_foliage,
    "cartoon": scene_cartoon,
    "gradient": scene_gradient,
}


# --------------------------------------------------------------------------------------------- source


class ProceduralFrames(FilmedSource):
    """A :class:`~synth.video.base.FrameSource` of procedural scenes (see the module doc).

    ``content_weights`` picks the content type of each sample (default
    :data:`DEFAULT_CONTENT_WEIGHTS`); ``bank_size`` scenes per content and split are rendered on
    first use from ``bank_seed`` (about 5-40 ms each) and kept (~0.3 MB each at 224 x 224).
    """

    def __init__(
        self,
        content_weights: Mapping[str, float] | None = None,
        bank_size: int = 32,
        bank_seed: int = 0,
        scene_scale: float = 1.4,
    ) -> None:
        weights = dict(DEFAULT_CONTENT_WEIGHTS if content_weights is None else content_weights)
        unknown = [k for k in weights if k not in SCENES]
        if unknown:
            raise ValueError(
                f"ProceduralFrames.content_weights has unknown contents {unknown}; expected some of {CONTENTS}"
            )
        if any(float(v) < 0 for v in weights.values()) or sum(float(v) for v in weights.values()) <= 0:
            raise ValueError(
                f"ProceduralFrames.content_weights must be >= 0 with a positive sum, got {weights}"
            )
        if int(bank_size) < 1:
            raise ValueError(f"ProceduralFrames.bank_size must be >= 1, got {bank_size}")
        if not 1.1 <= float(scene_scale) <= 4.0:
            raise ValueError(f"ProceduralFrames.scene_scale must be in [1.1, 4], got {scene_scale}")
        self.contents = [k for k in CONTENTS if float(weights.get(k, 0.0)) > 0]
        p = np.array([float(weights[k]) for k in self.contents])
        self.probs = p / p.sum()
        self.bank_size = int(bank_size)
        self.bank_seed = int(bank_seed)
        self.scene_scale = float(scene_scale)
        self._bank: dict[tuple, Picture] = {}

    def scene(self, split: str, content: str, slot: int, height: int, width: int) -> Picture:
        """The scene in bank ``slot`` of ``content`` for ``split`` and this frame size (cached)."""
        sh = int(math.ceil(self.scene_scale * height / 8.0) * 8)
        sw = int(math.ceil(self.scene_scale * width / 8.0) * 8)
        key = (split, content, slot, sh, sw)
        picture = self._bank.get(key)
        if picture is None:
            rng = np.random.default_rng(
                [self.bank_seed, split_id(split), CONTENTS.index(content), slot, sh, sw]
            )
            picture = self._bank[key] = Picture(SCENES[content](rng, sh, sw))
        return picture

    def warm(self, split: str, height: int, width: int) -> None:
        """Render every bank scene of ``split`` for this frame size now (e.g. before forking workers)."""
        for content in self.contents:
            for slot in range(self.bank_size):
                self.scene(split, content, slot, height, width)

    def _pick(
        self, rng: np.random.Generator, split: str, height: int, width: int
    ) -> tuple[Picture, dict[str, Any]]:
        split_id(split)
        check_frame_size(height, width)
        content = self.contents[int(rng.choice(len(self.contents), p=self.probs))]
        slot = int(rng.integers(self.bank_size))
        return self.scene(split, content, slot, height, width), {
            "source": "procedural",
            "content": content,
            "scene": slot,
        }
