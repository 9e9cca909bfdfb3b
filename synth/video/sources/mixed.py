"""A mixture of frame sources, one drawn per sample."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from synth.video.base import FrameSource


class MixedFrames:
    """A :class:`~synth.video.base.FrameSource` that draws one of ``sources`` per sample.

    ``weights`` is a mapping like ``sources`` or a sequence in the order of ``sources`` (as a YAML
    list); None weighs them equally. ``info["mix"]`` names the source that was drawn.
    """

    def __init__(
        self,
        sources: Mapping[str, FrameSource],
        weights: Mapping[str, float] | Sequence[float] | None = None,
    ) -> None:
        self.sources = {str(name): source for name, source in sources.items()}
        if not self.sources:
            raise ValueError("MixedFrames.sources must name at least one source")
        names = list(self.sources)
        if weights is None:
            values = [1.0] * len(names)
        elif isinstance(weights, Mapping):
            extra = sorted(set(map(str, weights)) - set(names))
            missing = sorted(set(names) - set(map(str, weights)))
            if extra or missing:
                raise ValueError(
                    f"MixedFrames.weights must name exactly the sources {names}; extra {extra}, missing {missing}"
                )
            values = [float(weights[name]) for name in names]
        else:
            values = [float(w) for w in weights]
            if len(values) != len(names):
                raise ValueError(
                    f"MixedFrames.weights has {len(values)} values for {len(names)} sources {names}"
                )
        if any(v < 0 for v in values) or sum(values) <= 0:
            raise ValueError(f"MixedFrames.weights must be >= 0 with a positive sum, got {values}")
        self.names = names
        self.probs = np.array(values) / sum(values)

    def _pick(self, rng: np.random.Generator) -> str:
        return self.names[int(rng.choice(len(self.names), p=self.probs))]

    def frames(
        self, rng: np.random.Generator, split: str, height: int, width: int
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        name = self._pick(rng)
        previous, frame, info = self.sources[name].frames(rng, split, height, width)
        return previous, frame, {**info, "mix": name}

    def clip(
        self, rng: np.random.Generator, split: str, num_frames: int, height: int, width: int
    ) -> tuple[np.ndarray, dict[str, Any]]:
        name = self._pick(rng)
        frames, info = self.sources[name].clip(rng, split, num_frames, height, width)
        return frames, {**info, "mix": name}
