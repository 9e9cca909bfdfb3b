"""Procedural talking heads: faces whose lips follow a speech-like voice, drawn frame by frame.

A face is a painted sprite (skin-toned ellipse with shading, hair, brows, eyes in shaded sockets,
nose, optional glasses) built once per shot; each frame copies it, draws the eyelids (blinks) and
the mouth, and composites it over a background clip with a smooth head motion (drift, bob, zoom)
and a slowly varying light. The shading puts darker eye sockets, a lit nose bridge and cheeks
where real faces have them, which is what OpenCV's frontal-face cascade keys on, so the same
off-the-shelf detector that runs on real video finds these faces (tested per skin tone).

Lips are driven by the *articulation* of :func:`talker`: every vowel opens the mouth by an amount
and shape of its own (``a`` wide open, ``i`` spread, ``u``/``o`` rounded), plosive releases and
fricatives open it a little, pauses close it. The openness curve is smoothed with a zero-phase
30 ms low-pass (lips move before and after a sound, as coarticulation does) and sampled at each
frame's display time ``k / fps``: audio sample ``i`` (time ``i / sample_rate``) and frame ``k``
are in sync by construction. Faces that do not speak get a mouth that stays nearly closed with
small uncorrelated movements.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import scipy.signal

from synth.audio.sources.procedural import ProceduralAudio, _speech

VOWEL_OPENING = {"a": 1.0, "ae": 0.9, "o": 0.75, "uh": 0.65, "er": 0.5, "e": 0.55, "i": 0.35, "u": 0.4}
VOWEL_WIDTH = {"a": 1.0, "ae": 1.05, "o": 0.7, "uh": 0.9, "er": 0.85, "e": 1.1, "i": 1.15, "u": 0.6}
NOISE_OPENING = {"nasal": 0.06, "fric_s": 0.14, "fric_sh": 0.2, "fric_f": 0.08, "burst": 0.35, "breath": 0.2}
CLOSED = 0.03  # openness of a closed mouth (lips together still show a line)
LIP_SMOOTH_S = 0.03


# ------------------------------------------------------------------------------------------- the voice


@functools.lru_cache(maxsize=4)
def _audio_source(bank_seed: int) -> ProceduralAudio:
    return ProceduralAudio(bank_seed=bank_seed)


def talker(
    rng: np.random.Generator, num_samples: int, sample_rate: int, f0_hz: float, bank_seed: int = 0
) -> tuple[np.ndarray, list[tuple[str, float, float, float]]]:
    """A speech-like voice of ``num_samples`` and its articulation ``(sound, start_s, end_s, amp)``.

    The voice is :mod:`synth.audio.sources.procedural`'s talker (formant vowels with syllabic
    rhythm, fricatives, plosives, breaths, phrase pauses), peak-normalised to 0.5.
    """
    articulation: list[tuple[str, float, float, float]] = []
    banks = _audio_source(bank_seed).banks(int(sample_rate))
    voice = _speech(rng, int(num_samples), int(sample_rate), banks, float(f0_hz), articulation)
    peak = float(np.abs(voice).max())
    return (voice * np.float32(0.5 / max(peak, 1e-6))).astype(np.float32), articulation


def lip_track(
    articulation: list[tuple[str, float, float, float]], num_frames: int, fps: float, offset_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Mouth openness (0 closed .. 1 wide) and width factor at each frame time ``offset_s + k / fps``."""
    rate = 1000.0  # articulation is rendered on a 1 ms grid, then smoothed and sampled per frame
    duration = offset_s + num_frames / fps + 0.1
    n = int(np.ceil(duration * rate)) + 1
    opening = np.full(n, CLOSED, dtype=np.float64)
    width = np.ones(n, dtype=np.float64)
    for sound, start, end, amp in articulation:
        lo, hi = max(int(start * rate), 0), min(int(np.ceil(end * rate)), n)
        if hi <= lo:
            continue
        if sound in VOWEL_OPENING:
            level = CLOSED + (VOWEL_OPENING[sound] - CLOSED) * min(1.0, 0.35 + 0.65 * amp)
            # a vowel opens to its peak and relaxes towards the end of its span
            shape = np.sin(np.linspace(0.15, np.pi - 0.15, hi - lo)) ** 0.5
            opening[lo:hi] = np.maximum(opening[lo:hi], CLOSED + (level - CLOSED) * shape)
            width[lo:hi] = VOWEL_WIDTH[sound]
        else:
            opening[lo:hi] = np.maximum(opening[lo:hi], NOISE_OPENING.get(sound, 0.1))
    sos = scipy.signal.butter(2, 1.0 / (2 * np.pi * LIP_SMOOTH_S), fs=rate, output="sos")
    opening = scipy.signal.sosfiltfilt(sos, opening)
    width = scipy.signal.sosfiltfilt(sos, width)
    times = (offset_s + np.arange(num_frames) / fps) * rate
    return (
        np.clip(np.interp(times, np.arange(n), opening), 0.0, 1.0).astype(np.float32),
        np.clip(np.interp(times, np.arange(n), width), 0.5, 1.3).astype(np.float32),
    )


