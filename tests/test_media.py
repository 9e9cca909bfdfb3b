"""Decoding user media: formats, rates, channel layouts, damaged files and one-line errors."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

from synth.media import MediaError, MediaWarning, load_audio, probe, stream_audio
from tests.mediagen import tone, write_mp4, write_wav

SR = 32000


def peak_hz(audio: np.ndarray, sr: int) -> float:
    x = audio[0] * np.hanning(audio.shape[1])
    spectrum = np.abs(np.fft.rfft(x))
    return float(np.fft.rfftfreq(audio.shape[1], 1 / sr)[np.argmax(spectrum)])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def assert_media_error(excinfo: pytest.ExceptionInfo, path, *words: str) -> None:
    message = str(excinfo.value)
    assert path.name in message
    assert "\n" not in message
    error = excinfo.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    for word in words:
        assert word in message.lower()


@pytest.fixture(scope="module")
def tone_mp4(tmp_path_factory):
    path = tmp_path_factory.mktemp("media") / "tone.mp4"
    return write_mp4(path, 2.0, audio=tone(1000, 2.0, 48000))


# ------------------------------------------------------------------------------------ good files


@pytest.mark.parametrize("src_sr", [8000, 44100, 48000])
def test_wav_rates_resample_to_target(tmp_path, src_sr):
    path = write_wav(tmp_path / f"tone_{src_sr}.wav", tone(1000, 1.0, src_sr), src_sr)
    audio = load_audio(path, SR)
    assert audio.dtype == np.float32 and audio.shape == (1, SR)
    assert abs(peak_hz(audio, SR) - 1000) <= 1.0
    assert rms(audio[:, 200:-200]) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_upsampling_adds_no_images(tmp_path):
    path = write_wav(tmp_path / "tone_8k.wav", tone(3000, 1.0, 8000), 8000)
    spectrum = np.abs(np.fft.rfft(load_audio(path, SR)[0] * np.hanning(SR)))
    freqs = np.fft.rfftfreq(SR, 1 / SR)
    assert spectrum[np.abs(freqs - 5000) < 50].max() < 1e-3 * spectrum.max()  # 8000 - 3000 image


def test_silent_wav_is_zeros(tmp_path):
    path = write_wav(tmp_path / "silence.wav", np.zeros((1, 48000), np.float32), 48000)
    audio = load_audio(path, SR)
    assert audio.shape == (1, SR) and not audio.any()


def test_stereo_is_mean_of_channels(tmp_path):
    left = tone(440, 1.0, 48000)
    path = write_wav(tmp_path / "stereo.wav", np.concatenate([left, np.zeros_like(left)]), 48000)
    assert rms(load_audio(path, 48000)) == pytest.approx(rms(left) / 2, rel=1e-3)
    opposite = write_wav(tmp_path / "opposite.wav", np.concatenate([left, -left]), 48000)
    assert np.abs(load_audio(opposite, 48000)).max() < 1e-6


def test_pcm16_wav(tmp_path):
    path = write_wav(tmp_path / "pcm16.wav", tone(440, 0.5, 16000), 16000, subtype="PCM_16")
    audio = load_audio(path, 16000)
    np.testing.assert_allclose(audio, tone(440, 0.5, 16000), atol=1e-4)


@pytest.mark.parametrize("container", ["wav", "mp4"])
def test_six_channels_downmix(tmp_path, container):
    # 5.1 order is FL FR FC LFE BL BR; AAC band-limits the LFE channel, so it carries no tone here.
    weights = np.array([1.0, 0.5, 0.25, 0.0, -0.25, 0.5], np.float32)[:, None]
    audio = tone(700, 1.0, 48000, amplitude=0.4) * weights
    if container == "wav":
        path = write_wav(tmp_path / "six.wav", audio, 48000)
    else:
        path = write_mp4(tmp_path / "six.mp4", 1.0, audio=audio)
        assert probe(path).channels == 6
    out = load_audio(path, SR)
    expected = 0.4 * float(weights.mean()) / np.sqrt(2)
    assert rms(out[:, 3000:-3000]) == pytest.approx(expected, rel=0.05)
    assert abs(peak_hz(out, SR) - 700) <= 1.0


def test_mp4_tone_round_trip(tone_mp4):
    info = probe(tone_mp4)
    assert info.has_audio and info.has_video
    assert info.sample_rate == 48000 and info.channels == 1
    assert info.fps == pytest.approx(25) and (info.width, info.height) == (64, 48)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    audio = load_audio(tone_mp4, SR)
    assert audio.dtype == np.float32 and audio.shape[0] == 1
    assert abs(audio.shape[1] - 2 * SR) < 0.02 * SR
    assert abs(peak_hz(audio, SR) - 1000) <= 1.0
    assert rms(audio[:, 4000:-4000]) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


@pytest.mark.parametrize(
    ("name", "codec"), [("audio.m4a", "aac"), ("audio.mp3", "libmp3lame"), ("a.mkv", "libopus")]
)
def test_other_containers(tmp_path, name, codec):
    stereo = np.concatenate([tone(1000, 1.0, 48000), tone(1000, 1.0, 48000)])
    path = write_mp4(tmp_path / name, 1.0, audio=stereo, audio_codec=codec, video=name.endswith(".mkv"))
    audio = load_audio(path, SR)
    assert abs(audio.shape[1] - SR) < 0.1 * SR
    assert abs(peak_hz(audio, SR) - 1000) <= 1.0


def test_stream_matches_load(tone_mp4):
    whole = load_audio(tone_mp4, SR)
    chunks = list(stream_audio(tone_mp4, SR, chunk_samples=5000))
    assert all(c.dtype == np.float32 and c.shape == (1, 5000) for c in chunks[:-1])
    assert 0 < chunks[-1].shape[1] <= 5000
    np.testing.assert_allclose(np.concatenate(chunks, axis=1), whole, atol=1e-6)


def test_stream_matches_load_wav(tmp_path):
    path = write_wav(tmp_path / "long.wav", tone(300, 3.0, 44100), 44100)
    whole = load_audio(path, 16000)
    chunks = list(stream_audio(path, 16000, chunk_samples=16000))
    assert [c.shape[1] for c in chunks] == [16000, 16000, 16000]
    np.testing.assert_allclose(np.concatenate(chunks, axis=1), whole, atol=1e-6)


def test_stream_memory_is_bounded(tmp_path):
    seconds, sr = 40, 48000
    rng = np.random.default_rng(0)
    noise = (0.1 * rng.standard_normal((2, seconds * sr))).astype(np.float32)
    path = write_wav(tmp_path / "long.wav", noise, sr, subtype="PCM_16")
    del noise
    whole_bytes = seconds * sr * 4  # the mono float32 result alone
    tracemalloc.start()
    try:
        total = sum(chunk.shape[1] for chunk in stream_audio(path, sr, chunk_samples=4096))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == seconds * sr
    assert peak < whole_bytes / 3


def test_span(tmp_path):
    audio = np.concatenate([tone(500, 1.0, 48000), tone(2000, 1.0, 48000)], axis=1)
    path = write_wav(tmp_path / "two_tones.wav", audio, 48000)
    second = load_audio(path, SR, start_s=1.0, end_s=2.0)
    assert second.shape == (1, SR)
    assert abs(peak_hz(second, SR) - 2000) <= 1.0
    whole = load_audio(path, SR)
    for start_s, end_s in [(0.25, 0.75), (0.3, 1.7), (1.1, None)]:
        part = load_audio(path, SR, start_s=start_s, end_s=end_s)
        stop = None if end_s is None else round(end_s * SR)
        np.testing.assert_allclose(part, whole[:, round(start_s * SR) : stop], atol=1e-6)
    streamed = np.concatenate(list(stream_audio(path, SR, 1000, start_s=1.0)), axis=1)
    np.testing.assert_array_equal(streamed, load_audio(path, SR, start_s=1.0))


@pytest.mark.parametrize(
    ("start_s", "end_s", "words"), [(1.0, 0.5, "end must be after"), (5.0, None, "after the end")]
)
def test_bad_span(tmp_path, start_s, end_s, words):
    path = write_wav(tmp_path / "short.wav", tone(500, 1.0, 16000), 16000)
    with pytest.raises(MediaError) as excinfo:
        load_audio(path, SR, start_s=start_s, end_s=end_s)
    assert_media_error(excinfo, path, "span", words)
    with pytest.raises(MediaError):
        stream_audio(path, SR, 1000, start_s=start_s, end_s=end_s)


# ------------------------------------------------------------------------------------- bad files


def test_missing_file(tmp_path):
    path = tmp_path / "nope.mp4"
    for call in (lambda: load_audio(path, SR), lambda: stream_audio(path, SR, 100), lambda: probe(path)):
        with pytest.raises(MediaError) as excinfo:
            call()
        assert_media_error(excinfo, path, "no such file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(MediaError) as excinfo:
        load_audio(path, SR)
    assert_media_error(excinfo, path, "empty")


@pytest.mark.parametrize("name", ["random.mp4", "random.wav", "random.bin"])
def test_random_bytes(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    for call in (lambda: load_audio(path, SR), lambda: probe(path)):
        with pytest.raises(MediaError) as excinfo:
            call()
        assert_media_error(excinfo, path, "corrupt")


def test_video_without_audio(tmp_path):
    path = write_mp4(tmp_path / "silent_film.mp4", 1.0)
    info = probe(path)
    assert info.has_video and not info.has_audio and info.sample_rate is None
    with pytest.raises(MediaError) as excinfo:
        load_audio(path, SR)
    assert_media_error(excinfo, path, "no audio stream")


def test_truncated_mp4_index_at_end_is_unreadable(tmp_path):
    full = write_mp4(tmp_path / "full.mp4", 2.0, audio=tone(1000, 2.0, 48000))
    path = tmp_path / "half.mp4"
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError) as excinfo:
        load_audio(path, SR)
    assert_media_error(excinfo, path, "corrupt")


def test_truncated_mp4_keeps_decodable_part(tmp_path):
    full = write_mp4(tmp_path / "full.mp4", 4.0, audio=tone(1000, 4.0, 48000), faststart=True)
    path = tmp_path / "half.mp4"
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.warns(MediaWarning) as record:
        audio = load_audio(path, SR)
    assert all(path.name in str(w.message) and "\n" not in str(w.message) for w in record)
    assert 0.5 * SR < audio.shape[1] < 3.5 * SR
    assert abs(peak_hz(audio, SR) - 1000) <= 1.0


@pytest.mark.parametrize("suffix", ["wav", "flac"])
def test_truncated_lossless_warns(tmp_path, suffix):
    full = tmp_path / f"full.{suffix}"
    import soundfile as sf

    sf.write(full, tone(440, 2.0, 16000)[0], 16000, subtype="PCM_16")
    path = tmp_path / f"half.{suffix}"
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.warns(MediaWarning, match="half"):
        audio = load_audio(path, 16000)
    assert 0.3 * 16000 < audio.shape[1] < 1.5 * 16000


def test_intact_files_do_not_warn(tmp_path, tone_mp4):
    path = write_wav(tmp_path / "ok.wav", tone(440, 1.0, 16000), 16000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_audio(path, SR)
        load_audio(tone_mp4, SR)


def test_bad_arguments(tmp_path):
    path = write_wav(tmp_path / "ok.wav", tone(440, 0.1, 16000), 16000)
    with pytest.raises(ValueError):
        stream_audio(path, SR, 0)
    with pytest.raises(MediaError) as excinfo:
        load_audio(tmp_path, SR)
    assert_media_error(excinfo, tmp_path, "directory")
