"""Per-sample generation of labelled clips: a pristine clip, temporal hard negatives, maybe the clip defect."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from synth.core import ClipMeta, Target, sample_rng
from synth.video.base import FrameSource, check_classes, check_clip, check_frame_size
from synth.video.negatives import X264_PRESETS, x264_roundtrip
from synth.video.temporal import ClipDefect
from synth.video.temporal_negatives import TemporalNegatives

CLEAN = "clean"


class TemporalClipSynth:
    """Labelled clips from ``(seed, split, index)`` alone.

    A sample is ``num_frames`` frames from ``source.clip``, passed through the temporal ``negatives``
    (fades, static shots, slow pans, cuts, pulldown: applied to both classes, so they never predict
    the label; a cut switches to a second clip from the same source), then, for a ``defect.label``
    index, through ``defect``. Labels cycle through ``classes`` by index, so every split is exactly
    balanced at clip level whatever the worker count or order. Frame labels are 1 inside the
    defect's end-exclusive ``Target.segments``.

    With ``codec_prob`` > 0 that share of clips (of both classes) finally goes through a libx264
    round trip at a CRF drawn from ``codec_crf_range``, as delivered video does: a codec removes
    grain, so a static shot decodes to near-identical frames and a held frame is no longer
    bit-exact. With the default 0 no extra draw is made and the data are as before. With
    ``codec_keyint_range`` (frames; default None: one keyframe, the first) the keyframe interval is
    drawn too, so keyframes also fall inside the clip: a keyframe refreshes a still picture in one
    step, as in streamed video (2 s GOPs). ``codec_presets`` (default ``("ultrafast",)``) are x264
    presets drawn from when there are several. Each extra draw is made only when configured.

    With ``min_change_levels`` > 0 a defect must be visible: when it changes its frames by less than
    that many levels on average (``Target.stats["mean_change_levels"]``: a freeze or stutter over
    content that hardly moves changes nothing one could see), the whole sample (source, negatives,
    defect) is drawn again from the same generator, at most ``max_draws`` times in all
    (``stats["draws"]``). Otherwise such a clip would carry a defect label on pixels that are clean.
    With the default 0 nothing is redrawn and the data are as before.
    """

    def __init__(
        self,
        source: FrameSource,
        defect: ClipDefect,
        negatives: TemporalNegatives | None = None,
        num_frames: int = 32,
        height: int = 72,
        width: int = 128,
        fps: float = 25.0,
        seed: int = 0,
        classes: Sequence[str] = (CLEAN, "defect"),
        codec_prob: float = 0.0,
        codec_crf_range: tuple[int, int] = (18, 36),
        codec_keyint_range: tuple[int, int] | None = None,
        codec_presets: Sequence[str] = ("ultrafast",),
        min_change_levels: float = 0.0,
        max_draws: int = 8,
    ) -> None:
        classes = check_classes(classes, defect.label, CLEAN)
        if not 0.0 <= float(codec_prob) <= 1.0:
            raise ValueError(f"TemporalClipSynth.codec_prob must be in [0, 1], got {codec_prob}")
        lo, hi = (int(v) for v in codec_crf_range)
        if not 0 <= lo <= hi <= 51:
            raise ValueError(
                f"TemporalClipSynth.codec_crf_range must be within [0, 51], got {codec_crf_range}"
            )
        self.codec_prob, self.codec_crf_range = float(codec_prob), (lo, hi)
        self.codec_keyint_range = None
        if codec_keyint_range is not None:
            k_lo, k_hi = (int(v) for v in codec_keyint_range)
            if not 1 <= k_lo <= k_hi:
                raise ValueError(
                    f"TemporalClipSynth.codec_keyint_range must be 1 <= lo <= hi frames, got {codec_keyint_range}"
                )
            self.codec_keyint_range = (k_lo, k_hi)
        self.codec_presets = tuple(str(v) for v in codec_presets)
        unknown = [v for v in self.codec_presets if v not in X264_PRESETS]
        if not self.codec_presets or unknown:
            raise ValueError(
                f"TemporalClipSynth.codec_presets: unknown x264 preset(s) {unknown or '(none given)'}; "
                f"choose from {list(X264_PRESETS)}"
            )
        if not float(min_change_levels) >= 0.0:
            raise ValueError(f"TemporalClipSynth.min_change_levels must be >= 0, got {min_change_levels}")
        if int(max_draws) < 1:
            raise ValueError(f"TemporalClipSynth.max_draws must be >= 1, got {max_draws}")
        self.min_change_levels, self.max_draws = float(min_change_levels), int(max_draws)
        check_frame_size(height, width)
        self.meta = ClipMeta(fps=fps, num_frames=num_frames, height=height, width=width)
        if self.meta.num_frames < defect.min_frames:
            raise ValueError(
                f"{type(defect).__name__} needs >= {defect.min_frames} frames per clip, got {num_frames}"
            )
        self.source = source
        self.defect = defect
        self.negatives = negatives
        self.seed = int(seed)
        self.classes = classes

    @property
    def num_frames(self) -> int:
        return self.meta.num_frames

    def label_of(self, index: int) -> str:
        return self.classes[index % len(self.classes)]

    def _source_clip(self, rng: np.random.Generator, split: str) -> tuple[np.ndarray, dict[str, Any]]:
        m = self.meta
        clip, info = self.source.clip(rng, split, m.num_frames, m.height, m.width)
        check_clip(clip, "source clip")
        if clip.shape != (m.num_frames, m.height, m.width, 3):
            raise ValueError(f"source clip is {clip.shape}, asked for {(m.num_frames, m.height, m.width, 3)}")
        return clip, info

    def sample(self, split: str, index: int) -> tuple[np.ndarray, np.ndarray, Target]:
        """The ``index``-th sample: uint8 ``(T, H, W, 3)`` clip, uint8 ``(T,)`` frame labels, Target."""
        rng = sample_rng(self.seed, split, index)
        label = self.label_of(index)
        for draw in range(1, self.max_draws + 1):
            clip, info = self._source_clip(rng, split)
            applied: list[str] = []
            if self.negatives is not None:
                params = self.negatives.sample_params(rng, self.meta, clean=label == CLEAN)
                other = self._source_clip(rng, split)[0] if "cut" in params["applied"] else None
                clip, applied = self.negatives.apply(clip, params, other)
            if label == CLEAN:
                target = Target(label=label)
                break
            clip, target = self.defect(clip, rng, self.meta)
            if self.min_change_levels <= 0:
                break
            target.stats["draws"] = draw
            if target.stats.get("mean_change_levels", np.inf) >= self.min_change_levels:
                break
        if self.codec_prob > 0 and rng.random() < self.codec_prob:
            crf = int(rng.integers(self.codec_crf_range[0], self.codec_crf_range[1] + 1))
            keyint = None
            if self.codec_keyint_range is not None:
                keyint = int(rng.integers(self.codec_keyint_range[0], self.codec_keyint_range[1] + 1))
            preset = self.codec_presets[0]
            if len(self.codec_presets) > 1:
                preset = self.codec_presets[int(rng.integers(len(self.codec_presets)))]
            clip = np.stack(x264_roundtrip(list(clip), crf, keyint=keyint, preset=preset))
            applied = [*applied, "x264"]
            target.stats["codec_crf"] = crf
            target.stats["codec_keyint"], target.stats["codec_preset"] = keyint, preset
        frame_labels = np.zeros(self.meta.num_frames, dtype=np.uint8)
        for start, end in target.segments:
            frame_labels[start:end] = 1
        target.stats["source"] = info
        target.stats["negatives"] = applied
        return clip, frame_labels, target
