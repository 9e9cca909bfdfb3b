"""FFmpeg temporal detectors: planted black, frozen, repeated and silent spans are found frame-exactly."""

from __future__ import annotations

import numpy as np
import pytest

from vqa_train.baselines.temporal_dsp import (
    DB_FLOOR,
    TemporalDSPBaseline,
    blackdetect_frames,
    frame_differences,
    freezedetect_frames,
    repeat_cadence,
    scdet_frames,
    silencedetect_audio,
)

FPS = 25.0


def texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth colour texture twice as wide as the frame, to pan across."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, height)[:, None, None]
    x = np.linspace(0, 2, 2 * width)[None, :, None]
    phase = rng.uniform(0, 2 * np.pi, (1, 1, 3))
    image = 128 + 50 * np.sin(9 * x + 3 * y + phase) + 30 * np.cos(5 * y - 4 * x) * np.sin(13 * x + phase)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def panning(positions, height: int = 36, width: int = 64, seed: int = 0) -> np.ndarray:
    """Frames ``t`` showing the texture shifted by ``positions[t]`` pixels (one pixel a frame = smooth)."""
    image = texture(height, width, seed)
    return np.stack([image[:, p : p + width] for p in positions])


def moving(n_frames: int, height: int = 36, width: int = 64, seed: int = 0) -> np.ndarray:
    return panning(range(n_frames), height, width, seed)


# ------------------------------------------------------------------------------------- blackdetect


def test_blackdetect_finds_planted_black_runs_exactly():
    clip = moving(40)
    clip[10:14] = 0
    clip[36:] = 0  # the clip ends black: FFmpeg reports no end, the span runs to the last frame
    result = blackdetect_frames(clip, FPS)
    assert result["events"] == [(10, 14), (36, 40)]
    assert result["events_s"] == [(10 / FPS, 14 / FPS), (36 / FPS, 40 / FPS)]
    expected = np.zeros(40, bool)
    expected[10:14] = expected[36:] = True
    np.testing.assert_array_equal(result["flags"], expected)
    assert result["scores"].shape == (40,) and result["scores"].dtype == np.float64
    np.testing.assert_array_equal(result["flags"], result["scores"] >= 0.98)  # FFmpeg's rule, its luma


def test_blackdetect_min_duration_and_near_black():
    clip = moving(30)
    clip[5] = 0
    clip[15:20] = 12  # dark grey, still under pix_th=0.10 of the luma range
    assert blackdetect_frames(clip, FPS)["events"] == [(5, 6), (15, 20)]
    assert blackdetect_frames(clip, FPS, min_duration_s=2 / FPS)["events"] == [(15, 20)]
    assert blackdetect_frames(clip, FPS, pix_th=0.0)["events"] == [(5, 6)]


def test_blackdetect_clean_clip_reports_nothing():
    result = blackdetect_frames(moving(24), FPS)
    assert result["events"] == [] and not result["flags"].any()
    assert result["scores"].max() < 0.5


# ------------------------------------------------------------------------------------ freezedetect


def test_freezedetect_held_span_maps_back_to_frames():
    clip = moving(40)
    clip[20:27] = clip[19]  # frame 19 held for seven more frames
    clip[33] = clip[32]  # one repeated frame: a stutter, shorter than the default minimum
    result = freezedetect_frames(clip, FPS)
    assert result["events"] == [(19, 27)]  # starts at the held original, ends at the first moving frame
    assert np.flatnonzero(result["flags"]).tolist() == list(range(19, 27))
    assert np.flatnonzero(result["copy_flags"]).tolist() == list(range(20, 27))
    assert result["events_s"] == [(19 / FPS, 27 / FPS)]
    assert freezedetect_frames(clip, FPS, min_duration_s=2 / FPS)["events"] == [(19, 27), (32, 34)]
    assert freezedetect_frames(clip, FPS, min_duration_s=8 / FPS)["events"] == [(19, 27)]
    assert freezedetect_frames(clip, FPS, min_duration_s=9 / FPS)["events"] == []


def test_freezedetect_frozen_to_the_end_and_clean():
    clip = moving(20)
    clip[17:] = clip[16]  # a run of four frames reaching the end
    assert freezedetect_frames(clip, FPS, min_duration_s=4 / FPS)["events"] == [(16, 20)]
    assert freezedetect_frames(clip, FPS, min_duration_s=5 / FPS)["events"] == []
    clean = freezedetect_frames(moving(24), FPS, min_duration_s=2 / FPS)
    assert clean["events"] == [] and not clean["flags"].any()


