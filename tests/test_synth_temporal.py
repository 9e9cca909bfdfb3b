"""Temporal video defects, their hard negatives and the audio dropout: contract and behaviour on tiny clips."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil

import numpy as np
import pytest

import synth.video
from synth.audio import AUDIO_DEFECTS, Dropout, ProceduralAudio
from synth.core import AudioMeta, ClipMeta
from synth.video import (
    TEMPORAL_DEFECTS,
    BlackFrames,
    ClipDefect,
    Freeze,
    ProceduralFrames,
    Stutter,
    Tearing,
    TemporalNegatives,
    check_clip,
)
from synth.video.temporal import NEAR_BLACK_MAX, place_spans
from synth.video.temporal_negatives import REPEAT_CADENCE, TEMPORAL_NEGATIVES, pulldown_sources

T, H, W, FPS = 24, 48, 64, 25.0
META = ClipMeta(fps=FPS, num_frames=T, height=H, width=W)
_SOURCE = ProceduralFrames(content_weights={"texture": 1.0, "crowd": 1.0, "shapes": 1.0}, bank_size=2)

# label -> a range field to break
CONTRACT = {
    "black": "span_s_range",
    "freeze": "span_s_range",
    "stutter": "irregularity_range",
    "tearing": "row_ratio_range",
}


def _clip(seed: int = 0) -> np.ndarray:
    """A moving procedural clip: every consecutive pair of frames differs."""
    for attempt in range(20):
        clip, _ = _SOURCE.clip(np.random.default_rng([seed, attempt]), "train", T, H, W)
        if (_diffs(clip) > 0).all():
            return clip
    raise AssertionError("no moving clip found")


def _diffs(clip: np.ndarray) -> np.ndarray:
    """Largest absolute difference between frame t and t - 1, for t = 1 .. T - 1."""
    return np.abs(np.diff(clip.astype(np.int16), axis=0)).reshape(clip.shape[0] - 1, -1).max(axis=1)


def _changed_frames(clip: np.ndarray, out: np.ndarray) -> np.ndarray:
    return (out != clip).reshape(clip.shape[0], -1).any(axis=1)


def _in_segments(segments: list[tuple[int, int]], length: int) -> np.ndarray:
    inside = np.zeros(length, dtype=bool)
    for start, end in segments:
        inside[start:end] = True
    return inside


# ------------------------------------------------------------------------------------------ contract


def test_table_lists_every_clip_defect() -> None:
    for module in pkgutil.walk_packages(synth.video.__path__, "synth.video."):
        importlib.import_module(module.name)
    found, stack = {}, [ClipDefect]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("synth.video") and not inspect.isabstract(sub):
                found[sub.label] = sub
    assert found == TEMPORAL_DEFECTS, "TEMPORAL_DEFECTS must list every ClipDefect subclass"
    assert set(TEMPORAL_DEFECTS) == set(CONTRACT), "every defect needs a row in this contract table"


@pytest.fixture(params=sorted(TEMPORAL_DEFECTS), ids=str)
def label(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("seed", range(4))
def test_deterministic_pure_reproducible_and_segments_fit(label: str, seed: int) -> None:
    defect = TEMPORAL_DEFECTS[label]()
    clip = _clip(seed % 2)
    before = clip.copy()
    meta = ClipMeta(fps=[25.0, 30.0, 12.0, 60.0][seed], num_frames=T, height=H, width=W)
    out1, target1 = defect(clip, np.random.default_rng(seed), meta)
    out2, target2 = defect(clip, np.random.default_rng(seed), meta)
    np.testing.assert_array_equal(clip, before)  # input untouched
    np.testing.assert_array_equal(out1, out2)
    assert target1.to_dict() == target2.to_dict()
    check_clip(out1)
    assert out1.shape == clip.shape and target1.label == label
    params = json.loads(json.dumps(target1.to_dict()))["params"]
    assert params == target1.params  # plain JSON types, round-trip exactly
    again, _ = defect.apply(clip, params, meta)
    np.testing.assert_array_equal(out1, again)
    segments = target1.segments
    assert segments and segments == sorted(segments)
    for (_, e0), (s1, _) in zip(segments, segments[1:]):
        assert e0 < s1, "segments must be disjoint and not touching"
    assert all(0 <= start < end <= T for start, end in segments)
    changed = _changed_frames(clip, out1)
    assert changed[_in_segments(segments, T)].any()
    if label in ("black", "tearing"):  # frame-local defects change nothing outside their segments
        assert not changed[~_in_segments(segments, T)].any()


def test_short_and_mismatched_clips_are_rejected(label: str) -> None:
    defect = TEMPORAL_DEFECTS[label]()
    with pytest.raises(ValueError, match="frames"):
        defect.sample_params(np.random.default_rng(0), ClipMeta(fps=FPS, num_frames=1, height=H, width=W))
    clip = _clip()
    params = defect.sample_params(np.random.default_rng(0), META)
    with pytest.raises(ValueError, match="ClipMeta"):
        defect.apply(clip[:, :, :32].copy(), params, META)
    with pytest.raises(ValueError, match="clip"):
        defect.apply(clip.astype(np.float32), params, META)


def test_invalid_config_names_the_field(label: str) -> None:
    cls = TEMPORAL_DEFECTS[label]
    field = CONTRACT[label]
    for bad in [(0.9, 0.1), (0.5,)]:
        with pytest.raises(ValueError, match=field):
            cls(**{field: bad})
    lo, hi = cls.bounds[field]
    with pytest.raises(ValueError, match=field):
        cls(**{field: (lo - 1, hi)})
    for f in dataclasses.fields(cls):
        if f.name.endswith("_choices"):
            with pytest.raises(ValueError, match=f.name):
                cls(**{f.name: ()})
            with pytest.raises(ValueError, match=f.name):
                cls(**{f.name: ("no-such-option",)} if isinstance(f.default[0], str) else {f.name: (999,)})
        if f.name.endswith("_prob"):
            with pytest.raises(ValueError, match=f.name):
                cls(**{f.name: 1.5})


def test_every_range_is_bounded_documented_and_yaml_lists_coerce(label: str) -> None:
    cls = TEMPORAL_DEFECTS[label]
    ranges = [f.name for f in dataclasses.fields(cls) if f.name.endswith("_range")]
    assert ranges and all(name in cls.bounds for name in ranges)
    defect = cls(**{name: list(getattr(cls(), name)) for name in ranges})
    assert all(isinstance(getattr(defect, name), tuple) for name in ranges)
    assert cls.__doc__ and all(f.name in cls.__doc__ for f in dataclasses.fields(cls))


def test_clip_meta_and_check_clip() -> None:
    clip = np.zeros((3, 4, 5, 3), np.uint8)
    assert ClipMeta.of(clip, 30) == ClipMeta(fps=30.0, num_frames=3, height=4, width=5)
    for bad in [{"fps": 0.0}, {"num_frames": 0}, {"height": 2.5}]:
        with pytest.raises(ValueError, match=next(iter(bad))):
            ClipMeta(**{"fps": 25.0, "num_frames": 3, "height": 4, "width": 5, **bad})
    check_clip(clip)
    for bad_clip in [clip[0], clip.astype(np.float32), clip[:, ::-1], clip[..., :2], clip[:0]]:
        with pytest.raises(ValueError, match="my clip.*uint8"):
            check_clip(bad_clip, "my clip")


def test_place_spans_fit_and_keep_gaps() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        lengths = [int(n) for n in rng.integers(1, 30, int(rng.integers(1, 5)))]
        spans = place_spans(rng, lengths, 2, 22, gap=1)
        assert spans[0][0] >= 2 and spans[-1][1] <= 22 and all(e > s for s, e in spans)
        assert all(e0 + 1 <= s1 for (_, e0), (s1, _) in zip(spans, spans[1:]))


# ----------------------------------------------------------------------------------------- behaviour


@pytest.mark.parametrize("mode", ["flat", "noise", "logo"])
def test_black_frames_are_black_exactly_on_the_segments(mode: str) -> None:
    clip = _clip(1)
    defect = BlackFrames(mode_choices=(mode,), spans_range=(1, 3))
    for seed in range(4):
        out, target = defect(clip, np.random.default_rng(seed), META)
        inside = _in_segments(target.segments, T)
        assert inside.any() and not inside.all(), "at least one frame of programme stays"
        np.testing.assert_array_equal(out[~inside], clip[~inside])
        dark = out.copy()
        for span in target.params["spans"]:
            if "logo" in span:
                y0, x0, y1, x1 = span["logo"]["box"]
                assert out[span["start"] : span["end"], y0:y1, x0:x1].max() > 60  # the bug is visible
                dark[span["start"] : span["end"], y0:y1, x0:x1] = 0
        assert dark[inside].max() <= NEAR_BLACK_MAX
        assert target.stats["max_level_outside_logo"] <= NEAR_BLACK_MAX
        assert (clip[~inside].reshape((~inside).sum(), -1).max(axis=1) > NEAR_BLACK_MAX).all()
        if mode == "flat":
            assert all(len(np.unique(out[s:e])) == 1 for s, e in target.segments)


@pytest.mark.parametrize("resume", ["live", "delayed"])
def test_freeze_has_zero_difference_exactly_across_its_span(resume: str) -> None:
    clip = _clip(0)
    for seed in range(4):
        defect = Freeze(span_s_range=(0.2, 0.6), resume_choices=(resume,))
        out, target = defect(clip, np.random.default_rng(seed), META)
        ((start, end),) = target.segments
        assert 2 <= end - start <= T - 1
        d = _diffs(out)  # d[t - 1] compares frames t - 1 and t
        frozen = np.zeros(T - 1, dtype=bool)
        frozen[start : end - 1] = True  # the differences of frames start+1 .. end-1
        assert (d[frozen] == 0).all() and (d[~frozen] > 0).all()
        np.testing.assert_array_equal(out, clip[target.params["index_map"]])
        np.testing.assert_array_equal(out[:start], clip[:start])
        if resume == "live":
            np.testing.assert_array_equal(out[end:], clip[end:])
        else:
            np.testing.assert_array_equal(out[end:], clip[start + 1 : T - (end - start) + 1])
        assert target.stats["visible"] and target.stats["repeats"] == end - start - 1


def test_stutter_index_map_reproduces_the_output() -> None:
    clip = _clip(0)
    kinds = set()
    for seed in range(8):
        out, target = Stutter()(clip, np.random.default_rng(seed), META)
        index = np.asarray(target.params["index_map"])
        np.testing.assert_array_equal(out, clip[index])
        steps = np.diff(index)
        assert (steps >= 0).all() and (steps == 0).any() and (steps > 1).any()
        ((start, end),) = target.segments
        outside = ~_in_segments(target.segments, T)
        np.testing.assert_array_equal(index[outside], np.arange(T)[outside])  # back in sync after it
        assert start >= 1 and (index[start] != start or steps[start - 1] != 1)
        assert index[end - 1] != end - 1 or steps[end - 2] != 1
        d = _diffs(out)
        assert (d[steps == 0] == 0).all() and (d[steps != 0] > 0).all()  # repeats are the only still steps
        assert target.stats["repeats"] == int((steps == 0).sum())
        kinds |= set(target.params["skips"])
    assert kinds == {1, 2}


def test_tearing_changes_rows_only_below_the_split() -> None:
    clip = _clip(1)
    offsets = set()
    for seed in range(10):
        out, target = Tearing(offset_prob=0.5, mode_choices=["swap"])(clip, np.random.default_rng(seed), META)
        torn = {tear["frame"]: tear for tear in target.params["tears"]}
        for t in range(T):
            if t not in torn:
                np.testing.assert_array_equal(out[t], clip[t])
                continue
            tear = torn[t]
            row, source, offset = tear["row"], tear["source"], tear["offset_px"]
            assert 1 <= source - t <= 2 and 1 <= row < H
            np.testing.assert_array_equal(out[t, :row], clip[t, :row])  # bit-exact above the tear
            cols = np.clip(np.arange(W) - offset, 0, W - 1)
            np.testing.assert_array_equal(out[t, row:], clip[source, row:][:, cols])
            assert (out[t, row:] != clip[t, row:]).any()
            offsets.add(offset != 0)
        np.testing.assert_array_equal(_in_segments(target.segments, T), np.isin(np.arange(T), list(torn)))
    assert offsets == {True, False}


def test_scanout_tearing_shows_the_previous_frame_above_a_rolling_tear() -> None:
    clip = _clip(1)
    edge = max(2, int(np.ceil(0.03 * H)))
    runs = 0
    for seed in range(10):
        out, target = Tearing(mode_choices=["scanout"])(clip, np.random.default_rng(seed), META)
        p = target.params
        assert p["mode"] == "scanout" and abs(p["drift"]) <= 0.25
        rows = dict(enumerate(p["rows"], start=p["start"]))
        torn = set(np.flatnonzero(_in_segments(target.segments, T)).tolist())
        for t in range(T):
            row = rows.get(t, 0)
            assert row == 0 or edge <= row <= H - edge  # edge tears and blank presents are not drawn
            np.testing.assert_array_equal(out[t, row:], clip[t, row:])  # own rows below the tear
            np.testing.assert_array_equal(out[t, :row], clip[t - 1, :row] if row else out[t, :0])
            assert (t in torn) == bool((out[t] != clip[t]).any())  # every changed frame, and only those
        runs += len(torn) > 1
        assert target.stats["torn_frames"] == sorted(torn)
    assert runs > 0  # tears come in runs, unlike swaps


# ----------------------------------------------------------------------------------- hard negatives


def _negatives(**probs: float) -> TemporalNegatives:
    return TemporalNegatives(**{f"{n}_prob": probs.get(n, 0.0) for n in TEMPORAL_NEGATIVES})


def test_negatives_are_deterministic_pure_and_json() -> None:
    clip = _clip(0)
    before = clip.copy()
    negatives = _negatives(**dict.fromkeys(TEMPORAL_NEGATIVES, 0.6))
    seen = set()
    for seed in range(6):
        params = negatives.sample_params(np.random.default_rng(seed), META)
        assert json.loads(json.dumps(params)) == params
        out1, names = negatives.apply(clip, params)
        out2, _ = negatives.apply(clip, json.loads(json.dumps(params)))
        np.testing.assert_array_equal(out1, out2)
        np.testing.assert_array_equal(clip, before)
        check_clip(out1)
        assert names == params["applied"] and out1.shape == clip.shape
        seen |= set(names)
    assert seen == set(TEMPORAL_NEGATIVES)
    out, names = _negatives()(clip, np.random.default_rng(0), META)
    assert names == [] and np.array_equal(out, clip) and out is not clip


@pytest.mark.parametrize("phase", range(5))
def test_pulldown_repeats_frames_in_the_documented_cadence(phase: int) -> None:
    clip = _clip(0)
    params = {"applied": ["pulldown"], "pulldown": {"style": "repeat", "phase": phase}}
    out, _ = _negatives().apply(clip, params)
    still = _diffs(out) == 0
    expected = np.array(
        [REPEAT_CADENCE[(t + phase) % 5] == REPEAT_CADENCE[(t - 1 + phase) % 5] for t in range(1, T)]
    )
    np.testing.assert_array_equal(still, expected)  # one repeat in every 5 frames: the 2nd film frame twice
    assert expected.sum() in (T // 5 - 1, T // 5, T // 5 + 1)
    sources = [top for top, _ in pulldown_sources(T, phase, "repeat")]
    assert sources[0] == 0 and np.diff(sources).min() >= 0 and np.diff(sources).max() <= 1
    # 24 -> 30 fps: 5 output frames advance 4 film frames
    assert all(sources[t + 5] - sources[t] == 4 for t in range(T - 5))
    # fields: the 2:3 field cadence, two combed frames per group of five
    params["pulldown"]["style"] = "fields"
    out, _ = _negatives().apply(clip, params)
    for t, (top, bottom) in enumerate(pulldown_sources(T, phase, "fields")):
        np.testing.assert_array_equal(out[t, 0::2], clip[top, 0::2])
        np.testing.assert_array_equal(out[t, 1::2], clip[bottom, 1::2])
    combed = [top != bottom for top, bottom in pulldown_sources(T, phase, "fields")]
    assert sum(combed[:20]) == 8


@pytest.mark.parametrize("direction", ["in", "out"])
def test_fades_are_gradual_not_black_spans(direction: str) -> None:
    clip = _clip(1)
    params = {"applied": ["fade"], "fade": {"direction": direction, "frames": 12}}
    out, _ = _negatives().apply(clip, params)
    means = out.reshape(T, -1).mean(axis=1) / clip.reshape(T, -1).mean(axis=1)
    ramp = means[:12] if direction == "in" else means[::-1][:12]
    assert (np.diff(ramp) > 0).all() and np.abs(np.diff(means)).max() < 0.12  # no abrupt step
    assert (out.reshape(T, -1).max(axis=1) > 0).all(), "no frame of a fade is exactly black"
    untouched = slice(12, T) if direction == "in" else slice(0, T - 12)
    np.testing.assert_array_equal(out[untouched], clip[untouched])
    # a black span is abrupt: its first frame drops the brightness by more than half at once
    black, target = BlackFrames(mode_choices=("flat",), spans_range=(1, 1))(
        clip, np.random.default_rng(2), META
    )
    start, end = target.segments[0]
    edge = start if start > 0 else end
    level = black.reshape(T, -1).mean(axis=1) / clip.reshape(T, -1).mean(axis=1)
    assert abs(level[edge] - level[edge - 1]) > 0.5


def test_static_scene_and_slow_pan_are_nearly_but_not_exactly_still() -> None:
    clip = _clip(0)
    static, _ = _negatives().apply(clip, {"applied": ["static"], "static": {"grain": 0.6, "seed": 3}})
    d = np.abs(np.diff(static.astype(np.int16), axis=0))
    assert (d.reshape(T - 1, -1).max(axis=1) > 0).all() and d.mean() < 2.0
    pan = {"applied": ["slow_pan"], "slow_pan": {"dx_px_per_frame": 0.1, "dy_px_per_frame": -0.05}}
    panned, _ = _negatives().apply(clip, pan)
    d = np.abs(np.diff(panned.astype(np.int16), axis=0))
    assert (d.reshape(T - 1, -1).max(axis=1) > 0).all() and d.mean() < 3.0
    cut = {
        "applied": ["cut"],
        "cut": {"frames": [9], "zoom": 1.4, "centre": [0.5, 0.5], "gains": [1.2, 0.8, 1.0]},
    }
    cutted, _ = _negatives().apply(clip, cut)
    np.testing.assert_array_equal(cutted[:9], clip[:9])
    assert (
        np.abs(cutted[9].astype(np.int16) - cutted[8]).mean()
        > 3 * np.abs(np.diff(clip[:9].astype(np.int16), axis=0)).mean()
    )
    other = np.ascontiguousarray(clip[::-1])
    cut_other, _ = _negatives().apply(clip, cut, other=other)
    np.testing.assert_array_equal(cut_other[9:], other[9:])


# ------------------------------------------------------------------------------------------- dropout

SR = 16000


def _tone(n: int = SR, channels: int = 2) -> np.ndarray:
    t = np.arange(n) / SR
    wave = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 97 * t) + 0.05
    return np.repeat(wave[None, :], channels, axis=0).astype(np.float32)


def test_dropout_is_registered_and_deterministic() -> None:
    assert AUDIO_DEFECTS["dropout"] is Dropout
    audio = _tone()
    before = audio.copy()
    meta = AudioMeta(sample_rate=SR)
    for seed in range(5):
        out, target = Dropout()(audio, np.random.default_rng(seed), meta)
        again, target2 = Dropout().apply(audio, json.loads(json.dumps(target.params)), meta)
        np.testing.assert_array_equal(out, again)
        np.testing.assert_array_equal(audio, before)
        assert out.dtype == np.float32 and out.shape == audio.shape
        assert target.to_dict() == target2.to_dict() and json.dumps(target.to_dict())
        assert 1 <= target.stats["count"] <= 4


@pytest.mark.parametrize("mode", ["zero", "mute"])
def test_dropout_spans_are_silent_and_the_rest_untouched(mode: str) -> None:
    audio = _tone()
    meta = AudioMeta(sample_rate=SR)
    lengths = []
    for seed in range(6):
        out, target = Dropout(mode_choices=(mode,))(audio, np.random.default_rng(seed), meta)
        inside = _in_segments(target.segments, audio.shape[1])
        np.testing.assert_array_equal(out[:, ~inside], audio[:, ~inside])
        for (start, end), (c0, c1) in zip(target.segments, target.stats["cores"]):
            assert 0 <= start <= c0 < c1 <= end <= audio.shape[1]
            assert (out[:, start:end] != audio[:, start:end]).any()
            if mode == "zero":
                assert (c0, c1) == (start, end) and not out[:, start:end].any()
            else:
                assert np.abs(out[:, c0:c1]).max() <= 10 ** (-60 / 20) * np.abs(audio).max()
                assert c0 - start <= 0.005 * SR + 1 and np.abs(out[:, start:end]).max() <= np.abs(audio).max()
            lengths.append((end - start) / SR)
        for (_, e0), (s1, _) in zip(target.segments, target.segments[1:]):
            assert s1 - e0 >= 0.010 * SR
    assert min(lengths) >= 0.010 and max(lengths) <= 0.5


def test_natural_speech_pauses_are_not_dropouts() -> None:
    """The hard negative: procedural speech pauses are quiet, but never digital zeros nor 60 dB mutes."""
    audio, _ = ProceduralAudio(kind_weights={"speech": 1.0}).segment(
        np.random.default_rng(4), "train", SR, SR
    )
    x = np.abs(audio[0].astype(np.float64))
    assert not (x == 0).any()
    frames = x[: len(x) // 160 * 160].reshape(-1, 160)  # 10 ms windows
    rms = np.sqrt((frames**2).mean(axis=1))
    assert rms.min() > 0 and rms.min() > 10 ** (-110 / 20)
