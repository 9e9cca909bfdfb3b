"""synth.av: offset injection, procedural talking heads, clip kinds and their ground truth."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from synth.av import AVMeta, AVOffset, AVSyncSynth, sync_label
from synth.av.talking_head import lip_track, talker
from vqa_train.avsync.faces import FaceDetector

SR = 16000


def _xcorr_lag(a: np.ndarray, b: np.ndarray, max_lag: int) -> int:
    """The lag (samples) by which ``a`` is ``b`` delayed."""
    lags = range(-max_lag, max_lag + 1)
    scores = [
        float(np.dot(a[max(lag, 0) : len(a) + min(lag, 0)], b[max(-lag, 0) : len(b) - max(lag, 0)]))
        for lag in lags
    ]
    return list(lags)[int(np.argmax(scores))]


@pytest.mark.parametrize("offset_ms", [-300.0, -40.0, 0.0, 125.0, 480.0])
def test_offset_moves_cross_correlation_by_the_offset(offset_ms: float) -> None:
    rng = np.random.default_rng(0)
    margin = SR // 2
    source = rng.standard_normal(SR * 2 + 2 * margin).astype(np.float32)
    out, target = AVOffset().apply(source, {"offset_ms": offset_ms}, AVMeta(SR, margin))
    centre = source[margin:-margin]
    assert out.shape == centre.shape
    expected = int(round(offset_ms * SR / 1000))
    assert _xcorr_lag(out, centre, 9000) == expected
    assert target.stats["padded_samples"] == 0
    assert target.label == sync_label(offset_ms, (40.0, 60.0))


def test_offset_without_context_pads_with_silence() -> None:
    audio = np.ones(SR, np.float32)
    out, target = AVOffset().apply(audio, {"offset_ms": 250.0}, AVMeta(SR, 0))
    assert np.all(out[:4000] == 0) and np.all(out[4000:] == 1)
    assert target.stats["padded_samples"] == 4000
    out, target = AVOffset().apply(audio, {"offset_ms": -250.0}, AVMeta(SR, 0))
    assert np.all(out[-4000:] == 0) and target.label == "out_of_sync"


def test_offset_sampling_respects_tolerance_and_guard_band() -> None:
    defect = AVOffset(in_sync_prob=0.5)
    rng = np.random.default_rng(1)
    offsets = np.array([defect.sample_params(rng, AVMeta(SR))["offset_ms"] for _ in range(2000)])
    inside = (offsets >= -40) & (offsets <= 60)
    assert 0.4 < inside.mean() < 0.6
    assert np.all(np.abs(offsets[~inside]) >= 100) and np.all(np.abs(offsets) <= 500)
    assert (offsets < -100).any() and (offsets > 100).any()
    with pytest.raises(ValueError, match="out_of_sync_ms_range"):
        AVOffset(out_of_sync_ms_range=(30.0, 500.0))
    with pytest.raises(ValueError, match="in_sync_prob"):
        AVOffset(in_sync_prob=1.5)


@pytest.mark.parametrize("seed", [0, 3])
def test_lips_follow_the_voice(seed: int) -> None:
    """Mouth opening tracks the energy of the voiced band (vowels), peaking at lag 0."""
    rng = np.random.default_rng(seed)
    fps, seconds = 25.0, 6.0
    voice, articulation = talker(rng, int(seconds * SR), SR, 120.0)
    opening, width = lip_track(articulation, int(seconds * fps), fps)
    voiced = scipy.signal.sosfilt(scipy.signal.butter(4, [150, 1000], "bandpass", fs=SR, output="sos"), voice)
    hop = int(SR / fps)
    energy = np.array(
        [
            np.sqrt(np.mean(voiced[max(0, k * hop - hop // 2) : k * hop + hop // 2] ** 2))
            for k in range(len(opening))
        ]
    )
    lags = list(range(-5, 6))
    n = len(opening)
    corr = [
        np.corrcoef(opening[max(lag, 0) : n + min(lag, 0)], energy[max(-lag, 0) : n - max(lag, 0)])[0, 1]
        for lag in lags
    ]
    assert max(corr) > 0.35
    assert abs(lags[int(np.argmax(corr))]) <= 1
    assert opening.min() < 0.1 and opening.max() > 0.5  # closes in pauses, opens on vowels
    assert np.all((width >= 0.5) & (width <= 1.3))


@pytest.fixture(scope="module")
def synth() -> AVSyncSynth:
    return AVSyncSynth(AVOffset(), seed=5, height=180, width=320, seconds=2.0)


def test_clips_are_a_function_of_seed_split_index(synth: AVSyncSynth) -> None:
    a = synth.clip("val", 3)
    synth.clip("val", 1)  # order does not matter
    b = AVSyncSynth(AVOffset(), seed=5, height=180, width=320, seconds=2.0).clip("val", 3)
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.audio, b.audio)
    assert a.target.to_dict() == b.target.to_dict()
    assert a.frames.shape == (50, 180, 320, 3) and a.audio.shape == (32000,)
    c = synth.clip("test", 3)
    assert not np.array_equal(a.audio, c.audio)


@pytest.mark.parametrize("kind", ["single", "multi", "cut", "silent_face", "no_face"])
def test_clip_kinds_and_truth(kind: str) -> None:
    s = AVSyncSynth(AVOffset(), seed=2, height=180, width=320, seconds=2.0, kind_weights={kind: 1.0})
    clip = s.clip("test", 0)
    t = clip.target
    speakers = [f for f in clip.faces if f.speaking]
    assert t.params["kind"] == kind
    if kind in ("no_face", "silent_face"):
        assert t.label == "inconclusive" and not speakers
        assert (len(clip.faces) == 0) == (kind == "no_face")
    else:
        assert t.label == sync_label(t.params["offset_ms"], (40.0, 60.0))
        assert len(speakers) == (2 if kind == "cut" else 1)
    if kind == "multi":
        assert len(clip.faces) >= 2
    if kind == "cut":
        cut = t.params["cut_frame"]
        assert [list(s) for s in t.stats["shots"]] == [[0, cut], [cut, 50]]
    for face in clip.faces:  # boxes inside the frame, sized as configured
        h = face.boxes[:, 3] - face.boxes[:, 1]
        assert np.all(h > 0.2 * 180) and np.all(h < 0.7 * 180)


def test_training_window_shapes_and_determinism(synth: AVSyncSynth) -> None:
    w = synth.window("train", 7, num_frames=9, context_frames=15)
    assert w.frames.shape[0] == 9 and w.boxes.shape == (9, 4)
    assert w.audio.shape == (int(round((9 + 30) / 25 * SR)),)
    again = synth.window("train", 7, num_frames=9, context_frames=15)
    assert np.array_equal(w.frames, again.frames) and np.array_equal(w.audio, again.audio)


def test_the_bundled_face_detector_finds_the_procedural_faces() -> None:
    s = AVSyncSynth(AVOffset(), seed=9, kind_weights={"single": 1.0}, seconds=1.0)
    detector = FaceDetector()
    found = total = 0
    for i in range(12):  # skin tones from dark to light
        clip = s.clip("test", i)
        face = clip.faces[0]
        for k in (0, 12, 24):
            total += 1
            boxes = detector.detect(clip.frames[k])
            gt = face.boxes[k]
            centres = (boxes[:, :2] + boxes[:, 2:]) / 2
            found += bool(
                np.any(
                    (centres[:, 0] > gt[0])
                    & (centres[:, 0] < gt[2])
                    & (centres[:, 1] > gt[1])
                    & (centres[:, 1] < gt[3])
                )
            )
    assert found / total >= 0.8, f"{found}/{total} faces found"