# ------------------------------------------------------------------------------------------- scdet


def test_scdet_and_frame_difference_see_repeats_drops_and_cuts():
    positions = list(range(30))
    positions[10] = positions[9]  # a repeated frame
    positions[20:] = [p + 1 for p in positions[20:]]  # one frame dropped before frame 20
    clip = panning(positions)
    clip[25:] = panning(range(25, 30), seed=7)  # a hard cut to other content at frame 25
    result = scdet_frames(clip, FPS)
    diff = result["frame_diff"]
    assert np.isnan(diff[0]) and np.flatnonzero(result["repeated"]).tolist() == [10]
    steady = np.median(diff[1:])
    assert diff[20] > 1.5 * steady and abs(diff[19] - steady) < 0.3 * steady  # the drop stands out
    assert result["flags"][25] and result["events"][-1] == (25, 26)
    assert result["scores"][25] == result["scores"].max() and result["scores"][0] == 0
    assert result["scores"].shape == result["mafd"].shape == (30,)


def test_scdet_clean_smooth_clip_flags_nothing():
    result = scdet_frames(moving(24), FPS)
    assert result["events"] == [] and not result["flags"].any() and not result["repeated"].any()
    assert np.isfinite(result["scores"]).all()


# ------------------------------------------------------------------------------------ odd and misc


def test_odd_frame_size_and_fractional_fps():
    clip = moving(16, height=33, width=65)
    clip[3:5] = 0
    clip[9:13] = clip[8]
    fps = 30000 / 1001
    assert blackdetect_frames(clip, fps)["events"] == [(3, 5)]
    assert freezedetect_frames(clip, fps)["events"] == [(8, 13)]
    result = scdet_frames(clip, fps)
    assert result["scores"].shape == (16,) and result["flags"][3] and result["flags"][5]


@pytest.mark.parametrize(
    "clip, fps, match",
    [
        (np.zeros((0, 8, 8, 3), np.uint8), FPS, "empty"),
        (np.zeros((4, 8, 8, 3), np.float32), FPS, "dtype"),
        (np.zeros((4, 8, 8), np.uint8), FPS, "shape"),
        (np.zeros((4, 8, 8, 4), np.uint8), FPS, "shape"),
        (np.zeros((4, 8, 8, 3), np.uint8), 0, "fps"),
        (np.zeros((4, 8, 8, 3), np.uint8), -25, "fps"),
        (np.zeros((4, 8, 8, 3), np.uint8), float("nan"), "fps"),
    ],
)
def test_video_wrappers_reject_bad_input(clip, fps, match):
    for wrapper in (blackdetect_frames, freezedetect_frames, scdet_frames):
        with pytest.raises(ValueError, match=match):
            wrapper(clip, fps)


def test_inputs_are_not_modified():
    clip = moving(12)
    before = clip.copy()
    blackdetect_frames(clip, FPS)
    freezedetect_frames(clip, FPS)
    scdet_frames(clip, FPS)
    np.testing.assert_array_equal(clip, before)


# ------------------------------------------------------------------------------------ silencedetect


def tone(n_samples: int, sample_rate: int, hz: float = 437.0) -> np.ndarray:
    t = np.arange(n_samples) / sample_rate
    return (0.5 * np.sin(2 * np.pi * hz * t + 0.3)).astype(np.float32)


def test_silencedetect_finds_exact_gaps_in_samples():
    sr = 16000
    audio = tone(sr, sr)
    audio[1000:1800] = 0
    audio[5000:5100] = 0  # 6.25 ms: shorter than the 10 ms minimum
    audio[8000:8400] = 0
    audio[15000:] = 0  # silent to the end
    result = silencedetect_audio(audio, sr)
    assert result["events"] == [(1000, 1800), (8000, 8400), (15000, 16000)]
    assert result["events_s"][0] == (1000 / sr, 1800 / sr)
    assert result["block_samples"] == 1024 and result["block_flags"].shape == (16,)
    assert np.flatnonzero(result["block_flags"]).tolist() == [1, 15]  # at least half of the block silent
    assert result["block_scores"][15] == DB_FLOOR and result["block_scores"][0] > -7
    assert silencedetect_audio(audio, sr, min_duration_s=0.005)["events"][1] == (5000, 5100)


