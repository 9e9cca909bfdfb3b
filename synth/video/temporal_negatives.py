"""Temporal hard negatives: clean-clip look-alikes of black frames, freezes, stutter and tearing.

Fades pass through near-black, a static scene or a very slow pan has (almost) no frame difference,
3:2 pulldown repeats frames (or fields) in a regular cadence and a scene cut changes the whole
picture at once. All of them are legitimate production, so they keep the clean label: a detector
has to learn the abrupt, irregular or exact signatures of the defects rather than "dark", "still",
"repeated" or "sudden".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import cv2
import numpy as np

from synth.core import ClipMeta, integer, uniform, validate_fields
from synth.video.base import check_clip
from synth.video.temporal import pick, remap

# In the order they are applied: what the camera saw, the edit, the telecine, the final fades.
TEMPORAL_NEGATIVES = ("static", "slow_pan", "cut", "pulldown", "fade")
PULLDOWN_STYLES = ("repeat", "fields")
# 4 film frames -> 5 video frames. ``repeat``: the source frame of each output frame of a group
# (the second film frame is shown twice). ``fields``: (top-field, bottom-field) source frames of the
# 2:3 field cadence A A | B B | B C | C D | D D (two of five frames are combed from two film frames).
REPEAT_CADENCE = (0, 1, 1, 2, 3)
FIELD_CADENCE = ((0, 0), (1, 1), (1, 2), (2, 3), (3, 3))


def pulldown_sources(num_frames: int, phase: int, style: str) -> list[tuple[int, int]]:
    """``(top, bottom)`` source frames of each output frame: the 2:3 cadence starting at ``phase`` (0-4)."""
    cadence = [(c, c) for c in REPEAT_CADENCE] if style == "repeat" else list(FIELD_CADENCE)
    base = cadence[phase][0]
    out = []
    for i in range(num_frames):
        group, pos = divmod(i + phase, 5)
        top, bottom = cadence[pos]
        out.append(
            (min(4 * group + top - base, num_frames - 1), min(4 * group + bottom - base, num_frames - 1))
        )
    return out


@dataclass(frozen=True)
class TemporalNegatives:
    """Each negative ``<name>`` is applied with probability ``<name>_prob``, independently.

    - ``static``: the first frame held for the whole clip with fresh grain of
      ``static_grain_range`` (0.6-2 levels std) on every frame: a locked-off shot of a still scene,
      never bit-exact (unlike a freeze). With ``static_exact_prob`` (0 by default) a static shot of
      a clean clip is bit-exact instead (no grain): a still scene after a codec has coded its grain
      away (after the x264 round trip of the real sets, many of a still shot's frame differences are
      exactly zero). Defect clips never get it: a stutter or a freeze changes no pixel of a clip where
      nothing moves, so it could not carry its label;
    - ``slow_pan``: the first frame panned by ``slow_pan_px_per_frame_range`` (0.05-0.5 px/frame)
      in a random direction (bilinear, reflected borders): consecutive frames nearly identical
      (not drawn together with ``static``);
    - ``cut``: ``cuts_range`` (1-2) hard scene cuts to another shot and back (the ``other`` clip
      when given, else the clip mirrored, time-reversed, zoomed 1.2-1.6 x and re-graded);
    - ``pulldown``: 24 fps film telecined to 30 fps in the 2:3 cadence, style from
      ``pulldown_style_choices``: ``repeat`` (whole frames: in every group of 5 the third repeats
      the second, see ``REPEAT_CADENCE``) or ``fields`` (the field cadence: two combed frames per
      group, see ``FIELD_CADENCE``), at a random phase;
    - ``fade``: a fade from black at the start or to black at the end over ``fade_s_range``
      (0.3-1.5 s): the gain ramps linearly (``k / (n + 1)``), never an abrupt cut and never an
      exactly black frame.
    """

    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "static_grain_range": (0.0, 16.0),
        "slow_pan_px_per_frame_range": (0.0, 4.0),
        "cuts_range": (1, 16),
        "fade_s_range": (0.001, 60.0),
    }

    options: ClassVar[dict[str, tuple[Any, ...]]] = {"pulldown_style_choices": PULLDOWN_STYLES}

    static_prob: float = 0.1
    static_grain_range: tuple[float, float] = (0.6, 2.0)
    static_exact_prob: float = 0.0
    slow_pan_prob: float = 0.1
    slow_pan_px_per_frame_range: tuple[float, float] = (0.05, 0.5)
    cut_prob: float = 0.2
    cuts_range: tuple[int, int] = (1, 2)
    pulldown_prob: float = 0.1
    pulldown_style_choices: tuple[str, ...] = PULLDOWN_STYLES
    fade_prob: float = 0.15
    fade_s_range: tuple[float, float] = (0.3, 1.5)

    def __post_init__(self) -> None:
        validate_fields(self)

    def sample_params(self, rng: np.random.Generator, meta: ClipMeta, clean: bool = True) -> dict[str, Any]:
        """Every random choice; ``params["applied"]`` lists the negatives drawn, in application order.

        ``clean``: whether the clip keeps the clean label (only clean clips get an exact static shot).
        """
        chosen = [n for n in TEMPORAL_NEGATIVES if rng.random() < getattr(self, f"{n}_prob")]
        if "static" in chosen and "slow_pan" in chosen:
            chosen.remove("slow_pan")
        if "cut" in chosen and meta.num_frames < 2:
            chosen.remove("cut")
        params: dict[str, Any] = {"applied": chosen}
        for n in chosen:
            params[n] = getattr(self, f"_sample_{n}")(rng, meta)
        # The coin is drawn only when the share is on (old samples kept), for both labels alike.
        if (
            "static" in chosen
            and self.static_exact_prob > 0
            and rng.random() < self.static_exact_prob
            and clean
        ):
            params["static"]["grain"] = 0.0
        return params

    def apply(
        self, clip: np.ndarray, params: dict[str, Any], other: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[str]]:
        """The clip through the drawn negatives; ``other`` is the shot a cut switches to. Never mutates."""
        check_clip(clip)
        if other is not None:
            check_clip(other, "other")
            if other.shape != clip.shape:
                raise ValueError(f"other has shape {other.shape}, the clip {clip.shape}")
        out = clip
        for n in params["applied"]:
            out = getattr(self, f"_apply_{n}")(out, params[n], other)
        return np.ascontiguousarray(out if out is not clip else clip.copy()), list(params["applied"])

    def __call__(
        self, clip: np.ndarray, rng: np.random.Generator, meta: ClipMeta, other: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[str]]:
        return self.apply(clip, self.sample_params(rng, meta), other)

    # --------------------------------------------------------------------------------- draws

    def _sample_static(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        return {"grain": uniform(rng, self.static_grain_range), "seed": integer(rng, (0, 2**31 - 1))}

    def _sample_slow_pan(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        speed = uniform(rng, self.slow_pan_px_per_frame_range)
        angle = uniform(rng, (0.0, 2.0 * math.pi))
        return {"dx_px_per_frame": speed * math.cos(angle), "dy_px_per_frame": speed * math.sin(angle)}

    def _sample_cut(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        count = min(integer(rng, self.cuts_range), meta.num_frames - 1)
        frames = sorted(int(t) for t in rng.choice(np.arange(1, meta.num_frames), count, replace=False))
        return {
            "frames": frames,
            "zoom": uniform(rng, (1.2, 1.6)),
            "centre": [uniform(rng, (0.3, 0.7)), uniform(rng, (0.3, 0.7))],
            "gains": [uniform(rng, (0.6, 1.3)) for _ in range(3)],
        }

    def _sample_pulldown(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        return {"style": str(pick(rng, self.pulldown_style_choices)), "phase": int(rng.integers(5))}

    def _sample_fade(self, rng: np.random.Generator, meta: ClipMeta) -> dict[str, Any]:
        frames = int(min(max(round(uniform(rng, self.fade_s_range) * meta.fps), 1), meta.num_frames))
        return {"direction": str(pick(rng, ("in", "out"))), "frames": frames}

    # --------------------------------------------------------------------------------- kernels

    def _apply_static(self, clip: np.ndarray, p: dict[str, Any], other: np.ndarray | None) -> np.ndarray:
        if float(p["grain"]) == 0.0:  # the bit-exact still shot: no noise to draw
            return np.repeat(clip[:1], clip.shape[0], axis=0)
        noise = np.random.default_rng(int(p["seed"])).normal(0.0, float(p["grain"]), clip.shape)
        return np.clip(np.rint(clip[0].astype(np.float64) + noise), 0, 255).astype(np.uint8)

    def _apply_slow_pan(self, clip: np.ndarray, p: dict[str, Any], other: np.ndarray | None) -> np.ndarray:
        height, width = clip.shape[1:3]
        out = np.empty_like(clip)
        for t in range(clip.shape[0]):
            mat = np.float32([[1, 0, p["dx_px_per_frame"] * t], [0, 1, p["dy_px_per_frame"] * t]])
            out[t] = cv2.warpAffine(
                clip[0], mat, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
            )
        return out

    def _apply_cut(self, clip: np.ndarray, p: dict[str, Any], other: np.ndarray | None) -> np.ndarray:
        shot = other if other is not None else _another_shot(clip, p)
        out = clip.copy()
        bounds = [*p["frames"], clip.shape[0]]
        for k in range(0, len(bounds) - 1, 2):  # the other shot between cut k and cut k + 1
            out[bounds[k] : bounds[k + 1]] = shot[bounds[k] : bounds[k + 1]]
        return out

    def _apply_pulldown(self, clip: np.ndarray, p: dict[str, Any], other: np.ndarray | None) -> np.ndarray:
        sources = pulldown_sources(clip.shape[0], int(p["phase"]), str(p["style"]))
        out = remap(clip, [top for top, _ in sources])
        bottom = remap(clip, [b for _, b in sources])
        out[:, 1::2] = bottom[:, 1::2]  # odd rows are the bottom field
        return out

    def _apply_fade(self, clip: np.ndarray, p: dict[str, Any], other: np.ndarray | None) -> np.ndarray:
        n = int(p["frames"])
        ramp = np.arange(1, n + 1) / (n + 1)  # 1/(n+1) .. n/(n+1): never black, never a jump to full
        gains = np.ones(clip.shape[0])
        if p["direction"] == "in":
            gains[:n] = ramp
        else:
            gains[clip.shape[0] - n :] = ramp[::-1]
        return np.clip(np.rint(clip * gains[:, None, None, None]), 0, 255).astype(np.uint8)


def _another_shot(clip: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """A different-looking shot made from the clip: time-reversed, mirrored, zoomed in and re-graded."""
    height, width = clip.shape[1:3]
    zoom = float(p["zoom"])
    cy, cx = p["centre"][0] * height, p["centre"][1] * width
    mat = np.float32([[zoom, 0, (1 - zoom) * cx], [0, zoom, (1 - zoom) * cy]])
    gains = np.asarray(p["gains"], dtype=np.float32)
    out = np.empty_like(clip)
    for t in range(clip.shape[0]):
        frame = cv2.warpAffine(
            np.ascontiguousarray(clip[clip.shape[0] - 1 - t, ::-1, ::-1]),
            mat,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT_101,
        )
        out[t] = np.clip(frame * gains, 0, 255).astype(np.uint8)
    return out
