"""The DSP rule baseline: astats through PyAV, spectral rule features, threshold fitting."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from vqa_train.baselines import AstatsRunner, AudioDSPBaseline, astats_features, spectral_features
from vqa_train.baselines.audio_dsp import ASTATS_FEATURES, DB_FLOOR, FEATURE_NAMES, _balanced_accuracy

SR = 32000
LABELS = ["none", "hum", "hiss", "distortion", "clicks"]


def piano(rng: np.random.Generator, seconds: float = 1.0) -> np.ndarray:
    """A struck, decaying harmonic tone at a random non-mains pitch, float32 (1, n)."""
    t = np.arange(int(seconds * SR)) / SR
    f0 = rng.choice([196.0, 261.6, 329.6, 440.0, 523.3])
    envelope = np.exp(-rng.uniform(1, 4) * t) * (1 - np.exp(-300 * t))
    tone = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6)) / k**1.5 for k in range(1, 9))
    return (0.3 * envelope * tone).astype(np.float32)[None, :]


def with_defect(clean: np.ndarray, label: str, rng: np.random.Generator) -> np.ndarray:
    x = clean[0].astype(np.float64)
    t = np.arange(x.size) / SR
    rms = np.sqrt(np.mean(x**2))
    if label == "hum":
        mains = rng.choice([50.0, 60.0])
        hum = sum(0.6**k * np.sin(2 * np.pi * mains * k * t) for k in range(1, 6))
        x = x + hum * rms * 10 ** (rng.uniform(-35, -20) / 20) / np.sqrt(np.mean(hum**2))
    elif label == "hiss":
        x = x + rng.standard_normal(x.size) * rms * 10 ** (rng.uniform(-35, -20) / 20)
    elif label == "distortion":
        limit = rng.uniform(0.3, 0.6) * np.abs(x).max()
        x = np.clip(x, -limit, limit)
    elif label == "clicks":
        for pos in rng.integers(0, x.size - 8, size=rng.integers(3, 12)):
            x[pos : pos + 3] += rng.choice([-1, 1]) * rng.uniform(0.2, 0.5) * np.array([1.0, -0.6, 0.3])
    return np.clip(x, -1, 1).astype(np.float32)[None, :]


# ------------------------------------------------------------------------------------------ astats


def test_astats_finite_for_noise_tone_silence():
    rng = np.random.default_rng(0)
    t = np.arange(SR) / SR
    segments = {
        "noise": (0.1 * rng.standard_normal(SR)).astype(np.float32),
        "tone": (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :],
        "silence": np.zeros(SR, np.float32),
    }
    stats = {name: astats_features(x, SR) for name, x in segments.items()}
    for values in stats.values():
        assert list(values) == list(ASTATS_FEATURES)
        assert all(np.isfinite(v) for v in values.values())
    assert stats["tone"]["astats_crest_factor"] == pytest.approx(np.sqrt(2), rel=1e-3)
    assert stats["tone"]["astats_peak_level"] == pytest.approx(20 * np.log10(0.5), abs=0.01)
    assert stats["noise"]["astats_rms_level"] == pytest.approx(-20, abs=0.2)
    assert stats["silence"]["astats_rms_level"] == DB_FLOOR
    assert stats["silence"]["astats_flat_factor"] == DB_FLOOR


def test_astats_runner_reuse_matches_fresh_graphs():
    rng = np.random.default_rng(1)
    runner = AstatsRunner()
    t = np.arange(SR // 2) / SR
    for scale in (0.5, 0.0, 0.01, 0.2, 0.3):
        x = (scale * (rng.standard_normal(t.size) + np.sin(2 * np.pi * 300 * t + scale))).astype(np.float32)
        assert runner(x, SR) == astats_features(x, SR)
    x16 = (0.1 * rng.standard_normal(16000)).astype(np.float32)
    assert runner(x16, 16000) == astats_features(x16, 16000)


# ---------------------------------------------------------------------------------------- spectral


def test_hum_ratio_separates_mains_hum_from_a_clean_tone():
    rng = np.random.default_rng(2)
    clean = piano(rng)
    t = np.arange(SR) / SR
    rms = float(np.sqrt(np.mean(clean**2)))
    for mains in (50.0, 60.0):
        hum = sum(0.5**k * np.sin(2 * np.pi * mains * k * t) for k in range(1, 5))
        hummed = clean + (hum * 0.03 * rms / np.sqrt(np.mean(hum**2))).astype(np.float32)  # -30 dB
        assert (
            spectral_features(hummed, SR)["hum_ratio_db"] > spectral_features(clean, SR)["hum_ratio_db"] + 15
        )


def test_click_score_high_for_impulse_train():
    rng = np.random.default_rng(3)
    clean = piano(rng)
    clicked = clean.copy()
    clicked[0, ::3200] += 0.4
    base = spectral_features(clean, SR)
    clicks = spectral_features(clicked, SR)
    assert clicks["click_score"] > 10 * base["click_score"]
    assert clicks["click_rate"] >= 10 > base["click_rate"]


def test_hiss_and_clipping_features():
    rng = np.random.default_rng(4)
    clean = piano(rng)
    base = spectral_features(clean, SR)
    hissy = spectral_features(clean + (0.01 * rng.standard_normal(SR)).astype(np.float32), SR)
    assert hissy["hiss_floor_db"] > base["hiss_floor_db"] + 30
    assert hissy["hiss_flatness"] > base["hiss_flatness"]
    clipped = spectral_features(np.clip(clean, -0.1, 0.1), SR)
    assert clipped["clip_run_fraction"] > 0.05 > base["clip_run_fraction"]
    silent = spectral_features(np.zeros((1, SR), np.float32), SR)
    assert all(np.isfinite(v) for v in silent.values())


def test_features_layout():
    model = AudioDSPBaseline()
    rng = np.random.default_rng(5)
    segments = [piano(rng), piano(rng)[0], np.zeros((1, SR), np.float32)]
    table = model.features(segments, SR)
    assert table.shape == (3, len(model.feature_names)) and model.feature_names == list(FEATURE_NAMES)
    assert np.isfinite(table).all()
    assert model.features([], SR).shape == (0, len(FEATURE_NAMES))
    with pytest.raises(ValueError):
        model.features([np.zeros((2, SR), np.float32)], SR)


# -------------------------------------------------------------------------------------- the rules


def synthetic_table(rng: np.random.Generator, per_class: int) -> tuple[np.ndarray, list[str]]:
    """Feature rows where each defect raises its own designed feature above a noisy background."""
    column = {name: i for i, name in enumerate(FEATURE_NAMES)}
    signature = {
        "hum": "hum_ratio_db",
        "hiss": "hiss_floor_db",
        "distortion": "clip_run_fraction",
        "clicks": "click_score",
    }
    rows, labels = [], []
    for label in LABELS:
        for _ in range(per_class):
            row = rng.normal(0.0, 1.0, len(FEATURE_NAMES))
            if label in signature:
                row[column[signature[label]]] += 4.0
            rows.append(row)
            labels.append(label)
    return np.asarray(rows), labels


def test_balanced_accuracy_matches_sklearn():
    rng = np.random.default_rng(6)
    truth, pred = rng.integers(0, 5, 200), rng.integers(0, 6, 200)
    assert _balanced_accuracy(truth, pred, 6) == pytest.approx(balanced_accuracy_score(truth, pred))


def test_fit_predict_beats_chance_on_held_out_rows():
    rng = np.random.default_rng(7)
    val_x, val_y = synthetic_table(rng, 40)
    test_x, test_y = synthetic_table(rng, 40)
    model = AudioDSPBaseline().fit(val_x, val_y)
    assert model.val_bacc > 0.85
    pred = model.predict(test_x)
    assert set(pred) <= set(LABELS)
    assert balanced_accuracy_score(test_y, pred) > 0.8
    chosen = {rule.label: rule.feature for rule in model.rules}
    assert chosen["hum"] == "hum_ratio_db" and chosen["clicks"] == "click_score"


def test_fit_on_real_segments_beats_chance():
    rng = np.random.default_rng(8)
    model = AudioDSPBaseline()

    def split(n: int) -> tuple[np.ndarray, list[str]]:
        labels = [label for label in LABELS for _ in range(n)]
        return model.features([with_defect(piano(rng), label, rng) for label in labels], SR), labels

    val_x, val_y = split(6)
    test_x, test_y = split(4)
    model.fit(val_x, val_y)
    assert balanced_accuracy_score(test_y, model.predict(test_x)) > 0.6  # chance is 0.2


def test_to_dict_round_trip():
    rng = np.random.default_rng(9)
    x, y = synthetic_table(rng, 20)
    model = AudioDSPBaseline().fit(x, y)
    saved = json.loads(json.dumps(model.to_dict()))
    restored = AudioDSPBaseline.from_dict(saved)
    assert restored.to_dict() == saved
    assert restored.predict(x) == model.predict(x)
    with pytest.raises(ValueError):
        AudioDSPBaseline.from_dict({**saved, "feature_names": ["other"]})


def test_unfitted_model_predicts_fallback_and_validates_input():
    model = AudioDSPBaseline()
    assert model.predict(np.zeros((3, len(FEATURE_NAMES)))) == ["none"] * 3
    with pytest.raises(ValueError):
        model.predict(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        AudioDSPBaseline(rules=[("hum", ("no_such_feature",))])
