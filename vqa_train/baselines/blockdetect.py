"""FFmpeg's ``blockdetect`` filter as a non-learned baseline for the block-corruption task.

``blockdetect`` compares luma gradients on a block grid with those inside the blocks, trying every
block period in ``[period_min, period_max]``, and attaches the strongest ratio to each frame as the
``lavfi.block`` metadata (about 1 for natural images, higher for a visible grid). It runs in-process
through a PyAV filter graph (``buffer -> format=yuv444p -> blockdetect -> buffersink``; the RGB to
YUV conversion is FFmpeg's). The baseline calls a frame corrupted when its score exceeds one
threshold, chosen on the validation split to maximise balanced accuracy.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import av
import av.filter
import numpy as np

METADATA_KEY = "lavfi.block"
SCORE_INF = 1000.0  # what FFmpeg's "inf" becomes: edges only on the grid, flat inside every block
SCORE_NAN = 0.0  # what "nan" (a flat frame: no gradients at all) becomes; FFmpeg gives 0 for tiny frames
MAX_CACHED_GRAPHS = 8  # one graph per frame size and setting, per thread


class BlockDetectRunner:
    """Reusable ``blockdetect`` graphs, one per (width, height); the filter keeps no state across frames.

    Not thread-safe: use one runner per thread (:func:`blockdetect_scores` does).
    """

    def __init__(self, period_min: int = 3, period_max: int = 24, planes: int = 1) -> None:
        if not (2 <= int(period_min) <= 32 and int(period_min) <= int(period_max) <= 64):
            raise ValueError(
                f"need 2 <= period_min <= 32 and period_min <= period_max <= 64, got {period_min}, {period_max}"
            )
        if not 1 <= int(planes) <= 15:
            raise ValueError(f"planes must be a bit mask in [1, 15], got {planes}")
        self.args = f"period_min={int(period_min)}:period_max={int(period_max)}:planes={int(planes)}"
        self._graphs: OrderedDict[tuple[int, int], list] = OrderedDict()  # (w, h) -> [graph, next_pts]

    def _graph(self, width: int, height: int) -> list:
        key = (width, height)
        if key in self._graphs:
            self._graphs.move_to_end(key)
            return self._graphs[key]
        graph = av.filter.Graph()
        chain = [
            graph.add_buffer(width=width, height=height, format="rgb24", time_base=Fraction(1, 25)),
            graph.add("format", "pix_fmts=yuv444p"),  # full-resolution chroma: any size works
            graph.add("blockdetect", self.args),
            graph.add("buffersink"),
        ]
        for upstream, downstream in zip(chain, chain[1:]):
            upstream.link_to(downstream)
        graph.configure()
        self._graphs[key] = [graph, 0]
        if len(self._graphs) > MAX_CACHED_GRAPHS:
            self._graphs.popitem(last=False)
        return self._graphs[key]

    def __call__(self, frame: np.ndarray) -> float:
        """The blockiness score of one RGB uint8 ``(H, W, 3)`` frame."""
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"expected an RGB uint8 (H, W, 3) frame, got {frame.dtype} {frame.shape}")
        height, width = frame.shape[:2]
        entry = self._graph(width, height)
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        video_frame.pts = entry[1]
        entry[1] += 1  # timestamps must keep increasing through a graph
        entry[0].push(video_frame)
        return _score(entry[0].pull().metadata.get(METADATA_KEY))


def _score(text: str | None) -> float:
    if text is None:
        raise RuntimeError(f"blockdetect attached no {METADATA_KEY!r} metadata (FFmpeg build changed?)")
    value = float(text)
    if np.isnan(value):
        return SCORE_NAN
    if np.isinf(value):
        return SCORE_INF if value > 0 else SCORE_NAN
    return value


_local = threading.local()


def _runner(period_min: int, period_max: int, planes: int) -> BlockDetectRunner:
    runners = getattr(_local, "runners", None)
    if runners is None:
        runners = _local.runners = {}
    key = (int(period_min), int(period_max), int(planes))
    if key not in runners:
        runners[key] = BlockDetectRunner(*key)
    return runners[key]


def blockdetect_scores(
    frames: Iterable[np.ndarray], period_min: int = 3, period_max: int = 24, planes: int = 1
) -> np.ndarray:
    """Float64 ``[N]`` blockiness scores of RGB uint8 frames of any sizes (finite; higher = blockier).

    Graphs are cached per thread and frame size, so calling this one frame at a time costs little.
    ``planes`` is FFmpeg's bit mask over Y, U, V (1: luma only).
    """
    runner = _runner(period_min, period_max, planes)
    return np.asarray([runner(frame) for frame in frames], dtype=np.float64)


def blockdetect_fps(
    width: int = 640, height: int = 360, n_frames: int = 100, seed: int = 0, **kwargs: Any
) -> float:
    """Frames per second :func:`blockdetect_scores` manages on this machine (one thread, RGB input)."""
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(4)]
    blockdetect_scores(frames[:1], **kwargs)  # build the graph outside the timing
    start = time.perf_counter()
    blockdetect_scores((frames[i % len(frames)] for i in range(n_frames)), **kwargs)
    return n_frames / (time.perf_counter() - start)


def _binary_labels(labels: Sequence[Any] | np.ndarray, positive: str) -> np.ndarray:
    array = np.asarray(labels)
    if array.dtype.kind in "USO":
        return np.asarray([str(label) == positive for label in array.ravel()], dtype=bool)
    return array.astype(bool).ravel()


class BlockDetectBaseline:
    """``corrupted`` when the ``blockdetect`` score exceeds one threshold chosen on validation data."""

    def __init__(
        self,
        threshold: float | None = None,
        period_min: int = 3,
        period_max: int = 24,
        planes: int = 1,
        positive_label: str = "corrupted",
    ) -> None:
        self.threshold = threshold
        self.period_min, self.period_max, self.planes = int(period_min), int(period_max), int(planes)
        self.positive_label = positive_label
        self.val_bacc: float | None = None

    def scores(self, frames: Iterable[np.ndarray]) -> np.ndarray:
        return blockdetect_scores(frames, self.period_min, self.period_max, self.planes)

    def fit(self, scores: np.ndarray, labels: Sequence[Any] | np.ndarray) -> BlockDetectBaseline:
        """Pick the threshold maximising balanced accuracy; labels are 0/1, bools or class names.

        Candidates are the midpoints between consecutive distinct scores (plus one below the minimum
        and the maximum itself); ties go to the lowest threshold.
        """
        s = np.asarray(scores, dtype=np.float64).ravel()
        y = _binary_labels(labels, self.positive_label)
        if s.shape != y.shape:
            raise ValueError(f"{y.size} labels for {s.size} scores")
        if not np.isfinite(s).all():
            raise ValueError("scores must be finite")
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        if n_pos == 0 or n_neg == 0:
            raise ValueError(f"fit needs both classes, got {n_pos} corrupted and {n_neg} clean")
        order = np.argsort(s, kind="stable")
        s, y = s[order], y[order]
        levels, first = np.unique(s, return_index=True)
        # Threshold k sits just below levels[k]: rows from first[k] on are called corrupted.
        starts = np.append(first, s.size)
        pos_before = np.concatenate([[0], np.cumsum(y)])[starts]
        neg_before = starts - pos_before
        tpr = (n_pos - pos_before) / n_pos
        tnr = neg_before / n_neg
        bacc = (tpr + tnr) / 2
        k = int(np.argmax(bacc))
        if k == 0:
            self.threshold = float(levels[0] - 1.0)
        elif k == levels.size:
            self.threshold = float(levels[-1])
        else:
            self.threshold = float((levels[k - 1] + levels[k]) / 2)
        self.val_bacc = float(bacc[k])
        return self

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """Int64 ``[N]``: 1 = corrupted (score above the threshold), 0 = clean."""
        if self.threshold is None:
            raise RuntimeError("BlockDetectBaseline.predict before fit (no threshold)")
        return (np.asarray(scores, dtype=np.float64) > self.threshold).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "ffmpeg_blockdetect",
            "version": 1,
            "threshold": self.threshold,
            "period_min": self.period_min,
            "period_max": self.period_max,
            "planes": self.planes,
            "positive_label": self.positive_label,
            "val_bacc": self.val_bacc,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockDetectBaseline:
        if data.get("kind") != "ffmpeg_blockdetect":
            raise ValueError(f"not an ffmpeg_blockdetect dict: kind={data.get('kind')!r}")
        model = cls(
            threshold=data["threshold"],
            period_min=data["period_min"],
            period_max=data["period_max"],
            planes=data["planes"],
            positive_label=data.get("positive_label", "corrupted"),
        )
        model.val_bacc = data.get("val_bacc")
        return model
