"""FFmpeg blockdetect baseline: scores rank blockiness, the threshold fit separates, any frame size works."""

from __future__ import annotations

import numpy as np
import pytest

from vqa_train.baselines.blockdetect import (
    SCORE_INF,
    BlockDetectBaseline,
    BlockDetectRunner,
    blockdetect_fps,
    blockdetect_scores,
)


def smooth_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth colour waves plus mild noise (a stand-in for a natural frame)."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None, None]
    x = np.linspace(0, 1, width)[None, :, None]
    phase = np.array([0.0, 1.0, 2.0])[None, None, :]
    image = 128 + 70 * np.sin(7 * x + 4 * y + phase) + rng.normal(0, 3, (height, width, 3))
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def blocky(image: np.ndarray, block: int = 8, seed: int = 0) -> np.ndarray:
    """Each ``block x block`` tile replaced by its mean (heavy DCT quantisation), plus mild noise."""
    h, w = image.shape[0] // block * block, image.shape[1] // block * block
    tiles = (
        image[:h, :w].astype(np.float64).reshape(h // block, block, w // block, block, 3).mean(axis=(1, 3))
    )
    out = image.astype(np.float64)
    out[:h, :w] = np.repeat(np.repeat(tiles, block, axis=0), block, axis=1)
    out += np.random.default_rng(seed).normal(0, 1.5, out.shape)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def test_blocky_frame_scores_higher_than_smooth():
    smooth = smooth_image(96, 128)
    scores = blockdetect_scores([smooth, blocky(smooth), blocky(smooth, block=16)])
    assert scores.dtype == np.float64 and scores.shape == (3,)
    assert np.isfinite(scores).all()
    assert scores[1] > scores[0] + 0.2 and scores[2] > scores[0] + 0.2


def test_odd_sizes_and_reused_graphs_match_fresh_ones():
    frames = [smooth_image(h, w, seed=h) for h, w in [(37, 53), (1, 1), (9, 9), (37, 53), (120, 161)]]
    frames.append(blocky(smooth_image(61, 83)))
    scores = blockdetect_scores(frames)
    assert np.isfinite(scores).all() and scores.shape == (6,)
    assert scores[0] == scores[3]  # same frame, through a cached graph
    fresh = [BlockDetectRunner()(f) for f in frames]
    np.testing.assert_array_equal(scores, fresh)


def test_degenerate_frames_give_finite_scores():
    flat = np.full((32, 48, 3), 90, np.uint8)  # no gradients: FFmpeg says nan
    tiles = np.random.default_rng(0).integers(0, 256, (4, 6, 3), dtype=np.uint8)
    grid = np.repeat(np.repeat(tiles, 8, axis=0), 8, axis=1)  # flat inside blocks: FFmpeg says inf
    scores = blockdetect_scores([flat, grid])
    assert scores[0] == 0.0 and scores[1] == SCORE_INF


def test_rejects_non_rgb_frames():
    with pytest.raises(ValueError, match="RGB uint8"):
        blockdetect_scores([np.zeros((8, 8), np.uint8)])
    with pytest.raises(ValueError, match="period"):
        BlockDetectRunner(period_min=1)


def test_fit_separates_toy_scores():
    rng = np.random.default_rng(0)
    clean = rng.uniform(1.0, 1.2, 40)
    corrupted = rng.uniform(1.3, 2.0, 25)
    scores = np.concatenate([clean, corrupted])
    labels = np.array([0] * 40 + [1] * 25)
    model = BlockDetectBaseline().fit(scores, labels)
    assert clean.max() < model.threshold < corrupted.min()
    assert model.val_bacc == 1.0
    np.testing.assert_array_equal(model.predict(scores), labels)
    named = BlockDetectBaseline().fit(scores, ["clean"] * 40 + ["corrupted"] * 25)
    assert named.threshold == model.threshold
    restored = BlockDetectBaseline.from_dict(model.to_dict())
    np.testing.assert_array_equal(restored.predict(scores), labels)


def test_fit_maximises_balanced_accuracy_on_overlap():
    scores = np.array([1.0, 1.1, 1.2, 1.5, 1.25, 1.6, 1.7, 1.05])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    model = BlockDetectBaseline().fit(scores, labels)

    def bacc(threshold: float) -> float:
        pred = scores > threshold
        return (pred[labels == 1].mean() + (~pred[labels == 0]).mean()) / 2

    best = max(bacc(t) for t in np.linspace(0.9, 1.8, 901))
    assert model.val_bacc == pytest.approx(best) == pytest.approx(bacc(model.threshold))
    # 1.225 and 1.55 tie at 0.75; ties go to the lowest threshold.
    assert model.threshold == pytest.approx(1.225) and best == pytest.approx(0.75)
    with pytest.raises(ValueError, match="both classes"):
        BlockDetectBaseline().fit(scores, np.zeros(8))
    with pytest.raises(RuntimeError, match="before fit"):
        BlockDetectBaseline().predict(scores)


def test_fps_helper_runs():
    assert blockdetect_fps(width=64, height=48, n_frames=5) > 0
