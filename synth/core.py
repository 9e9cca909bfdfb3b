"""The defect contract shared by every modality.

A defect is a frozen dataclass of parameter *ranges* (units in the field names). All randomness is
drawn in :meth:`Defect.sample_params` from a generator passed in; :meth:`Defect.apply` is
deterministic given those params and never mutates its input. Each synthetic sample gets its own
generator from ``(seed, split, index)`` so that a sample is identical whatever the worker count or
the order in which samples are requested.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

SPLITS: dict[str, int] = {"train": 0, "val": 1, "test": 2}


def split_id(split: str) -> int:
    """Integer id of a split name; a clear error for anything else."""
    try:
        return SPLITS[split]
    except KeyError:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}") from None


def sample_rng(seed: int, split: str, index: int, stream: int = 0) -> np.random.Generator:
    """The generator of one sample: a pure function of (seed, split, index, stream)."""
    if index < 0:
        raise ValueError(f"sample index must be >= 0, got {index}")
    return np.random.default_rng([int(seed), split_id(split), int(index), int(stream)])


@dataclass(frozen=True)
class AudioMeta:
    """What a defect may know about the audio it is applied to."""

    sample_rate: int


@dataclass(frozen=True)
class FrameMeta:
    """What a frame defect may know: the previous frame of the same shot, uint8 ``(H, W, 3)``.

    ``previous`` is None for the first frame of a shot; defects that copy from the previous
    frame (as decoders conceal lost macroblocks) then fall back to another mode.
    """

    previous: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ClipMeta:
    """What a clip defect may know: the frame rate (frames/s) and the clip's ``(T, H, W)`` size.

    ``sample_params`` places spans in frames from these, so the drawn params fit the clip they are
    applied to; ``apply`` checks that the clip has this size.
    """

    fps: float
    num_frames: int
    height: int
    width: int

    def __post_init__(self) -> None:
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"ClipMeta.fps must be > 0, got {self.fps!r}")
        for name in ("num_frames", "height", "width"):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"ClipMeta.{name} must be an integer >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))
        object.__setattr__(self, "fps", float(self.fps))

    @classmethod
    def of(cls, clip: np.ndarray, fps: float) -> ClipMeta:
        """The meta of a ``(T, H, W, 3)`` clip played at ``fps``."""
        return cls(fps=fps, num_frames=clip.shape[0], height=clip.shape[1], width=clip.shape[2])


@dataclass
class Target:
    """Ground truth of one (possibly clean) sample.

    ``segments`` are ``(start, end)`` index pairs, end exclusive, in samples for audio and frames
    for video. ``params`` are exactly the params that produced the sample; ``stats`` holds measured
    facts about the result (e.g. the clipped-sample fraction).
    """

    label: str
    segments: list[tuple[int, int]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    # Spatial ground truth of frame defects: float32 ``(H, W)`` in {0, 1}, 1 where pixels changed.
    mask: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "segments": [list(map(int, s)) for s in self.segments],
            "params": _jsonable(self.params),
            "stats": _jsonable(self.stats),
            **({"mask_area_ratio": float(self.mask.mean())} if self.mask is not None else {}),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def validate_fields(obj: Any) -> None:
    """Check and normalise a frozen dataclass of parameter fields, by naming convention.

    ``*_range`` fields become finite ``(low, high)`` pairs within ``obj.bounds`` (if listed there);
    ``*_choices`` become non-empty tuples whose values lie in ``obj.options`` (if listed there);
    ``*_prob`` fields must be numbers in [0, 1]. Every error names the class and the field. Used by
    every :class:`Defect` and by the hard-negative generators, which follow the same conventions.
    """
    name = type(obj).__name__
    bounds = getattr(obj, "bounds", {})
    options = getattr(obj, "options", {})
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name.endswith("_range"):
            value = _coerce_range(name, f.name, value)
            lo_bound, hi_bound = bounds.get(f.name, (-np.inf, np.inf))
            if value[0] < lo_bound or value[1] > hi_bound:
                raise ValueError(
                    f"{name}.{f.name}={list(value)} is outside the allowed [{lo_bound}, {hi_bound}]"
                )
            object.__setattr__(obj, f.name, value)
        elif f.name.endswith("_choices"):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise ValueError(f"{name}.{f.name} must be a list of choices, got {value!r}")
            value = tuple(value)
            if not value:
                raise ValueError(f"{name}.{f.name} must not be empty")
            unknown = [v for v in value if f.name in options and v not in options[f.name]]
            if unknown:
                raise ValueError(
                    f"{name}.{f.name} has unknown values {unknown}; expected some of {options[f.name]}"
                )
            object.__setattr__(obj, f.name, value)
        elif f.name.endswith("_prob") and not _is_probability(value):
            raise ValueError(f"{name}.{f.name}={value!r} must be a probability in [0, 1]")


@dataclass(frozen=True)
class Defect(ABC):
    """Base class of every simulated defect.

    Subclasses declare ``label`` and their parameter fields. Fields ending in ``_range`` are
    ``(low, high)`` intervals; fields ending in ``_choices`` are non-empty tuples; fields ending in
    ``_prob`` are probabilities. Optional ``bounds`` limits what a range may be configured to
    (physical sanity, not taste) and optional ``options`` lists the allowed values of a choice field.
    """

    label: ClassVar[str] = ""
    bounds: ClassVar[dict[str, tuple[float, float]]] = {}
    options: ClassVar[dict[str, tuple[Any, ...]]] = {}

    def __post_init__(self) -> None:
        validate_fields(self)

    @abstractmethod
    def sample_params(self, rng: np.random.Generator, meta: Any) -> dict[str, Any]:
        """Draw every random choice for one application. The only place randomness happens."""

    @abstractmethod
    def apply(self, media: np.ndarray, params: dict[str, Any], meta: Any) -> tuple[np.ndarray, Target]:
        """Deterministically apply the defect; returns new media and its ground truth."""

    def __call__(self, media: np.ndarray, rng: np.random.Generator, meta: Any) -> tuple[np.ndarray, Target]:
        return self.apply(media, self.sample_params(rng, meta), meta)


def _is_probability(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0.0 <= value <= 1.0


def _coerce_range(owner: str, name: str, value: Any) -> tuple[float, float]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f"{owner}.{name} must be a (low, high) pair, got {value!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"{owner}.{name} must be finite, got {value!r}")
    if lo > hi:
        raise ValueError(f"{owner}.{name} has low > high: {value!r}")
    return (lo, hi)


def uniform(rng: np.random.Generator, interval: tuple[float, float]) -> float:
    """A float drawn uniformly from a closed interval (degenerate intervals allowed)."""
    lo, hi = interval
    return float(lo if lo == hi else rng.uniform(lo, hi))


def integer(rng: np.random.Generator, interval: tuple[float, float]) -> int:
    """An int drawn uniformly from a closed integer interval."""
    lo, hi = int(interval[0]), int(interval[1])
    return int(rng.integers(lo, hi + 1))
