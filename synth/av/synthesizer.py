"""Synthetic talking-head clips with an audio/video offset, and the sync windows SyncNet learns from.

:meth:`AVSyncSynth.clip` makes one evaluation clip (``seconds`` long at ``fps``, RGB frames and mono
audio) of a drawn kind:

- ``single``: one speaking face over a moving background;
- ``multi``: two or three faces, exactly one of them speaking;
- ``cut``: two shots, a different speaking face (and voice) in each, the cut inside the clip;
- ``silent_face``: faces that do not speak while an off-screen voice talks;
- ``no_face``: scenery only (procedural scenes, camera motion) under speech or other sound.

The audio is rendered with ``margin`` seconds of context on both sides and then shifted by the
:class:`~synth.av.offset.AVOffset` draw, so an offset never pads with silence. The clip's truth
label is ``in_sync``/``out_of_sync`` from the offset when a speaking face is on screen, else
``inconclusive`` (what the pipeline must answer when no face track can be judged).

:meth:`AVSyncSynth.window` makes one training sample for the sync network: a few frames of a
speaking face (on a small canvas, at the sizes faces have in clips), the face box of each frame,
and in-sync audio with ``context_frames`` frames of extra sound on each side, from which the
training step takes in-sync and shifted audio windows.

Every sample is a pure function of ``(seed, split, index)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synth.av.offset import AVMeta, AVOffset
from synth.av.talking_head import (
    FaceSprite,
    FaceStyle,
    HeadMotion,
    composite,
    idle_lips,
    lip_track,
    talker,
)
from synth.core import Target, sample_rng, split_id
from synth.video.sources.procedural import ProceduralFrames

CLIP_KINDS = ("single", "multi", "cut", "silent_face", "no_face")
DEFAULT_KIND_WEIGHTS = {"single": 0.4, "multi": 0.15, "cut": 0.15, "silent_face": 0.1, "no_face": 0.2}
CLASSES = ("in_sync", "out_of_sync", "inconclusive")
WINDOW_CANVAS = 192  # px, square canvas of a training window


@dataclass
class FaceTruth:
    """One face on screen during ``[start, end)`` frames: per-frame box and whether it speaks."""

    shot: int
    start: int
    end: int
    boxes: np.ndarray  # (end - start, 4) float32 x0, y0, x1, y1 of the face ellipse
    speaking: bool

    def to_dict(self) -> dict[str, Any]:
        mean = self.boxes.mean(axis=0)
        return {
            "shot": self.shot,
            "start": self.start,
            "end": self.end,
            "speaking": self.speaking,
            "mean_box": [round(float(v), 1) for v in mean],
        }


@dataclass
class AVClipSample:
    frames: np.ndarray  # (T, H, W, 3) uint8
    audio: np.ndarray  # (N,) float32
    fps: float
    sample_rate: int
    target: Target
    faces: list[FaceTruth] = field(default_factory=list)


@dataclass
class SyncWindow:
    frames: np.ndarray  # (F, S, S, 3) uint8 on a square canvas
    boxes: np.ndarray  # (F, 4) float32 face ellipse box per frame
    audio: np.ndarray  # (round((F + 2 * context) * sample_rate / fps),) float32, in sync
    context_frames: int


class AVSyncSynth:
    """Talking-head clips with AV offsets (see the module doc)."""

    classes = CLASSES

    def __init__(
        self,
        offset: AVOffset,
        seed: int = 0,
        fps: float = 25.0,
        seconds: float = 4.0,
        height: int = 360,
        width: int = 640,
        sample_rate: int = 16000,
        kind_weights: Mapping[str, float] | None = None,
        face_height_range: tuple[float, float] = (0.28, 0.6),
        music_bed_prob: float = 0.3,
        background: ProceduralFrames | None = None,
    ) -> None:
        weights = dict(DEFAULT_KIND_WEIGHTS if kind_weights is None else kind_weights)
        unknown = sorted(set(weights) - set(CLIP_KINDS))
        if unknown:
            raise ValueError(
                f"AVSyncSynth.kind_weights has unknown kinds {unknown}; expected {list(CLIP_KINDS)}"
            )
        p = np.array([max(float(weights.get(k, 0.0)), 0.0) for k in CLIP_KINDS])
        if p.sum() <= 0:
            raise ValueError(f"AVSyncSynth.kind_weights must have a positive sum, got {weights}")
        lo, hi = face_height_range
        if not 0.05 <= lo <= hi <= 0.9:
            raise ValueError(
                f"AVSyncSynth.face_height_range must be within [0.05, 0.9], got {face_height_range}"
            )
        if fps <= 0 or seconds <= 0 or sample_rate < 8000:
            raise ValueError(
                f"AVSyncSynth needs fps > 0, seconds > 0, sample_rate >= 8000; got {fps}, {seconds}, {sample_rate}"
            )
        self.offset, self.seed = offset, int(seed)
        self.fps, self.seconds, self.sample_rate = float(fps), float(seconds), int(sample_rate)
        self.height, self.width = int(height), int(width)
        self.kind_probs = p / p.sum()
        self.face_height_range = (float(lo), float(hi))
        self.music_bed_prob = float(music_bed_prob)
        self.background = background or ProceduralFrames(
            content_weights={
                "landscape": 1,
                "shapes": 1,
                "texture": 1,
                "gradient": 2,
                "foliage": 1,
                "text": 0.5,
            }
        )

    @property
    def num_frames(self) -> int:
        return int(round(self.seconds * self.fps))

    @property
    def margin_s(self) -> float:
        return self.offset.max_offset_ms / 1000.0 + 0.1

    # ------------------------------------------------------------------------------------ full clips

    def clip(self, split: str, index: int) -> AVClipSample:
        rng = sample_rng(self.seed, split, index)
        kind = CLIP_KINDS[int(rng.choice(len(CLIP_KINDS), p=self.kind_probs))]
        t, h, w, fps, sr = self.num_frames, self.height, self.width, self.fps, self.sample_rate
        margin = int(round(self.margin_s * sr))
        n = int(round(t / fps * sr))
        total = n + 2 * margin
        faces: list[FaceTruth] = []
        frames = np.empty((t, h, w, 3), np.uint8)
        cut = int(rng.integers(int(0.3 * t), int(0.7 * t) + 1)) if kind == "cut" else t
        shots = [(0, cut), (cut, t)] if cut < t else [(0, t)]
        voice = np.zeros(total, np.float32)
        for s, (a, b) in enumerate(shots):
            f0 = float(rng.uniform(85, 240))
            # the voice of this shot, with its own context; spliced at the cut
            vrng = np.random.default_rng(rng.integers(2**63))
            wave, articulation = talker(vrng, total, sr, f0)
            if len(shots) == 1:
                voice = wave
            else:
                lo = 0 if s == 0 else margin + int(round(a / fps * sr))
                hi = margin + int(round(b / fps * sr)) if s == 0 else total
                fade = min(int(0.01 * sr), hi - lo)
                piece = wave[lo:hi].copy()
                if s > 0:
                    piece[:fade] *= np.linspace(0, 1, fade, dtype=np.float32)
                voice[lo:hi] += piece
            frames[a:b], shot_faces = self._shot(rng, kind, s, a, b, articulation)
            faces.extend(shot_faces)
        audio = voice + self._bed(rng, total, kind)
        params = self.offset.sample_params(rng, AVMeta(sr, margin))
        audio, sync = self.offset.apply(audio, params, AVMeta(sr, margin))
        speaking = any(f.speaking for f in faces)
        label = sync.label if speaking else "inconclusive"
        target = Target(
            label=label,
            params={"kind": kind, **params, "cut_frame": cut if cut < t else None},
            stats={
                **sync.stats,
                "sync_label": sync.label,
                "speaking_face": speaking,
                "faces": [f.to_dict() for f in faces],
                "shots": [list(s) for s in shots],
            },
        )
        return AVClipSample(frames, audio, fps, sr, target, faces)

    def _bed(self, rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
        """Room tone always; sometimes music under the voice, at -25..-12 dB relative."""
        bed = rng.standard_normal(n).astype(np.float32) * np.float32(10 ** (rng.uniform(-62, -48) / 20))
        if rng.random() < self.music_bed_prob:
            music, _ = self.background_audio(rng, n)
            bed += music * np.float32(0.5 * 10 ** (rng.uniform(-25, -12) / 20))
        return bed

    def background_audio(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, dict[str, Any]]:
        from synth.av.talking_head import _audio_source

        audio, info = _audio_source(0).segment(rng, "train", n, self.sample_rate)
        peak = float(np.abs(audio).max())
        return audio[0] / np.float32(max(peak, 1e-6)), info

    def _shot(
        self,
        rng: np.random.Generator,
        kind: str,
        shot: int,
        a: int,
        b: int,
        articulation: list[tuple[str, float, float, float]],
    ) -> tuple[np.ndarray, list[FaceTruth]]:
        num, h, w = b - a, self.height, self.width
        split = "train"  # backgrounds are scenery; the split only changes which scenes are drawn
        background, _ = self.background.clip(rng, split, num, h, w)
        if kind == "no_face":
            return background, []
        count = (
            1
            if kind in ("single", "cut")
            else int(rng.integers(2, 4))
            if kind == "multi"
            else int(rng.integers(1, 3))
        )
        speaker = int(rng.integers(count)) if kind != "silent_face" else -1
        lo, hi = self.face_height_range
        if count > 1:
            hi = min(hi, 0.45)
        slots = np.linspace(0, 1, count + 2)[1:-1] if count > 1 else np.array([rng.uniform(0.3, 0.7)])
        out = background.astype(np.float32)
        light = 1.0 + 0.06 * np.sin(
            2 * np.pi * rng.uniform(0.01, 0.05) * np.arange(num) + rng.uniform(0, 6.3)
        )
        faces = []
        for i in range(count):
            style = FaceStyle.sample(rng)
            face_h = rng.uniform(lo, hi) * h  # full face height in px
            fw = face_h / 2 / style.aspect
            sprite = FaceSprite(style, fw, rng)
            cx = float(slots[i] * w + rng.uniform(-0.05, 0.05) * w)
            cy = float(rng.uniform(0.42, 0.58) * h)
            cx = float(np.clip(cx, fw * 1.2, w - fw * 1.2))
            cy = float(np.clip(cy, face_h * 0.6, h - face_h * 0.55))
            motion = HeadMotion.sample(rng, num, cx, cy, amount=rng.uniform(0.3, 1.5))
            if i == speaker:
                opening, width = lip_track(articulation, num, self.fps, offset_s=self.margin_s + a / self.fps)
            else:
                opening, width = idle_lips(rng, num)
            blinks = _blinks(rng, num, self.fps)
            boxes = np.empty((num, 4), np.float32)
            for k in range(num):
                rgb = sprite.frame(float(opening[k]), float(width[k]), bool(blinks[k]))
                boxes[k] = composite(
                    out[k], sprite, rgb, motion.cx[k], motion.cy[k], motion.scale[k], motion.roll[k]
                )
            faces.append(FaceTruth(shot=shot, start=a, end=b, boxes=boxes, speaking=i == speaker))
        out *= light[:, None, None, None].astype(np.float32)
        out += rng.normal(0, 2.0, size=(1, h, w, 3)).astype(np.float32)  # sensor pattern noise
        return np.clip(out, 0, 255).astype(np.uint8), faces

    # ------------------------------------------------------------------------------ training windows

    def window(self, split: str, index: int, num_frames: int = 5, context_frames: int = 15) -> SyncWindow:
        """A speaking face for ``num_frames`` frames and its in-sync audio with context (module doc)."""
        split_id(split)
        rng = sample_rng(self.seed, split, index, stream=1)
        fps, sr, size = self.fps, self.sample_rate, WINDOW_CANVAS
        span = num_frames + 2 * context_frames
        n = int(round(span / fps * sr))
        lead_s = 0.3  # voice rendered from before the window so a syllable may be under way
        wave, articulation = talker(rng, n + int(lead_s * sr), sr, float(rng.uniform(85, 240)))
        audio = wave[int(lead_s * sr) :]
        audio = audio + self._bed(rng, audio.shape[0], "single")
        opening, width = lip_track(articulation, num_frames, fps, offset_s=lead_s + context_frames / fps)
        background, _ = self.background.clip(rng, split, num_frames, size, size)
        style = FaceStyle.sample(rng)
        # faces as large as in clips of `height` px, capped so the face fits the canvas
        face_h = min(rng.uniform(*self.face_height_range) * self.height, size * 0.7)
        fw = face_h / 2 / style.aspect
        sprite = FaceSprite(style, fw, rng)
        motion = HeadMotion.sample(
            rng,
            num_frames,
            size / 2 + rng.uniform(-8, 8),
            size * 0.52 + rng.uniform(-8, 8),
            rng.uniform(0.3, 1.5),
        )
        blinks = _blinks(rng, num_frames, fps)
        out = background.astype(np.float32) * np.float32(rng.uniform(0.8, 1.15))
        boxes = np.empty((num_frames, 4), np.float32)
        for k in range(num_frames):
            rgb = sprite.frame(float(opening[k]), float(width[k]), bool(blinks[k]))
            boxes[k] = composite(
                out[k], sprite, rgb, motion.cx[k], motion.cy[k], motion.scale[k], motion.roll[k]
            )
        out += rng.normal(0, 2.0, size=(1, size, size, 3)).astype(np.float32)
        frames = np.clip(out, 0, 255).astype(np.uint8)
        return SyncWindow(
            frames=frames, boxes=boxes, audio=audio.astype(np.float32), context_frames=context_frames
        )


def _blinks(rng: np.random.Generator, num_frames: int, fps: float) -> np.ndarray:
    """Eyes closed for ~0.12 s about every 3-5 s."""
    closed = np.zeros(num_frames, bool)
    t = rng.uniform(0, 4.0)
    while t * fps < num_frames:
        k = int(t * fps)
        closed[k : k + max(1, int(0.12 * fps))] = True
        t += rng.uniform(2.5, 5.0)
    return closed
