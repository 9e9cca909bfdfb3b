"""Each audio defect does what its name says; sources and the synthesiser behave."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import soundfile as sf

from synth.audio import (
    AudioArtifactSynth,
    AudioMeta,
    Clicks,
    Distortion,
    FolderAudio,
    Hiss,
    Hum,
    ProceduralAudio,
    functional,
)
from synth.audio.sources.procedural import KINDS

SR = 16000
META = AudioMeta(sample_rate=SR)


def _tones(n: int = SR, level: float = 0.2, freqs: tuple[float, ...] = (440.0, 660.0)) -> np.ndarray:
    t = np.arange(n) / SR
    wave = sum(np.sin(2 * np.pi * f * t) for f in freqs)
    return (level * wave / np.max(np.abs(wave)))[None, :].astype(np.float32)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


# ------------------------------------------------------------------------------------------------ hum


@pytest.mark.parametrize("mains", [50.0, 60.0])
@pytest.mark.parametrize("variant", ["hum", "buzz"])
def test_hum_is_a_mains_line_spectrum(mains: float, variant: str) -> None:
    hum = Hum(mains_hz_choices=(mains,), variant_choices=(variant,), freq_offset_hz_range=(0.0, 0.0))
    clean = _tones()
    out, target = hum(clean, np.random.default_rng(1), META)
    assert target.segments == [(0, clean.shape[1])]
    diff = out.astype(np.float64)[0] - clean[0]  # quiet clip: no rescaling, the difference is the hum
    spectrum = np.abs(np.fft.rfft(diff * np.hanning(len(diff)))) ** 2
    freqs = np.fft.rfftfreq(len(diff), 1 / SR)
    near_harmonic = np.abs(freqs / mains - np.round(freqs / mains)) * mains < 3.0
    assert spectrum[near_harmonic].sum() > 0.99 * spectrum.sum()
    low = (freqs > 20) & (freqs < 2.5 * mains)
    peak_hz = freqs[low][np.argmax(spectrum[low])]
    assert abs(peak_hz - mains) < 2.0 or abs(peak_hz - 2 * mains) < 2.0
    assert not near_harmonic[np.argmax(np.abs(np.fft.rfft(clean[0])))]  # the clip itself is not hum


def test_hum_level_follows_clip_rms_floor_and_exposure() -> None:
    hum = Hum(band_margin_db_range=(-40.0, -40.0))
    clean = _tones(level=0.5)
    params = hum.sample_params(np.random.default_rng(2), META)
    _, target = hum.apply(clean, params, META)
    expected = max(20 * np.log10(_rms(clean)) + params["level_db"], params["floor_dbfs"])
    assert target.stats["hum_dbfs"] == pytest.approx(expected, abs=0.01)
    # a clip with bass at every mains harmonic forces the hum up until it stands out somewhere
    loud_bass = _tones(level=0.5, freqs=tuple(50.0 * k for k in range(1, 40)) + (60.0, 120.0, 180.0))
    params = dict(params, level_db=-24.0, band_margin_db=3.0)
    _, raised = Hum().apply(loud_bass, params, META)
    assert raised.stats["hum_dbfs"] > 20 * np.log10(_rms(loud_bass)) + params["level_db"] + 3


# ---------------------------------------------------------------------------------------------- clicks


def test_clicks_are_exactly_where_the_target_says() -> None:
    clean = _tones(n=2 * SR)
    clicks = Clicks(single_click_prob=0.0, clicks_per_s_range=(8.0, 8.0))
    out, target = clicks(clean, np.random.default_rng(3), META)
    changed = np.flatnonzero(np.any(out != clean, axis=0))
    inside = np.zeros(clean.shape[1], dtype=bool)
    for start, end in target.segments:
        inside[start:end] = True
        assert np.any(out[:, start:end] != clean[:, start:end])
        # a click stands out from its surroundings: its peak deviation beats the local signal RMS
        assert np.max(np.abs(out[:, start:end] - clean[:, start:end])) > 2 * _rms(clean)
    assert inside[changed].all()
    assert target.stats["count"] == len(target.segments) >= 4  # ~8/s over 2 s
    starts = [s for s, _ in target.segments]
    assert starts == sorted(starts)


def test_single_click_and_widths_in_ms() -> None:
    clicks = Clicks(single_click_prob=1.0, shape_choices=("step",), step_width_ms_range=(2.0, 2.0))
    out, target = clicks(_tones(), np.random.default_rng(4), META)
    assert len(target.segments) == 1
    start, end = target.segments[0]
    assert end - start == round(0.002 * SR)


def test_clicks_on_near_silence_reach_the_floor() -> None:
    quiet = _tones(level=1e-4)
    clicks = Clicks(floor_dbfs_range=(-26.0, -26.0), single_click_prob=1.0)
    out, target = clicks(quiet, np.random.default_rng(5), META)
    start, end = target.segments[0]
    assert np.max(np.abs(out[:, start:end])) >= 10 ** (-26 / 20) * 0.9


def test_clicks_never_clip_a_loud_clip() -> None:
    loud = _tones(level=0.99)
    out, target = Clicks(level_db_range=(30.0, 30.0))(loud, np.random.default_rng(6), META)
    assert np.max(np.abs(out)) <= 0.99 + 1e-6
    assert all(np.any(out[:, s:e] != loud[:, s:e]) for s, e in target.segments)


def _realised_db(clean: np.ndarray, out: np.ndarray, start: int, end: int) -> float:
    """Energy a click changed over the clean energy of the 10 ms around it, in dB."""
    half = int(0.005 * SR)
    center = start + (end - start) // 2
    lo, hi = max(center - half, 0), min(center + half, clean.shape[1])
    local = np.sum(np.mean(clean[:, lo:hi].astype(np.float64) ** 2, axis=0)) * 2 * half / (hi - lo)
    change = np.mean(np.sum((out[:, start:end] - clean[:, start:end]).astype(np.float64) ** 2, axis=1))
    return float(10 * np.log10(change / local))


def test_clicks_on_loud_content_move_to_where_they_are_heard() -> None:
    """A one-sample tick asked to be 12 dB over near-full-scale content cannot fit under the peak:
    without the floor it is clipped into a change far below the content; with it, it moves to the
    nearest place (here a quiet gap) where it changes at least min_level_db, outside other clicks."""
    loud = _tones(level=0.95)
    loud[:, 9000:9400] *= 0.01  # a quiet gap 12 ms after the drawn spot
    args = (SR, [8800], [1], ["impulse"], [1], [12.0], -30.0, 0)
    kept, _, kept_at, _ = functional.add_clicks(loud, *args)
    assert kept_at == [8800] and _realised_db(loud, kept, 8800, 8801) < 0.0
    out, _, (start,), unheard = functional.add_clicks(loud, *args, min_level_db=3.0)
    assert 9000 <= start < 9400 and _realised_db(loud, out, start, start + 1) >= 3.0 and unheard == 0
    changed = np.flatnonzero(np.any(out != loud, axis=0))
    assert changed.tolist() == [start]
    # loud everywhere (a softer stretch only): no start reaches the floor, it goes where it realises most
    louder = _tones(level=0.95)
    louder[:, 4000:5000] *= 0.5
    out, _, (start,), unheard = functional.add_clicks(louder, *args, min_level_db=3.0)
    assert unheard == 1 and 4000 <= start < 5000
    # a second click drawn on the first one's spot moves too: clicks never overlap
    two = functional.add_clicks(
        loud, SR, [9100, 9100], [4, 4], ["step", "step"], [1, -1], [6.0, 6.0], -30.0, 0, 3.0
    )
    (a, b) = sorted(two[2])
    assert b >= a + 4


def test_clicks_defect_targets_follow_moved_clicks() -> None:
    """Through the Clicks defect: every click realises min_level_db where its segment says, and
    nothing changes outside the segments."""
    loud = _tones(n=2 * SR, level=0.9)
    loud[:, 20000:21000] *= 0.02
    clicks = Clicks(single_click_prob=0.0, clicks_per_s_range=(10.0, 10.0), level_db_range=(12.0, 15.0))
    out, target = clicks(loud, np.random.default_rng(11), META)
    assert target.stats["moved"] >= 1 and target.stats["below_min_level"] == 0
    inside = np.zeros(loud.shape[1], dtype=bool)
    for start, end in target.segments:
        inside[start:end] = True
        assert _realised_db(loud, out, start, end) >= 3.0 - 1e-6
        # the public measure (experiments/audio_artifacts/clicks_realised.py) is the same quantity
        level = functional.click_level_db(loud, out, start, end - start, SR)
        assert level == pytest.approx(_realised_db(loud, out, start, end), abs=1e-6)
    assert inside[np.flatnonzero(np.any(out != loud, axis=0))].all()
    starts = [s for s, _ in target.segments]
    assert starts == sorted(starts) and all(
        e <= s for (_, e), (s, _) in zip(target.segments, target.segments[1:])
    )
    with pytest.raises(ValueError, match="Clicks.min_level_db"):
        Clicks(min_level_db=99.0)


# ------------------------------------------------------------------------------------------------ hiss


@pytest.mark.parametrize("colour", ["white", "pink", "brown", "blue", "violet"])
@pytest.mark.parametrize("snr", [5.0, 18.0, 30.0])
def test_hiss_reaches_the_requested_snr(colour: str, snr: float) -> None:
    clean = _tones(level=0.3)
    hiss = Hiss(colour_choices=(colour,), snr_db_range=(snr, snr), band_margin_db_range=(-40.0, -40.0))
    out, target = hiss(clean, np.random.default_rng(7), META)
    noise = out.astype(np.float64) - clean
    measured = 20 * np.log10(_rms(clean) / _rms(noise))
    assert measured == pytest.approx(snr, abs=1.0)
    assert target.stats["snr_db"] == pytest.approx(measured, abs=0.1)


def test_hiss_violet_is_steeper_than_blue_and_not_drawn_by_default() -> None:
    """Violet noise rises 6 dB per octave: 3 dB per octave more than blue, measured between octaves."""
    assert "violet" not in Hiss().colour_choices
    silent = np.zeros((1, SR), np.float32)
    bands = [(1000.0, 2000.0), (4000.0, 8000.0)]
    rise = {}
    for colour in ("blue", "violet"):
        hiss = Hiss(
            colour_choices=(colour,), slope_jitter_db_range=(0.0, 0.0), floor_dbfs_range=(-30.0, -30.0)
        )
        out, _ = hiss(silent, np.random.default_rng(3), META)
        low, high = functional.band_powers(out.astype(np.float64), SR, bands) / [1000.0, 4000.0]  # per Hz
        rise[colour] = 10 * np.log10(high / low) / 2  # dB per octave over the two octaves between
    assert rise["blue"] == pytest.approx(3.0, abs=1.0) and rise["violet"] == pytest.approx(6.0, abs=1.0)


def test_hiss_floor_and_exposure() -> None:
    near_silent = _tones(level=1e-5)
    out, target = Hiss(floor_dbfs_range=(-55.0, -55.0))(near_silent, np.random.default_rng(8), META)
    assert 20 * np.log10(_rms(out - near_silent)) == pytest.approx(-55.0, abs=0.5)
    # broadband content (rain-like) masks hiss at 30 dB SNR: it is raised until it shows in a band
    noisy = (0.3 * np.random.default_rng(9).standard_normal((1, SR))).astype(np.float32)
    hiss = Hiss(snr_db_range=(30.0, 30.0), colour_choices=("white",), band_margin_db_range=(0.0, 0.0))
    _, target = hiss(noisy, np.random.default_rng(10), META)
    assert target.stats["snr_db"] == pytest.approx(0.0, abs=1.0)


# ------------------------------------------------------------------------------------------ distortion


@pytest.mark.parametrize("mode", ["hard", "soft", "asymmetric", "atan"])
@pytest.mark.parametrize("level", [0.9, 0.01])
def test_distortion_clipped_fraction_is_measured(mode: str, level: float) -> None:
    clean = _tones(level=level)
    distortion = Distortion(mode_choices=(mode,))
    for seed in range(3):
        out, target = distortion(clean, np.random.default_rng(seed), META)
        ceiling = 10 ** (target.params["ceiling_dbfs"] / 20)
        assert np.max(np.abs(out)) <= min(ceiling, 1.0) + 1e-6
        pos, neg = target.stats["clip_levels"]
        measured = float(np.mean((out >= np.float32(pos)) | (out <= -np.float32(neg))))
        assert target.stats["clipped_fraction"] == pytest.approx(measured)
        assert measured >= 0.01  # the weakest setting clips at least 1 % of the samples
        assert target.stats["distortion_db"] > -40


def test_distortion_atan_keeps_rising_and_is_not_drawn_by_default() -> None:
    """The arctangent curve is monotonic past the knee (no flat tops), unlike hard clipping."""
    assert "atan" not in Distortion().mode_choices
    ramp = np.linspace(-1.0, 1.0, SR, dtype=np.float32)[None]
    out, levels = functional.distort(ramp, "atan", gain=4.0, ceiling=0.5)
    assert np.all(np.diff(out[0]) > 0) and np.max(np.abs(out)) < 0.5  # rising everywhere, under the ceiling
    assert levels[0] == pytest.approx(0.5 * 2 / np.pi * np.arctan(np.pi / 2), rel=1e-6)
    hard, _ = functional.distort(ramp, "hard", gain=4.0, ceiling=0.5)
    assert np.sum(np.diff(hard[0]) == 0) > SR // 2  # three quarters of the ramp sits on the ceiling
    out, target = Distortion(mode_choices=("atan",))(_tones(level=0.5), np.random.default_rng(0), META)
    assert target.params["mode"] == "atan" and target.stats["exposure_db"] >= target.params["band_margin_db"]


def test_distortion_weakest_hard_clip_is_one_percent() -> None:
    clean = _tones(level=0.5)
    distortion = Distortion(mode_choices=("hard",), drive_db_range=(0.0, 0.0), ceiling_dbfs_range=(0.0, 0.0))
    out, target = distortion(clean, np.random.default_rng(0), META)
    assert target.stats["clipped_fraction"] == pytest.approx(0.01, abs=0.003)
    assert np.max(np.abs(out)) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------- sources


@pytest.fixture(scope="module")
def procedural() -> ProceduralAudio:
    return ProceduralAudio()


@pytest.mark.parametrize("kind", KINDS)
def test_procedural_kinds(procedural: ProceduralAudio, kind: str) -> None:
    source = ProceduralAudio(kind_weights={kind: 1.0})
    source._banks = procedural._banks  # share the pre-rendered banks (same seed)
    for i in range(6):
        audio, info = source.segment(np.random.default_rng([i, 1]), "train", SR, SR)
        assert audio.shape == (1, SR) and audio.dtype == np.float32
        assert np.isfinite(audio).all() and 0 < np.max(np.abs(audio)) < 1.0
        assert info["source"] == "procedural" and info["kind"] == kind
        assert json.loads(json.dumps(info)) == info


def test_procedural_is_deterministic_and_covers_hard_negatives(procedural: ProceduralAudio) -> None:
    a, info_a = procedural.segment(np.random.default_rng(11), "val", 5000, SR)
    b, info_b = procedural.segment(np.random.default_rng(11), "val", 5000, SR)
    np.testing.assert_array_equal(a, b)
    assert info_a == info_b
    kinds, layers, loud_peaks = set(), set(), []
    for i in range(150):
        audio, info = procedural.segment(np.random.default_rng([i, 2]), "train", SR // 4, SR)
        assert np.isfinite(audio).all() and np.max(np.abs(audio)) < 1.0
        kinds.add(info["kind"])
        layers.update(info["layers"])
        if info["loud"]:
            loud_peaks.append(float(np.max(np.abs(audio))))
    assert kinds == set(KINDS)
    assert {"drone", "drums", "plucks", "speech", "rain", "wind", "near_silence"} <= layers
    assert loud_peaks and min(loud_peaks) > 0.89


def test_procedural_rejects_bad_config() -> None:
    with pytest.raises(ValueError, match="kind_weights"):
        ProceduralAudio(kind_weights={"opera": 1.0})
    with pytest.raises(ValueError, match="peak_dbfs_range"):
        ProceduralAudio(peak_dbfs_range=(-10.0, 3.0))
    with pytest.raises(ValueError, match="split"):
        ProceduralAudio().segment(np.random.default_rng(0), "holdout", 100, SR)


def test_synth_samples_are_order_free_and_balanced(procedural: ProceduralAudio) -> None:
    classes = ["none", "hum", "hiss", "distortion", "clicks"]
    defects = {"hum": Hum(), "hiss": Hiss(), "distortion": Distortion(), "clicks": Clicks()}

    def make() -> AudioArtifactSynth:
        return AudioArtifactSynth(procedural, defects, classes, SR, 0.25, seed=5)

    forward, backward = make(), make()
    ids = list(range(10))
    first = {i: forward.sample("test", i) for i in ids}
    second = {i: backward.sample("test", i) for i in reversed(ids)}
    for i in ids:
        np.testing.assert_array_equal(first[i][0], second[i][0])
        assert first[i][1].to_dict() == second[i][1].to_dict()
        assert first[i][0].shape == (1, SR // 4)
    labels = [forward.label_of(i) for i in range(500)]
    assert {c: labels.count(c) for c in classes} == dict.fromkeys(classes, 100)
    assert [first[i][1].label for i in ids] == [classes[i % 5] for i in ids]
    other_split, _ = forward.sample("train", 3)
    assert not np.array_equal(other_split, first[3][0])


# ------------------------------------------------------------------------------------------------ folder


def _write(path, seconds: float, freq: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    wave = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wave, SR, subtype="FLOAT")
    return wave


def test_folder_splits_by_file_without_overlap(tmp_path) -> None:
    for i in range(40):
        _write(tmp_path / f"set{i % 3}" / f"clip{i}.wav", 0.3, 200 + 10 * i)
    (tmp_path / "notes.txt").write_text("not audio")
    source = FolderAudio(tmp_path, SR)
    again = FolderAudio(tmp_path, SR)
    files = source.files
    assert files == again.files  # stable: a hash of the relative path, not an rng
    all_files = [f for split in files.values() for f in split]
    assert len(all_files) == len(set(all_files)) == 40
    assert all(files[split] for split in ("train", "val", "test"))
    for split in ("train", "val", "test"):
        for i in range(5):
            audio, info = source.segment(np.random.default_rng(i), split, SR // 10, SR)
            assert info["file"] in files[split] and audio.shape == (1, SR // 10)
    a, _ = source.segment(np.random.default_rng(9), "train", SR // 10, SR)
    b, _ = again.segment(np.random.default_rng(9), "train", SR // 10, SR)
    np.testing.assert_array_equal(a, b)


def test_folder_pads_short_files_and_skips_bad_ones(tmp_path) -> None:
    wave = _write(tmp_path / "short.wav", 0.25, 300.0)
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really a wav file")
    source = FolderAudio(tmp_path, SR, split_fractions=(1.0, 0.0, 0.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(4):
            audio, info = source.segment(np.random.default_rng(i), "train", SR, SR)
            assert info["file"] == "short.wav" and audio.shape == (1, SR)
            start = int(round(-info["offset_s"] * SR))
            np.testing.assert_allclose(audio[0, start : start + len(wave)], wave, atol=1e-6)
            assert not audio[0, :start].any() and not audio[0, start + len(wave) :].any()
    assert "broken.wav" in source.unreadable
    assert any("broken.wav" in str(w.message) for w in caught)
    with pytest.raises(ValueError, match="'val'"):
        source.segment(np.random.default_rng(0), "val", SR, SR)


def test_folder_errors_name_the_folder(tmp_path) -> None:
    with pytest.raises(ValueError, match=str(tmp_path)):
        FolderAudio(tmp_path, SR)
    (tmp_path / "bad.wav").write_bytes(b"junk")
    source = FolderAudio(tmp_path, SR, split_fractions=(1.0, 0.0, 0.0))
    with pytest.warns(UserWarning, match="bad.wav"), pytest.raises(ValueError, match="none of the 1 files"):
        source.segment(np.random.default_rng(0), "train", SR, SR)
    with pytest.raises(ValueError, match="split_fractions"):
        FolderAudio(tmp_path, SR, split_fractions=(0.5, 0.5, 0.5))


def test_functional_kernels_leave_inputs_alone() -> None:
    clean = _tones()
    before = clean.copy()
    functional.add_clicks(clean, SR, [10], [3], ["burst"], [1], [10.0], -30.0, 0, min_level_db=3.0)
    functional.add_hiss(clean, SR, -3.0, 20.0, -60.0, 0.0, 0)
    functional.distort(clean, "soft", 10.0, 0.9)
    np.testing.assert_array_equal(clean, before)


def test_speech_glottal_phase_never_jumps() -> None:
    """Each sample advances the glottal phase by its own f0 / sr, from the random start on (a jump
    after the first 2-ms block once put a click into clean speech)."""
    from synth.audio.sources.procedural import glottal_cycles

    rng = np.random.default_rng(0)
    sr, step, n = 32000, 64, 32000
    f0 = rng.uniform(90.0, 260.0, -(-n // step))
    cycles = glottal_cycles(f0, step, sr, n, phase=0.73)
    assert cycles.shape == (n,) and cycles[0] == pytest.approx(0.73)
    np.testing.assert_allclose(np.diff(cycles), np.repeat(f0 / sr, step)[: n - 1], rtol=0, atol=1e-9)


@pytest.mark.parametrize("fast", [False, True])
def test_codec_round_trip_keeps_the_programme_in_place(fast):
    """Both round trips (full: 48 kHz, default coder; fast: the segment's own rate, quick coder) give
    the same length, time-aligned and deterministic; a lower bit rate costs fidelity."""
    from synth.audio.delivery import codec_round_trip

    rate = 32000
    t = np.arange(rate) / rate
    rng = np.random.default_rng(0)
    audio = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.02 * rng.standard_normal(rate)).astype(np.float32)[None]
    out = codec_round_trip(audio, rate, fast=fast)
    assert out.shape == audio.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, codec_round_trip(audio, rate, fast=fast))
    inner = slice(2000, rate - 2000)
    lags = [np.dot(audio[0, inner], np.roll(out[0], -k)[inner]) for k in range(-3, 4)]
    assert int(np.argmax(lags)) - 3 == 0

    def error_db(x: np.ndarray) -> float:
        return float(
            10 * np.log10(np.mean((x[0, inner] - audio[0, inner]) ** 2) / np.mean(audio[0, inner] ** 2))
        )

    assert error_db(codec_round_trip(audio, rate, fast=fast, kbps=24)) > error_db(out) + 1
    with pytest.raises(ValueError, match="bit rate"):
        codec_round_trip(audio, rate, fast=fast, kbps=1000)


# ------------------------------------------------------------------------------------------------ where


def test_defect_frames_flag_where_the_change_is() -> None:
    clean = _tones(level=0.2)
    frame = SR // 100  # 10 ms
    clicked, target = Clicks(single_click_prob=1.0)(clean, np.random.default_rng(3), META)
    flags = functional.defect_frames(clean, clicked, target.segments, frame)
    ((start, end),) = target.segments
    assert flags.shape == (SR // frame,)
    assert set(np.flatnonzero(flags)) == set(range(start // frame, (end - 1) // frame + 1))
    hummed, target = Hum()(clean, np.random.default_rng(3), META)
    assert functional.defect_frames(clean, hummed, target.segments, frame).all()
    # a level change is no defect; nor is a change outside the ground-truth segments
    assert not functional.defect_frames(clean, 0.5 * clean, [(0, SR)], frame).any()
    assert not functional.defect_frames(clean, hummed, [], frame).any()
    # on digital silence any audible change counts, below -40 dB of a loud frame none does
    silence = np.zeros_like(clean)
    tick = silence.copy()
    tick[0, 5000] = 1e-3
    assert np.flatnonzero(functional.defect_frames(silence, tick, [(5000, 5001)], frame)).tolist() == [31]
    faint = clean + 1e-3 * clean.std() * np.random.default_rng(0).standard_normal(clean.shape).astype(
        np.float32
    )
    assert not functional.defect_frames(clean, faint, [(0, SR)], frame).any()
    assert functional.defect_frames(clean, faint, [(0, SR)], frame, min_db=-80.0).all()
    with pytest.raises(ValueError, match="frame_samples"):
        functional.defect_frames(clean, clean, [], 0)


def test_synth_frames_come_with_the_same_sample(procedural: ProceduralAudio) -> None:
    classes = ["none", "hum", "hiss", "distortion", "clicks"]
    defects = {"hum": Hum(), "hiss": Hiss(), "distortion": Distortion(), "clicks": Clicks()}
    synth = AudioArtifactSynth(procedural, defects, classes, SR, 1.0, seed=5)
    for i in range(10):
        audio, target = synth.sample("val", i)
        again, target2, frames = synth.sample_with_frames("val", i)
        np.testing.assert_array_equal(audio, again)
        assert target.to_dict() == target2.to_dict()
        assert frames.shape == (100,) and frames.dtype == bool
        if target.label == "none":
            assert not frames.any()
        elif target.label == "clicks":  # only the frames holding a click
            assert 0 < frames.sum() <= 2 * len(target.segments)
            held = {k for s, e in target.segments for k in range(s // 160, (e - 1) // 160 + 1)}
            assert set(np.flatnonzero(frames)) <= held
        else:
            assert frames.mean() > 0.9