def idle_lips(rng: np.random.Generator, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """A face that does not speak: nearly closed lips with slow, small, uncorrelated movements."""
    kernel = np.hanning(15) / np.hanning(15).sum()
    drift = np.convolve(rng.standard_normal(num_frames + 20), kernel, mode="same")[10 : 10 + num_frames]
    opening = np.clip(CLOSED + 0.12 * np.abs(drift), 0.0, 0.15)
    return opening.astype(np.float32), np.ones(num_frames, dtype=np.float32)


# ------------------------------------------------------------------------------------------- the face


@dataclass(frozen=True)
class FaceStyle:
    """How one face looks; sizes are fractions of the face half-width (``fw``) and half-height (``fh``)."""

    skin: tuple[float, float, float]
    hair: tuple[float, float, float]
    hair_style: str  # "short", "long", "bald", "cap"
    lips: tuple[float, float, float]
    aspect: float  # fh / fw
    eye_spacing: float
    eye_size: float
    brow_thickness: float
    mouth_width: float
    glasses: bool

    @classmethod
    def sample(cls, rng: np.random.Generator) -> FaceStyle:
        tone = rng.uniform(70, 245)  # dark to light skin
        skin = (tone, tone * rng.uniform(0.72, 0.85), tone * rng.uniform(0.55, 0.7))
        hair_level = rng.uniform(10, 160)
        hair = tuple(float(hair_level * k) for k in rng.uniform(0.5, 1.2, 3))
        lips = (skin[0] * 0.75, skin[1] * 0.45, skin[2] * 0.5)
        return cls(
            skin=tuple(float(v) for v in skin),
            hair=hair,
            hair_style=str(rng.choice(["short", "long", "bald", "cap"], p=[0.45, 0.3, 0.1, 0.15])),
            lips=tuple(float(v) for v in lips),
            aspect=float(rng.uniform(1.2, 1.4)),
            eye_spacing=float(rng.uniform(0.36, 0.44)),
            eye_size=float(rng.uniform(0.85, 1.15)),
            brow_thickness=float(rng.uniform(0.03, 0.06)),
            mouth_width=float(rng.uniform(0.3, 0.4)),
            glasses=bool(rng.random() < 0.2),
        )


class FaceSprite:
    """A face painted once at half-width ``fw`` px on a transparent canvas; :meth:`frame` adds the
    eyelids and the mouth of one frame. Coordinates are sprite pixels, the face centre at ``centre``."""

    def __init__(self, style: FaceStyle, fw: float, rng: np.random.Generator) -> None:
        self.style, self.fw = style, float(fw)
        self.fh = fw * style.aspect
        self.h, self.w = int(np.ceil(self.fh * 2.5)), int(np.ceil(fw * 2.6))
        self.centre = (self.w / 2.0, self.h * 0.54)
        self.rgb, self.alpha = self._paint(rng)

    def _pt(self, dx: float, dy: float) -> tuple[int, int]:
        return int(round(self.centre[0] + dx * self.fw)), int(round(self.centre[1] + dy * self.fh))

    def _axes(self, ax: float, ay: float) -> tuple[int, int]:
        return max(1, int(round(ax * self.fw))), max(1, int(round(ay * self.fh)))

    def _ellipse(
        self, img: np.ndarray, centre: tuple[int, int], ax: float, ay: float, colour: np.ndarray
    ) -> None:
        """A filled ellipse of half-axes ``ax * fw`` and ``ay * fh`` (an eye, a lid)."""
        cv2.ellipse(img, centre, self._axes(ax, ay), 0, 0, 360, np.asarray(colour).tolist(), -1)

    def _paint(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        s, fw, fh = self.style, self.fw, self.fh
        rgb = np.zeros((self.h, self.w, 3), np.float32)
        alpha = np.zeros((self.h, self.w), np.float32)
        skin = np.array(s.skin, np.float32)
        hair = tuple(float(v) for v in s.hair)
        if s.hair_style in ("long", "short", "cap"):
            drop = 0.9 if s.hair_style == "long" else 0.05
            axes = self._axes(1.1, 1.02)
            for layer in (rgb, alpha):
                colour = hair if layer is rgb else 1.0
                cv2.ellipse(layer, self._pt(0, -0.12), axes, 0, 180, 360, colour, -1, cv2.LINE_AA)
                if s.hair_style == "long":
                    cv2.rectangle(layer, self._pt(-1.1, -0.13), self._pt(1.1, drop), colour, -1, cv2.LINE_AA)
        for layer, colour in ((rgb, skin.tolist()), (alpha, 1.0)):
            cv2.ellipse(layer, self._pt(0, 0), self._axes(1, 1), 0, 0, 360, colour, -1, cv2.LINE_AA)
            for side in (-1, 1):  # ears
                cv2.ellipse(layer, self._pt(side * 0.97, 0.0), self._axes(0.12, 0.2), 0, 0, 360, colour, -1)
        yy, xx = np.mgrid[0 : self.h, 0 : self.w].astype(np.float32)
        d = ((xx - self.centre[0]) / fw) ** 2 + ((yy - self.centre[1]) / fh) ** 2
        inside = d < 1.05
        rgb[inside] *= (1.0 - 0.25 * np.minimum(d[inside], 1.0))[:, None]

        def blurred(draw: Any, sigma: float) -> np.ndarray:
            m = np.zeros((self.h, self.w), np.float32)
            draw(m)
            return cv2.GaussianBlur(m, (0, 0), sigma)

        ex = s.eye_spacing
        sockets = blurred(
            lambda m: [
                cv2.ellipse(m, self._pt(k * ex, -0.18), self._axes(0.3, 0.14), 0, 0, 360, 1.0, -1)
                for k in (-1, 1)
            ],
            fw * 0.08,
        )
        rgb *= (1.0 - 0.5 * sockets)[..., None]
        lit = blurred(
            lambda m: [
                cv2.ellipse(m, self._pt(0, -0.05), self._axes(0.1, 0.25), 0, 0, 360, 1.0, -1),
                *[
                    cv2.ellipse(m, self._pt(k * 0.45, 0.12), self._axes(0.2, 0.12), 0, 0, 360, 0.6, -1)
                    for k in (-1, 1)
                ],
            ],
            fw * 0.06,
        )
        rgb *= (1.0 + 0.25 * lit)[..., None]
        under_nose = blurred(
            lambda m: cv2.ellipse(m, self._pt(0, 0.25), self._axes(0.22, 0.06), 0, 0, 360, 1.0, -1), fw * 0.05
        )
        rgb *= (1.0 - 0.3 * under_nose)[..., None]
        self.eye_boxes = []
        for k in (-1, 1):
            centre = self._pt(k * ex, -0.18)
            self._ellipse(rgb, centre, 0.2 * s.eye_size, 0.07 * s.eye_size, skin * 0.55)
            sclera = np.minimum(skin * 1.25 + 30, 235).tolist()
            cv2.ellipse(rgb, centre, self._axes(0.12 * s.eye_size, 0.035 * s.eye_size), 0, 0, 360, sclera, -1)
            cv2.circle(rgb, centre, max(1, int(fw * 0.055 * s.eye_size)), (30, 20, 15), -1, cv2.LINE_AA)
            self.eye_boxes.append(centre)
            brow_w = max(2, int(fh * s.brow_thickness))
            cv2.line(
                rgb, self._pt(k * ex - 0.2, -0.31), self._pt(k * ex + 0.2, -0.33), hair, brow_w, cv2.LINE_AA
            )
            if s.glasses:
                cv2.ellipse(
                    rgb, centre, self._axes(0.24, 0.1), 0, 0, 360, (25, 25, 25), max(1, int(fw * 0.03))
                )
        if s.glasses:
            cv2.line(
                rgb,
                self._pt(-ex + 0.24, -0.18),
                self._pt(ex - 0.24, -0.18),
                (25, 25, 25),
                max(1, int(fw * 0.03)),
            )
        cv2.line(rgb, self._pt(0, -0.1), self._pt(-0.08, 0.15), (skin * 0.7).tolist(), max(1, int(fw * 0.03)))
        noise = rng.normal(0.0, 3.0, rgb.shape).astype(np.float32)
        return rgb + noise * alpha[..., None], alpha

    def mouth_centre(self) -> tuple[float, float]:
        return self.centre[0], self.centre[1] + 0.45 * self.fh

    def frame(self, opening: float, width: float, blink: bool) -> np.ndarray:
        """The sprite's RGB with this frame's mouth and eyelids (alpha is :attr:`alpha`)."""
        s = self.style
        rgb = self.rgb.copy()
        skin = np.array(s.skin, np.float32)
        if blink:
            for centre in self.eye_boxes:
                self._ellipse(rgb, centre, 0.21 * s.eye_size, 0.08 * s.eye_size, skin * 0.8)
        mx, my = self.mouth_centre()
        half_w = max(2.0, self.fw * s.mouth_width * width)
        half_h = max(1.0, self.fh * 0.18 * float(opening))
        centre = (int(round(mx)), int(round(my)))
        lip_t = max(1, int(round(self.fh * 0.035)))
        cv2.ellipse(
            rgb, centre, (int(half_w + lip_t), int(half_h + lip_t)), 0, 0, 360, s.lips, -1, cv2.LINE_AA
        )
        if opening > 0.06:
            cv2.ellipse(rgb, centre, (int(half_w), int(half_h)), 0, 0, 360, (55, 18, 22), -1, cv2.LINE_AA)
            if opening > 0.3:  # upper teeth
                teeth_h = max(1, int(half_h * 0.35))
                top = centre[1] - int(half_h)
                cv2.ellipse(
                    rgb,
                    (centre[0], top + teeth_h),
                    (int(half_w * 0.7), teeth_h),
                    0,
                    180,
                    360,
                    (225, 220, 210),
                    -1,
                )
        else:
            cv2.line(
                rgb,
                (int(mx - half_w), centre[1]),
                (int(mx + half_w), centre[1]),
                (55, 18, 22),
                max(1, lip_t // 2),
                cv2.LINE_AA,
            )
        return rgb


# ------------------------------------------------------------------------------------------ compositing


@dataclass
class HeadMotion:
    """Per-frame face centre (px), scale and roll (degrees) of one face in a shot."""

    cx: np.ndarray
    cy: np.ndarray
    scale: np.ndarray
    roll: np.ndarray

    @classmethod
    def sample(
        cls, rng: np.random.Generator, num_frames: int, cx: float, cy: float, amount: float
    ) -> HeadMotion:
        t = np.arange(num_frames, dtype=np.float64)

        def wave(amp: float) -> np.ndarray:
            f = rng.uniform(0.02, 0.08)
            return amp * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))

        drift = rng.uniform(-1, 1, 2) * amount * 0.15
        return cls(
            cx=(cx + drift[0] * t + wave(amount * 3)).astype(np.float32),
            cy=(cy + drift[1] * t * 0.5 + wave(amount * 2)).astype(np.float32),
            scale=(1.0 + rng.uniform(-0.002, 0.002) * t + wave(0.02)).astype(np.float32),
            roll=wave(rng.uniform(0, 5)).astype(np.float32),
        )


def composite(
    frame: np.ndarray, sprite: FaceSprite, rgb: np.ndarray, cx: float, cy: float, scale: float, roll: float
) -> np.ndarray:
    """Paste ``rgb`` (the sprite's frame) on ``frame`` (float32, in place) with its face centre at
    ``(cx, cy)``; returns the face box ``x0, y0, x1, y1`` (the face ellipse's bounding box)."""
    h, w = frame.shape[:2]
    mat = cv2.getRotationMatrix2D(sprite.centre, float(roll), float(scale))
    mat[0, 2] += cx - sprite.centre[0]
    mat[1, 2] += cy - sprite.centre[1]
    # warp only into the bounding region of the sprite on the frame
    corners = np.array([[0, 0, 1], [sprite.w, 0, 1], [0, sprite.h, 1], [sprite.w, sprite.h, 1]], np.float64)
    pts = corners @ mat.T
    x0, y0 = (max(int(np.floor(v)), 0) for v in pts.min(axis=0))
    x1, y1 = min(int(np.ceil(pts[:, 0].max())), w), min(int(np.ceil(pts[:, 1].max())), h)
    fw, fh = sprite.fw * scale, sprite.fh * scale
    box = np.array([cx - fw, cy - fh, cx + fw, cy + fh], np.float32)
    if x1 <= x0 or y1 <= y0:
        return box
    local = mat.copy()
    local[0, 2] -= x0
    local[1, 2] -= y0
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpAffine(rgb, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    a = cv2.warpAffine(sprite.alpha, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    roi = frame[y0:y1, x0:x1]
    roi += (warped - roi) * a[..., None]
    return box
