"""Hard negatives: clean-video look-alikes of block corruption, applied to both classes alike.

Compression blockiness (JPEG, x264), motion blur, burnt-in text, on-screen graphics (lower thirds,
logos, flat sharp boxes), letterbox bars and pixel-art/mosaic regions all have sharp edges on a
block grid, flat patches or repeated pixels, as corrupted macroblocks do. Applied with the same
params to the previous and the current frame before the defect, they never predict the label, so a
detector has to learn what corruption looks like rather than "any block edge".
"""

from __future__ import annotations

import fractions
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import cv2
import numpy as np

from synth.core import integer, uniform, validate_fields
from synth.video.base import check_frame
from synth.video.sources.procedural import FONTS, random_colour, words

# In the order they are applied: scene-level effects, then overlays, then the codec last.
NEGATIVES = ("motion_blur", "pixel_art", "graphics", "text", "letterbox", "jpeg", "x264")
GRAPHICS = ("lower_third", "logo", "box")
TEXTS = ("subtitle", "ticker", "caption")


@dataclass(frozen=True)
class HardNegatives:
    """Each negative ``<name>`` is applied with probability ``<name>_prob``, independently.

    - ``motion_blur``: a line kernel of ``motion_blur_px_range`` (3-15 px) at a random angle;
    - ``pixel_art``: a region of ``pixel_art_area_range`` (3-30 %) of the frame shown at
      1/``pixel_art_factor_range`` (4-16) resolution, nearest-neighbour upscaled (half of them on the
      8 px grid): mosaics, pixel-art games, censoring;
    - ``graphics``: ``graphics_count_range`` (1-3) of lower-third bars with text, corner logos
      (opaque or translucent) and flat sharp boxes (half of them snapped to the 8/16 px grid);
    - ``text``: a subtitle, ticker band or caption of ``text_height_ratio_range`` (3-9 %) of the
      frame height;
    - ``letterbox``: black bars of ``letterbox_ratio_range`` (5-15 %) of the frame on two sides;
    - ``jpeg``: JPEG at ``jpeg_quality_range`` (30-80), 4:2:0: visible 8x8 / 16x16 blockiness;
    - ``x264``: the pair encoded with libx264 (previous as I, current as P frame) at
      ``x264_crf_range`` (26-40) CRF: deblocked H.264 blockiness and ringing (~10 ms per pair).
    """

    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "motion_blur_px_range": (2.0, 101.0),
        "pixel_art_factor_range": (2, 64),
        "pixel_art_area_range": (0.0, 1.0),
        "graphics_count_range": (1, 16),
        "text_height_ratio_range": (0.01, 0.5),
        "letterbox_ratio_range": (0.0, 0.4),
        "jpeg_quality_range": (1, 100),
        "x264_crf_range": (0, 51),
    }

    motion_blur_prob: float = 0.15
    motion_blur_px_range: tuple[float, float] = (3.0, 15.0)
    pixel_art_prob: float = 0.08
    pixel_art_factor_range: tuple[int, int] = (4, 16)
    pixel_art_area_range: tuple[float, float] = (0.03, 0.3)
    graphics_prob: float = 0.25
    graphics_count_range: tuple[int, int] = (1, 3)
    text_prob: float = 0.25
    text_height_ratio_range: tuple[float, float] = (0.03, 0.09)
    letterbox_prob: float = 0.05
    letterbox_ratio_range: tuple[float, float] = (0.05, 0.15)
    jpeg_prob: float = 0.25
    jpeg_quality_range: tuple[int, int] = (30, 80)
    x264_prob: float = 0.1
    x264_crf_range: tuple[int, int] = (26, 40)

    def __post_init__(self) -> None:
        validate_fields(self)

    def sample_params(self, rng: np.random.Generator, height: int, width: int) -> dict[str, Any]:
        """Every random choice; ``params["applied"]`` lists the negatives drawn, in application order."""
        chosen = [n for n in NEGATIVES if rng.random() < getattr(self, f"{n}_prob")]
        params: dict[str, Any] = {"applied": chosen}
        for n in chosen:
            params[n] = getattr(self, f"_sample_{n}")(rng, int(height), int(width))
        return params

    def apply(self, frame: np.ndarray, params: dict[str, Any]) -> np.ndarray:
        """One frame through the drawn negatives (x264 as a single I frame); never mutates ``frame``."""
        return self.apply_pair(None, frame, params)[1]

    def apply_pair(
        self, previous: np.ndarray | None, frame: np.ndarray, params: dict[str, Any]
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """Both frames through the same negatives; x264 codes them as one I + P sequence."""
        check_frame(frame)
        frames = [f for f in (previous, frame) if f is not None]
        for f in frames:
            check_frame(f)
        for n in params["applied"]:
            p = params[n]
            if n == "x264":
                frames = x264_roundtrip(frames, int(p["crf"]))
            else:
                kernel = KERNELS[n]
                frames = [kernel(f, p) for f in frames]
        return (frames[0] if previous is not None else None), frames[-1]

    def __call__(self, frame: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
        params = self.sample_params(rng, *frame.shape[:2])
        return self.apply(frame, params), list(params["applied"])

    # --------------------------------------------------------------------------------- draws

    def _sample_motion_blur(self, rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
        return {"length_px": uniform(rng, self.motion_blur_px_range), "angle_deg": uniform(rng, (0.0, 180.0))}

    def _sample_pixel_art(self, rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
        area = uniform(rng, self.pixel_art_area_range) * h * w
        aspect = math.exp(uniform(rng, (-0.7, 0.7)))
        rh = int(np.clip(math.sqrt(area * aspect), 4, h))
        rw = int(np.clip(area / max(rh, 1), 4, w))
        y0, x0 = int(rng.integers(h - rh + 1)), int(rng.integers(w - rw + 1))
        if rng.random() < 0.5:
            y0, x0, rh, rw = y0 // 8 * 8, x0 // 8 * 8, max(8, rh // 8 * 8), max(8, rw // 8 * 8)
        return {
            "box": [y0, x0, min(y0 + rh, h), min(x0 + rw, w)],
            "factor": integer(rng, self.pixel_art_factor_range),
        }

    def _sample_graphics(self, rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
        items = []
        for _ in range(integer(rng, self.graphics_count_range)):
            kind = GRAPHICS[int(rng.integers(len(GRAPHICS)))]
            colour = [int(v) for v in random_colour(rng, (0.0, 1.0), (0.1, 1.0))]
            ink = [int(v) for v in random_colour(rng, (0.0, 0.3), (0.9, 1.0))]
            item: dict[str, Any] = {"kind": kind, "colour": colour, "ink": ink, "opacity": 1.0}
            if kind == "lower_third":
                bh = max(6, int(uniform(rng, (0.07, 0.15)) * h))
                y0 = int(uniform(rng, (0.62, 0.92)) * h) - bh
                x0 = int(rng.integers(0, max(1, w // 8)))
                x1 = int(uniform(rng, (0.45, 1.0)) * w)
                item.update(box=[y0, x0, y0 + bh, x1], text=words(rng, 4), font=int(rng.integers(len(FONTS))))
                item["accent"] = [int(v) for v in random_colour(rng)] if rng.random() < 0.5 else None
                item["opacity"] = uniform(rng, (0.6, 1.0))
            elif kind == "logo":
                size = max(6, int(uniform(rng, (0.06, 0.16)) * min(h, w)))
                margin = int(uniform(rng, (0.02, 0.06)) * min(h, w))
                top, left = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
                y0 = margin if top else h - margin - size
                x0 = margin if left else w - margin - size
                item.update(
                    box=[y0, x0, y0 + size, x0 + size],
                    shape="disc" if rng.random() < 0.4 else "square",
                    text="".join(rng.choice(list("ABCDEFGHKMNPRSTVWXZ0123456789"), int(rng.integers(1, 4)))),
                    font=int(rng.integers(len(FONTS))),
                    opacity=uniform(rng, (0.4, 1.0)),
                )
            else:
                bh, bw = int(rng.integers(6, max(7, h // 4))), int(rng.integers(6, max(7, w // 4)))
                y0, x0 = int(rng.integers(0, max(1, h - bh))), int(rng.integers(0, max(1, w - bw)))
                if rng.random() < 0.5:
                    g = 16 if rng.random() < 0.5 else 8
                    y0, x0, bh, bw = y0 // g * g, x0 // g * g, max(g, bh // g * g), max(g, bw // g * g)
                item.update(box=[y0, x0, y0 + bh, x0 + bw])
            items.append(item)
        return {"items": items}

    def _sample_text(self, rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
        kind = TEXTS[int(rng.integers(len(TEXTS)))]
        height_px = uniform(rng, self.text_height_ratio_range) * h
        params: dict[str, Any] = {
            "kind": kind,
            "height_px": height_px,
            "font": int(rng.integers(len(FONTS))),
            "text": words(rng, int(rng.integers(2, 8))),
            "ink": [255, 255, 255] if rng.random() < 0.7 else [255, 235, 60],
            "outline": bool(rng.random() < 0.7),
            "x": int(rng.integers(-w // 4, w // 2)),
            "y": int(uniform(rng, (0.15, 0.95)) * h),
            "band": [int(v) for v in random_colour(rng, (0.3, 1.0), (0.2, 0.7))],
            "top": bool(rng.random() < 0.25),
        }
        if kind == "caption":
            params["ink"] = [int(v) for v in random_colour(rng, (0.0, 1.0), (0.0, 1.0))]
        return params

    def _sample_letterbox(self, rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
        return {
            "ratio": uniform(rng, self.letterbox_ratio_range),
            "pillar": bool(rng.random() < 0.3),
            "level": int(rng.integers(0, 17)),
        }

    def _sample_jpeg(self, rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
        return {"quality": integer(rng, self.jpeg_quality_range)}

    def _sample_x264(self, rng: np.random.Generator, h: int, w: int) -> dict[str, Any]:
        return {"crf": integer(rng, self.x264_crf_range)}


# ------------------------------------------------------------------------------------------ kernels


def motion_blur(frame: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    length = max(2.0, float(p["length_px"]))
    size = int(math.ceil(length)) | 1
    kernel = np.zeros((size, size), dtype=np.float32)
    c = (size - 1) / 2.0
    angle = math.radians(float(p["angle_deg"]))
    dx, dy = math.cos(angle) * (length - 1) / 2, math.sin(angle) * (length - 1) / 2
    shift = 4  # endpoints with 4 fractional bits: sub-pixel lengths and angles
    start = (int(round((c - dx) * 2**shift)), int(round((c - dy) * 2**shift)))
    end = (int(round((c + dx) * 2**shift)), int(round((c + dy) * 2**shift)))
    cv2.line(kernel, start, end, 1.0, 1, cv2.LINE_AA, shift)
    kernel /= kernel.sum()
    return cv2.filter2D(frame, -1, kernel, borderType=cv2.BORDER_REFLECT_101)


def pixel_art(frame: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    y0, x0, y1, x1 = (int(v) for v in p["box"])
    factor = int(p["factor"])
    region = frame[y0:y1, x0:x1]
    small = cv2.resize(
        region, (max(1, (x1 - x0) // factor), max(1, (y1 - y0) // factor)), interpolation=cv2.INTER_AREA
    )
    out = frame.copy()
    out[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
    return out


def _text_scale(font: int, height_px: float, thickness: int = 1) -> float:
    """The cv2 font scale whose capital-plus-descender height is ``height_px``."""
    (_, th), _ = cv2.getTextSize("Ag", font, 1.0, thickness)
    return max(0.2, float(height_px) / max(th, 1))


def graphics(frame: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """Bars, logos and boxes, each drawn (and blended at its opacity) inside its own box only."""
    out = frame.copy()
    h, w = frame.shape[:2]
    for item in p["items"]:
        y0, x0, y1, x1 = (int(v) for v in item["box"])
        cy0, cx0, cy1, cx1 = max(y0, 0), max(x0, 0), min(y1, h), min(x1, w)
        if cy1 <= cy0 or cx1 <= cx0:
            continue
        region = out[cy0:cy1, cx0:cx1]
        layer = region.copy()
        where = np.zeros(layer.shape[:2], dtype=np.uint8)
        # Drawing coordinates relative to the clipped region.
        ry0, rx0, ry1, rx1 = y0 - cy0, x0 - cx0, y1 - cy0, x1 - cx0
        colour, ink = tuple(item["colour"]), tuple(item["ink"])
        if item["kind"] == "logo" and item["shape"] == "disc":
            centre, radius = ((rx0 + rx1) // 2, (ry0 + ry1) // 2), max(2, (x1 - x0) // 2)
            cv2.circle(layer, centre, radius, colour, -1, cv2.LINE_AA)
            cv2.circle(where, centre, radius, 255, -1, cv2.LINE_AA)
        else:
            layer[:] = colour
            where[:] = 255
        if item["kind"] == "lower_third" and item.get("accent") is not None:
            cv2.rectangle(
                layer, (rx0, ry0), (rx0 + max(2, (y1 - y0) // 3), ry1 - 1), tuple(item["accent"]), -1
            )
        if item["kind"] in ("lower_third", "logo"):
            font = FONTS[int(item["font"])]
            scale = _text_scale(font, 0.5 * (y1 - y0))
            (tw, th), _ = cv2.getTextSize(item["text"], font, scale, 1)
            tx = rx0 + (y1 - y0) // 2 if item["kind"] == "lower_third" else (rx0 + rx1 - tw) // 2
            ty = (ry0 + ry1 + th) // 2
            cv2.putText(layer, item["text"], (tx, ty), font, scale, ink, 1, cv2.LINE_AA)
            cv2.putText(where, item["text"], (tx, ty), font, scale, 255, 1, cv2.LINE_AA)
        opacity = float(item["opacity"])
        if opacity < 1.0:
            layer = _blend_uint8(layer, region, opacity)
        np.copyto(region, layer, where=where[..., None] > 0)
    return out


def _blend_uint8(top: np.ndarray, bottom: np.ndarray, opacity: float) -> np.ndarray:
    return cv2.addWeighted(top, opacity, bottom, 1.0 - opacity, 0.0)


def text(frame: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    out = frame.copy()
    h, w = frame.shape[:2]
    font = FONTS[int(p["font"])]
    thickness = 1 if p["height_px"] < 14 else 2
    scale = _text_scale(font, p["height_px"], thickness)
    (tw, th), base = cv2.getTextSize(p["text"], font, scale, thickness)
    kind = p["kind"]
    if kind == "subtitle":
        x, y = (w - tw) // 2, int(0.92 * h) - base
    elif kind == "ticker":
        band_h = int(th * 1.8) + base
        y_band = 0 if p["top"] else h - band_h
        cv2.rectangle(out, (0, y_band), (w - 1, y_band + band_h - 1), tuple(p["band"]), -1)
        x, y = int(p["x"]), y_band + (band_h + th) // 2
    else:
        x, y = int(p["x"]), int(p["y"])
    if p["outline"]:
        cv2.putText(out, p["text"], (x, y), font, scale, (0, 0, 0), thickness + 2, cv2.LINE_AA)
    cv2.putText(out, p["text"], (x, y), font, scale, tuple(p["ink"]), thickness, cv2.LINE_AA)
    return out


def letterbox(frame: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    out = frame.copy()
    h, w = frame.shape[:2]
    level = int(p["level"])
    if p["pillar"]:
        bar = int(round(float(p["ratio"]) * w))
        out[:, :bar] = level
        out[:, w - bar :] = level
    else:
        bar = int(round(float(p["ratio"]) * h))
        out[:bar] = level
        out[h - bar :] = level
    return out


def jpeg(frame: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(p["quality"])]
    )
    if not ok:
        raise RuntimeError("cv2.imencode failed to write a JPEG")
    return np.ascontiguousarray(cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))


X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


def x264_roundtrip(
    frames: list[np.ndarray], crf: int, keyint: int | None = None, preset: str = "ultrafast"
) -> list[np.ndarray]:
    """Frames coded as one libx264 sequence (I then P frames; with ``keyint`` a keyframe every
    ``keyint`` frames, else only the first) and decoded back, single-threaded."""
    import av

    if preset not in X264_PRESETS:
        raise ValueError(f"x264 preset {preset!r}: choose from {list(X264_PRESETS)}")
    h, w = frames[0].shape[:2]
    ph, pw = h + h % 2, w + w % 2  # 4:2:0 needs even sizes
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = pw, ph, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 25)
    encoder.options = {"crf": str(int(crf)), "preset": preset, "tune": "zerolatency", "threads": "1"}
    if keyint is not None:
        encoder.options = {**encoder.options, "x264-params": f"keyint={int(keyint)}:min-keyint={int(keyint)}"}
    decoder = av.CodecContext.create("h264", "r")
    decoder.thread_count = 1
    packets = []
    for t, f in enumerate(frames):
        padded = np.pad(f, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge") if (ph, pw) != (h, w) else f
        vf = av.VideoFrame.from_ndarray(padded, format="rgb24").reformat(format="yuv420p")
        vf.pts = t
        packets += encoder.encode(vf)
    packets += encoder.encode(None)
    decoded = []
    for packet in packets:
        decoded += decoder.decode(packet)
    decoded += decoder.decode(None)
    if len(decoded) != len(frames):
        raise RuntimeError(f"x264 round trip returned {len(decoded)} frames for {len(frames)}")
    return [np.ascontiguousarray(d.to_ndarray(format="rgb24")[:h, :w]) for d in decoded]


KERNELS = {
    "motion_blur": motion_blur,
    "pixel_art": pixel_art,
    "graphics": graphics,
    "text": text,
    "letterbox": letterbox,
    "jpeg": jpeg,
}