def test_silencedetect_clean_tone_and_bad_input():
    sr = 8000
    assert silencedetect_audio(tone(sr, sr), sr)["events"] == []
    assert silencedetect_audio(tone(sr, sr)[None].astype(np.float64), sr)["events"] == []  # (1, n) float64
    with pytest.raises(ValueError, match="empty"):
        silencedetect_audio(np.zeros(0, np.float32), sr)
    with pytest.raises(ValueError, match="dtype"):
        silencedetect_audio(np.zeros(100, np.int16), sr)
    with pytest.raises(ValueError, match="shape"):
        silencedetect_audio(np.zeros((2, 100), np.float32), sr)
    with pytest.raises(ValueError, match="sample_rate"):
        silencedetect_audio(np.zeros(100, np.float32), 0)


# ----------------------------------------------------------------------------------------- baseline


def test_baseline_fit_separates_toy_scores_both_directions():
    high = TemporalDSPBaseline("black").fit(np.array([0.0, 0.1, 0.2, 0.9, 1.0]), [0, 0, 0, 1, 1])
    assert 0.2 < high.threshold < 0.9 and high.val_bacc == 1.0
    np.testing.assert_array_equal(high.predict(np.array([0.05, 0.95])), [False, True])
    low = TemporalDSPBaseline("silence").fit(
        [np.array([-160.0, -6.0, -7.0]), np.array([-90.0, -5.0])], [np.array([1, 0, 0]), np.array([1, 0])]
    )
    assert -90 < low.threshold < -7 and low.val_bacc == 1.0
    np.testing.assert_array_equal(low.predict(np.array([-120.0, -3.0])), [True, False])
    again = TemporalDSPBaseline.from_dict(low.to_dict())
    assert again.threshold == low.threshold and again.kind == "silence" and again.val_bacc == 1.0
    with pytest.raises(ValueError, match="labels"):
        TemporalDSPBaseline("black").fit(np.array([0.0, 1.0]), [0, 0])


def test_baseline_fit_on_clips_finds_frozen_frames():
    clips, labels = [], []
    for seed in range(2):
        clip = moving(16, seed=seed)
        clip[5 + seed : 9 + seed] = clip[4 + seed]
        truth = np.zeros(16, int)
        truth[5 + seed : 9 + seed] = 1  # the copies
        clips.append(clip)
        labels.append(truth)
    model = TemporalDSPBaseline("freeze").fit(clips, labels, rate=FPS)
    assert model.val_bacc == 1.0 and model.threshold > 0
    scores = frame_differences(clips[0])
    assert not model.predict(scores)[0]  # frame 0 has no predecessor: NaN, predicted clean
    assert model.evaluate(scores, labels[0]) == 1.0
    np.testing.assert_array_equal(model.predict(scores), freezedetect_frames(clips[0], FPS)["copy_flags"])


# ----------------------------------------------------------------------------------- repeat cadence


@pytest.mark.parametrize("phase", range(5))
def test_pulldown_repeats_have_cadence_five(phase):
    from synth.video.temporal_negatives import pulldown_sources

    film = moving(40)
    clip = np.stack([film[top] for top, _ in pulldown_sources(32, phase, "repeat")])
    assert repeat_cadence(clip) == 5
    doubled = np.repeat(moving(16), 2, axis=0)  # 12.5 fps shown at 25: every other frame repeats
    assert repeat_cadence(doubled) == 2


def test_irregular_repeats_stills_and_clean_motion_have_no_cadence():
    assert repeat_cadence(moving(32)) == 0
    # a stutter: repeats and skips off the beat (positions of the source frames)
    assert (
        repeat_cadence(panning([0, 1, 2, 2, 4, 5, 6, 7, 7, 7, 10, 11, 13, 14, 14, 15, 16, 18, 19, 20])) == 0
    )
    # pulldown with one extra repeat (a stutter inside telecined content) breaks the beat
    from synth.video.temporal_negatives import pulldown_sources

    film = moving(40)
    sources = [top for top, _ in pulldown_sources(32, 0, "repeat")]
    sources[14] = sources[13]  # frame 14 repeats too, off the beat (beats: 2, 7, 12, ...)
    assert repeat_cadence(np.stack([film[s] for s in sources])) == 0
    # a still shot "repeats" every frame: no motion, no cadence
    assert repeat_cadence(np.repeat(moving(1), 32, axis=0)) == 0
    # a pulldown that stops half-way (a missing beat) is not a cadence through the clip
    held = np.stack([film[top] for top, _ in pulldown_sources(16, 0, "repeat")] + list(moving(16)))
    assert repeat_cadence(held) == 0
