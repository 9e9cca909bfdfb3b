"""Audio/video offset: the sound track shifted against the pictures by a signed number of ms.

Convention (used everywhere in this project): ``offset_ms > 0`` means the audio *lags* the video
(a sound is heard after the lips make it), ``offset_ms < 0`` that it *leads*. Broadcast practice
tolerates more lag than lead, because sound arrives late in nature: EBU R37 asks that audio lead
by at most 40 ms and lag by at most 60 ms end to end, ITU-R BT.1359 finds offsets detectable
from about 45 ms lead or 125 ms lag. The default in-sync tolerance is EBU R37's ``[-40, +60]`` ms.

Offsets are drawn as in-sync (uniform inside the tolerance, with probability ``in_sync_prob``)
or out-of-sync (``|offset|`` uniform in ``out_of_sync_ms_range``, random sign). The default
out-of-sync range starts at 100 ms, a guard band of about one frame at 25 fps beyond the
tolerance, so that a label is never decided by less than one frame of estimation error.

:meth:`AVOffset.apply` shifts by whole samples. When the caller rendered ``margin`` seconds of
extra sound on each side of the clip (``AVMeta.margin_samples``), the shifted clip is cut from
that context and nothing is invented; without context, samples that come from outside the
recording are zeros (digital silence) and their count is recorded as ``stats.padded_samples``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from synth.core import Defect, Target, uniform

LABELS = ("in_sync", "out_of_sync")


@dataclass(frozen=True)
class AVMeta:
    """What the offset knows: the audio rate and how many context samples pad each side of the clip."""

    sample_rate: int
    margin_samples: int = 0


def sync_label(offset_ms: float, tolerance_ms: tuple[float, float]) -> str:
    """``in_sync`` when ``-lead <= offset_ms <= +lag`` for ``tolerance_ms = (lead, lag)``, else ``out_of_sync``."""
    lead, lag = tolerance_ms
    return "in_sync" if -lead <= offset_ms <= lag else "out_of_sync"


@dataclass(frozen=True)
class AVOffset(Defect):
    """Shift the audio against the video by a signed offset (ms; > 0 = audio late)."""

    label: ClassVar[str] = "out_of_sync"
    bounds: ClassVar[dict[str, tuple[float, float]]] = {
        "tolerance_ms": (0.0, 500.0),
        "out_of_sync_ms_range": (0.0, 2000.0),
    }

    in_sync_prob: float = 0.4
    # (lead, lag): audio may lead by `lead` ms and lag by `lag` ms and still be in sync (EBU R37).
    tolerance_ms: tuple[float, float] = (40.0, 60.0)
    out_of_sync_ms_range: tuple[float, float] = (100.0, 500.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        lead, lag = (float(v) for v in self.tolerance_ms)
        if not (0 <= lead <= 500 and 0 <= lag <= 500):
            raise ValueError(
                f"AVOffset.tolerance_ms must be two values in [0, 500] ms, got {self.tolerance_ms}"
            )
        object.__setattr__(self, "tolerance_ms", (lead, lag))
        if self.out_of_sync_ms_range[0] <= max(lead, lag):
            raise ValueError(
                f"AVOffset.out_of_sync_ms_range={list(self.out_of_sync_ms_range)} must start above the "
                f"in-sync tolerance {list(self.tolerance_ms)}"
            )

    @property
    def max_offset_ms(self) -> float:
        return float(max(self.out_of_sync_ms_range[1], *self.tolerance_ms))

    def sample_params(self, rng: np.random.Generator, meta: AVMeta) -> dict[str, Any]:
        if rng.random() < self.in_sync_prob:
            lead, lag = self.tolerance_ms
            offset = uniform(rng, (-lead, lag))
        else:
            offset = uniform(rng, self.out_of_sync_ms_range) * (1 if rng.random() < 0.5 else -1)
        return {"offset_ms": round(float(offset), 3)}

    def label_of(self, offset_ms: float) -> str:
        return sync_label(offset_ms, self.tolerance_ms)

    def apply(self, media: np.ndarray, params: dict[str, Any], meta: AVMeta) -> tuple[np.ndarray, Target]:
        audio = np.asarray(media, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"AVOffset takes mono audio (samples,), got shape {audio.shape}")
        margin = int(meta.margin_samples)
        n = audio.shape[0] - 2 * margin
        if n <= 0:
            raise ValueError(f"audio of {audio.shape[0]} samples is shorter than its 2 x {margin} margin")
        offset_ms = float(params["offset_ms"])
        shift = int(round(offset_ms * meta.sample_rate / 1000.0))
        # out[i] = source[margin + i - shift]: a positive shift plays every sound later
        src = np.arange(n) + margin - shift
        valid = (src >= 0) & (src < audio.shape[0])
        out = np.zeros(n, dtype=np.float32)
        out[valid] = audio[src[valid]]
        label = self.label_of(offset_ms)
        return out, Target(
            label=label,
            params=dict(params),
            stats={"shift_samples": shift, "padded_samples": int(n - valid.sum())},
        )
