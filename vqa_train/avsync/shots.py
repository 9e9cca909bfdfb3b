"""Hard-cut shot detection from frame-to-frame content differences.

Each frame is downscaled to 64x36 (``cv2.INTER_AREA``) and described twice:

* a hue x saturation histogram weighted by value. Hue and saturation do not change when a frame is
  scaled in brightness and every weight scales alike, so a fade or an exposure ramp leaves the
  normalised histogram almost unchanged; near-grey and near-black pixels, whose hue is noise, share
  one "neutral" bin.
* its luma normalised to zero mean and unit contrast, so that global brightness and contrast changes
  cancel and only structure is compared.

The raw score of frame ``t`` is the mean of the histogram distance (half the L1 distance, 0..1) and
the structural distance ``1 - corr(luma_{t-1}, luma_t)`` clipped to 0..1 (a flat frame has no
structure: then its mean luma jump / 64 is used instead). Camera motion raises the structural part on
every frame of a shot while a cut is a single spike, so the final score subtracts the median raw score
of the neighbouring frames (``t-3 .. t+3``, ``t`` excluded). The score is 0 for identical or smoothly
changing content and approaches 1 for a cut between unrelated scenes of different colours.
"""

from __future__ import annotations

import cv2
import numpy as np

SMALL_SIZE = (64, 36)  # (width, height) the frames are compared at
HUE_BINS = 16
SAT_BINS = 3
NEUTRAL_SAT = 48  # saturation (0..255) below which a pixel counts as neutral
DARK_LUMA = 32.0  # mean luma (0..255) below which the colour histogram is trusted less
FLAT_LUMA_STD = 3.0  # luma std (0..255) below which a frame has no structure to correlate
NEIGHBOURS = 3  # frames on each side whose median raw score is the local baseline


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"frames: expected an RGB video of shape (T, H, W, 3), got shape {frames.shape}")
    if frames.dtype != np.uint8:
        raise ValueError(f"frames: expected dtype uint8, got {frames.dtype}")
    return frames


def _describe(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Value-weighted hue/saturation histogram, normalised luma, luma mean and std of one RGB frame."""
    small = cv2.resize(np.ascontiguousarray(frame), SMALL_SIZE, interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int64)
    hue, sat, val = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    neutral = sat < NEUTRAL_SAT
    hue_bin = np.minimum(hue * HUE_BINS // 180, HUE_BINS - 1)
    sat_bin = np.minimum((sat - NEUTRAL_SAT) * SAT_BINS // (256 - NEUTRAL_SAT), SAT_BINS - 1)
    bins = np.where(neutral, 0, 1 + hue_bin * SAT_BINS + np.maximum(sat_bin, 0))
    hist = np.bincount(bins, weights=val.astype(np.float64), minlength=1 + HUE_BINS * SAT_BINS)
    total = hist.sum()
    if total > 0:
        hist /= total
    else:  # an all-black frame is all neutral
        hist[0] = 1.0
    luma = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float64).ravel()
    mean, std = float(luma.mean()), float(luma.std())
    return hist, (luma - mean) / max(std, 1e-6), mean, std


def _raw_scores(frames: np.ndarray) -> np.ndarray:
    """(T,) content difference of each frame to the previous one, before the local baseline is removed."""
    frames = _check_frames(frames)
    scores = np.zeros(len(frames), dtype=np.float64)
    prev = None
    for t, frame in enumerate(frames):
        cur = _describe(frame)
        if prev is not None:
            # colour is undefined in near-black frames: trust the histogram less as they darken
            confidence = min(1.0, min(cur[2], prev[2]) / DARK_LUMA)
            hist_d = 0.5 * float(np.abs(cur[0] - prev[0]).sum()) * confidence
            if min(cur[3], prev[3]) < FLAT_LUMA_STD:
                struct_d = min(1.0, abs(cur[2] - prev[2]) / 64.0)
            else:
                struct_d = float(np.clip(1.0 - np.mean(cur[1] * prev[1]), 0.0, 1.0))
            scores[t] = 0.5 * (hist_d + struct_d)
        prev = cur
    return scores


def cut_scores(frames: np.ndarray) -> np.ndarray:
    """(T,) float score in 0..1 of a cut just before frame t (0 for t = 0); see the module docstring."""
    raw = _raw_scores(frames)
    scores = np.zeros_like(raw)
    for t in range(1, len(raw)):
        lo, hi = max(1, t - NEIGHBOURS), min(len(raw), t + NEIGHBOURS + 1)
        neighbours = np.concatenate([raw[lo:t], raw[t + 1 : hi]])
        baseline = float(np.median(neighbours)) if neighbours.size else 0.0
        scores[t] = float(np.clip(raw[t] - baseline, 0.0, 1.0))
    return scores


def detect_shots(
    frames: np.ndarray, threshold: float = 0.35, min_shot_frames: int = 3
) -> list[tuple[int, int]]:
    """Shots as contiguous (start, end) frame ranges, end exclusive, covering [0, T).

    A cut is placed before every frame whose ``cut_scores`` exceeds ``threshold``. A shot shorter than
    ``min_shot_frames`` is merged into the neighbour across its weaker boundary.
    """
    frames = _check_frames(frames)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold: expected a value in (0, 1), got {threshold}")
    if min_shot_frames < 1:
        raise ValueError(f"min_shot_frames: expected >= 1, got {min_shot_frames}")
    num_frames = len(frames)
    if num_frames == 0:
        return []
    scores = cut_scores(frames)
    cuts = [t for t in range(1, num_frames) if scores[t] > threshold]
    while cuts:
        bounds = [0, *cuts, num_frames]
        lengths = np.diff(bounds)
        shortest = int(np.argmin(lengths))
        if lengths[shortest] >= min_shot_frames:
            break
        # the shot [bounds[i], bounds[i+1]) is bounded by cuts[i-1] (left) and cuts[i] (right)
        candidates = [c for c in (shortest - 1, shortest) if 0 <= c < len(cuts)]
        cuts.pop(min(candidates, key=lambda c: (scores[cuts[c]], c)))
    bounds = [0, *cuts, num_frames]
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
