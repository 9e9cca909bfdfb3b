"""One contract over every audio defect: determinism, purity, layout, ground truth, config errors."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil

import numpy as np
import pytest

import synth.audio
from synth.audio import AUDIO_DEFECTS
from synth.audio.base import AudioDefect
from synth.core import AudioMeta

SR = 16000
META = AudioMeta(sample_rate=SR)

# label -> (a range field to break, whether the defect changes the whole clip)
CONTRACT = {
    "clicks": ("level_db_range", False),
    "distortion": ("drive_db_range", True),
    "dropout": ("span_ms_range", False),
    "hiss": ("snr_db_range", True),
    "hum": ("level_db_range", True),
}


def _defect_classes() -> dict[str, type]:
    """Every concrete AudioDefect subclass defined anywhere under synth.audio."""
    for module in pkgutil.walk_packages(synth.audio.__path__, "synth.audio."):
        importlib.import_module(module.name)
    found, stack = {}, [AudioDefect]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("synth.audio") and not inspect.isabstract(sub):
                found[sub.label] = sub
    return found


def _clip(seed: int = 0, level: float = 0.3, n: int = SR // 2, channels: int = 1) -> np.ndarray:
    """A small musical clip: two partials plus a little noise, float32 (channels, n)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    wave = np.sin(2 * np.pi * 220 * t) + 0.5 * np.sin(2 * np.pi * 331 * t) + 0.05 * rng.standard_normal(n)
    wave = level * wave / np.max(np.abs(wave))
    return np.repeat(wave[None, :], channels, axis=0).astype(np.float32)


def test_table_lists_every_defect() -> None:
    found = _defect_classes()
    assert set(found) == set(AUDIO_DEFECTS), "AUDIO_DEFECTS must list every AudioDefect subclass"
    assert set(AUDIO_DEFECTS) == set(CONTRACT), "every defect needs a row in this contract table"
    for label, cls in AUDIO_DEFECTS.items():
        assert cls.label == label and found[label] is cls


@pytest.fixture(params=sorted(AUDIO_DEFECTS), ids=str)
def label(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("channels", [1, 2])
def test_deterministic_pure_and_layout_kept(label: str, channels: int) -> None:
    defect = AUDIO_DEFECTS[label]()
    clean = _clip(channels=channels)
    before = clean.copy()
    out1, target1 = defect(clean, np.random.default_rng(7), META)
    out2, target2 = defect(clean, np.random.default_rng(7), META)
    np.testing.assert_array_equal(clean, before)  # input untouched
    np.testing.assert_array_equal(out1, out2)
    assert target1.to_dict() == target2.to_dict()
    assert out1.shape == clean.shape and out1.dtype == np.float32
    assert np.isfinite(out1).all() and np.max(np.abs(out1)) <= 1.0
    assert target1.label == label


@pytest.mark.parametrize("seed", range(4))
def test_params_reproduce_and_are_json(label: str, seed: int) -> None:
    defect = AUDIO_DEFECTS[label]()
    clean = _clip(seed, level=[0.9, 0.3, 0.01, 0.0001][seed])
    params = defect.sample_params(np.random.default_rng(seed), META)
    assert json.loads(json.dumps(params)) == params  # plain JSON types, round-trips exactly
    out, target = defect.apply(clean, params, META)
    again, _ = defect.apply(clean, json.loads(json.dumps(params)), META)
    np.testing.assert_array_equal(out, again)
    json.dumps(target.to_dict())
    assert target.params == params
    assert np.isfinite(out).all() and np.max(np.abs(out)) <= 1.0


@pytest.mark.parametrize("seed", range(4))
def test_ground_truth_matches_change(label: str, seed: int) -> None:
    defect = AUDIO_DEFECTS[label]()
    clean = _clip(seed)
    out, target = defect(clean, np.random.default_rng(100 + seed), META)
    changed = np.any(out != clean, axis=0)
    assert target.segments, "a defect must say where it is"
    inside = np.zeros(clean.shape[1], dtype=bool)
    for start, end in target.segments:
        assert 0 <= start < end <= clean.shape[1]
        inside[start:end] = True
    assert not changed[~inside].any(), "samples outside the segments changed"
    if CONTRACT[label][1]:
        assert target.segments == [(0, clean.shape[1])]
        assert changed.mean() > 0.5, "a whole-clip defect must change the clip"
    else:
        for start, end in target.segments:
            assert changed[start:end].any(), f"nothing changed in segment {(start, end)}"


def test_defect_on_silence_is_still_there(label: str) -> None:
    silent = np.zeros((1, SR // 2), dtype=np.float32)
    out, _ = AUDIO_DEFECTS[label]()(silent, np.random.default_rng(3), META)
    assert np.isfinite(out).all() and np.max(np.abs(out)) <= 1.0
    if label not in ("distortion", "dropout"):  # distorting or muting digital silence leaves silence
        assert np.sqrt(np.mean(out.astype(np.float64) ** 2)) > 1e-4


def test_invalid_ranges_name_the_field(label: str) -> None:
    cls = AUDIO_DEFECTS[label]
    field = CONTRACT[label][0]
    with pytest.raises(ValueError, match=field):
        cls(**{field: (5.0, 1.0)})  # low > high
    with pytest.raises(ValueError, match=field):
        cls(**{field: (1.0,)})  # not a pair
    lo, hi = cls.bounds[field]
    with pytest.raises(ValueError, match=field):
        cls(**{field: (lo - 1.0, hi)})  # outside the physical bounds
    for f in dataclasses.fields(cls):
        if f.name.endswith("_choices"):
            with pytest.raises(ValueError, match=f.name):
                cls(**{f.name: ()})
            with pytest.raises(ValueError, match=f.name):
                cls(**{f.name: ("no-such-option",)} if isinstance(f.default[0], str) else {f.name: (1000.0,)})


def test_every_range_is_bounded_and_yaml_lists_coerce(label: str) -> None:
    cls = AUDIO_DEFECTS[label]
    ranges = [f.name for f in dataclasses.fields(cls) if f.name.endswith("_range")]
    assert ranges and all(name in cls.bounds for name in ranges), "give every range physical bounds"
    defect = cls(**{name: list(getattr(cls(), name)) for name in ranges})
    assert all(isinstance(getattr(defect, name), tuple) for name in ranges)
    assert cls.__doc__ and all(name in cls.__doc__ for name in ranges), "document every range"
