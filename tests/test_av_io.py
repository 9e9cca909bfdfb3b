"""synth.av: one A/V timeline on read, genuine container-level offsets on write, and the real offset set.

Every file is generated here: flashes (bright frames) and beeps (1 kHz bursts) at known times, or
frames whose colour encodes their index. A flash and its beep share a time in the source, so the
beep-minus-flash lag measured after decoding is the offset the container applies.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

import synth.av.io as avio
from synth.av.io import AVClip, frame_rate, load_av_clip, write_av_clip
from synth.av.offset import sync_label
from synth.av.realset import (
    LABELS,
    MANIFEST_COLUMNS,
    build_real_offset_set,
    main,
)
from synth.media import MediaError, MediaWarning
from tests.mediagen import tone, write_mp4

H, W = 120, 160
FPS, SR = 25.0, 16000
DARK, BRIGHT = 16, 235


# ------------------------------------------------------------------------------------- media helpers


def flash_beep(
    seconds: float, events_s: list[float], fps: float = FPS, sr: int = SR
) -> tuple[np.ndarray, np.ndarray]:
    """Dark frames with a 3-frame flash at each event, silence with a 60 ms 1 kHz beep at each event."""
    num = round(seconds * fps)
    frames = np.full((num, H, W, 3), DARK, dtype=np.uint8)
    audio = np.zeros(round(seconds * sr), dtype=np.float32)
    t = np.arange(round(0.06 * sr)) / sr
    for event in events_s:
        first = math.ceil(event * fps - 1e-6)
        frames[first : first + 3] = BRIGHT
        i = round(event * sr)
        audio[i : i + t.size] = 0.5 * np.sin(2 * np.pi * 1000 * t)[: audio.size - i]
    return frames, audio


def indexed_frames(num: int) -> np.ndarray:
    """Frame j is a flat colour that encodes j (red: j % 16, green: j // 16, steps of 16)."""
    j = np.arange(num)
    frames = np.zeros((num, H, W, 3), dtype=np.uint8)
    frames[..., 0] = (16 * (j % 16) + 8)[:, None, None]
    frames[..., 1] = (16 * (j // 16) + 8)[:, None, None]
    return frames


def frame_indices(frames: np.ndarray) -> list[int]:
    mean = frames[:, H // 4 : -H // 4, W // 4 : -W // 4].astype(np.float64).mean(axis=(1, 2))
    return [round((r - 8) / 16) + 16 * round((g - 8) / 16) for r, g, _ in mean]


def flash_onsets(clip: AVClip) -> list[float]:
    """Timeline times where the picture turns bright after a dark frame."""
    bright = clip.frames.astype(np.float64).mean(axis=(1, 2, 3)) > (DARK + BRIGHT) / 2
    return [clip.start_s + k / clip.fps for k in range(1, bright.size) if bright[k] and not bright[k - 1]]


def beep_onsets(clip: AVClip, quiet_s: float = 0.05) -> list[float]:
    """Timeline times where the sound gets loud after at least ``quiet_s`` of quiet."""
    loud = np.flatnonzero(np.abs(clip.audio) > 0.2)
    gap = round(quiet_s * clip.sample_rate)
    starts = [i for n, i in enumerate(loud) if (n == 0 and i >= gap) or (n > 0 and i - loud[n - 1] > gap)]
    return [clip.start_s + i / clip.sample_rate for i in starts]


def lags(clip: AVClip, max_lag_s: float = 0.45) -> list[float]:
    """Beep minus flash for each flash whose beep lies within ``max_lag_s``."""
    beeps = beep_onsets(clip)
    out = []
    for flash in flash_onsets(clip):
        nearest = min(beeps, key=lambda b: abs(b - flash), default=None)
        if nearest is not None and abs(nearest - flash) <= max_lag_s:
            out.append(nearest - flash)
    return out


@pytest.fixture
def sync_clip(tmp_path: Path) -> Path:
    frames, audio = flash_beep(3.0, [0.6, 1.6, 2.4])
    return write_av_clip(tmp_path / "sync.mp4", frames, FPS, audio, SR)


# ------------------------------------------------------------------------------------------ timeline


def test_round_trip_shapes_and_alignment(sync_clip: Path) -> None:
    clip = load_av_clip(sync_clip, 0.0, None)
    assert clip.frames.shape == (75, H, W, 3) and clip.frames.dtype == np.uint8
    assert clip.audio.shape == (48000,) and clip.audio.dtype == np.float32
    assert (clip.fps, clip.sample_rate, clip.start_s, clip.source_fps) == (25.0, SR, 0.0, 25.0)
    assert clip.video_start_s == clip.audio_start_s == 0.0 and clip.path == str(sync_clip)
    assert flash_onsets(clip) == pytest.approx([0.6, 1.6, 2.4], abs=1e-6)
    measured = lags(clip)
    assert len(measured) == 3 and max(abs(x) for x in measured) < 0.04

    window = load_av_clip(sync_clip, 0.2, 2.0, sample_rate=8000)
    assert window.frames.shape == (50, H, W, 3) and window.audio.shape == (16000,)
    assert np.array_equal(window.frames, clip.frames[5:55])


@pytest.mark.parametrize(("audio_delay", "video_delay"), [(0.2, 0.0), (0.0, 0.2), (0.137, 0.0)])
def test_container_delay_moves_beep_against_flash(
    tmp_path: Path, audio_delay: float, video_delay: float
) -> None:
    frames, audio = flash_beep(2.0, [0.6, 1.4])
    path = write_av_clip(tmp_path / "delayed.mp4", frames, FPS, audio, SR, audio_delay, video_delay)
    clip = load_av_clip(path, 0.0, None, fps=200.0)  # a 5 ms grid: the flash time is not rounded to 40 ms
    measured = lags(clip)
    assert len(measured) == 2
    assert measured == pytest.approx([audio_delay - video_delay] * 2, abs=0.02)
    delay = int(round(max(audio_delay, video_delay) * clip.fps))
    if audio_delay:  # the audio stream starts later in the container: leading silence, samples untouched
        assert np.abs(clip.audio[: round((audio_delay - 0.07) * SR)]).max() < 1e-3
        # AAC priming: the stream declares its start 1024 samples before the first real sample
        assert audio_delay - 1024 / SR - 1e-3 <= clip.audio_start_s <= audio_delay + 1e-3
        assert clip.video_start_s == 0.0
    else:  # the video stream starts later: black before its first frame
        assert not clip.frames[: delay - 1].any() and clip.frames[delay + 1].all()
        assert clip.video_start_s == pytest.approx(video_delay, abs=1e-4) and clip.audio_start_s == 0.0
    assert clip.frames.shape[0] == math.ceil((2.0 + max(audio_delay, video_delay)) * clip.fps - 1e-6)


@pytest.mark.parametrize("source_fps", [23.976, 29.97, 50.0, 60.0])
def test_odd_frame_rates_resample_to_25(tmp_path: Path, source_fps: float) -> None:
    rate = frame_rate(source_fps)
    num = math.floor(2.0 * rate)
    path = write_av_clip(tmp_path / "rate.mp4", indexed_frames(num), source_fps, tone(440, 2.0, SR)[0], SR)
    clip = load_av_clip(path, 0.5, 1.2)
    assert clip.frames.shape == (30, H, W, 3) and clip.audio.shape == (round(1.2 * SR),)
    assert clip.source_fps == pytest.approx(float(rate))
    expected = [math.floor((Fraction(1, 2) + Fraction(k, 25)) * rate) for k in range(30)]
    assert frame_indices(clip.frames) == expected


def test_variable_frame_rate_takes_latest_frame_at_or_before(tmp_path: Path) -> None:
    times_ms = [0, 30, 100, 110, 180, 300, 310, 420, 560, 600, 640, 700, 830, 900, 1000, 1010, 1200, 1400]
    path = tmp_path / "vfr.mp4"
    with av.open(str(path), "w") as container:
        vstream = container.add_stream("libx264", rate=25)
        vstream.width, vstream.height, vstream.pix_fmt = W, H, "yuv420p"
        vstream.codec_context.time_base = vstream.time_base = Fraction(1, 1000)
        astream = container.add_stream("aac", rate=SR, layout="mono")
        for image, t in zip(indexed_frames(len(times_ms)), times_ms):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            container.mux(vstream.encode(frame))
        container.mux(vstream.encode(None))
        audio = tone(440, 1.5, SR)
        for start in range(0, audio.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(
                audio[:, start : start + 1024].copy(), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = SR, start
            container.mux(astream.encode(frame))
        container.mux(astream.encode(None))
    clip = load_av_clip(path, 0.0, 1.2)
    expected = [max(j for j, t in enumerate(times_ms) if t <= 40 * k) for k in range(30)]
    assert frame_indices(clip.frames) == expected


def test_seeked_window_equals_slice_of_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t = (
        np.arange(4 * 48000) / 48000
    )  # a chirp: FFmpeg's AAC noise substitution would make noise decode randomly
    audio = (0.3 * np.sin(2 * np.pi * (200 * t + 150 * t**2))).astype(np.float32)
    path = write_av_clip(tmp_path / "long.mp4", indexed_frames(100), FPS, audio, 48000)
    whole = load_av_clip(path, 0.0, None)
    seeks: list[bool] = []
    decode = avio._decode

    def spy(*args, **kwargs):
        result = decode(*args, **kwargs)
        seeks.append(kwargs["seek"])
        return result

    monkeypatch.setattr(avio, "_decode", spy)
    part = load_av_clip(path, 2.2, 1.0)
    assert seeks == [True]  # decoded from a seek, and the seek did not overshoot
    assert np.array_equal(part.frames, whole.frames[55:80])
    assert np.allclose(part.audio, whole.audio[35200:51200], atol=1e-6)


def test_mismatched_stream_lengths_are_padded(tmp_path: Path) -> None:
    frames = np.full((75, H, W, 3), 100, dtype=np.uint8)
    short_audio = write_av_clip(tmp_path / "short_audio.mp4", frames, FPS, tone(440, 2.0, SR)[0], SR)
    clip = load_av_clip(short_audio, 0.0, None)  # to the end of the longer stream (video, 3 s)
    assert clip.frames.shape[0] == 75 and clip.audio.shape == (48000,)
    assert np.abs(clip.audio[:31000]).max() > 0.4 and not clip.audio[33000:].any()

    short_video = write_av_clip(tmp_path / "short_video.mp4", frames[:50], FPS, tone(440, 3.0, SR)[0], SR)
    clip = load_av_clip(short_video, 0.0, None)
    assert clip.frames.shape[0] == 75 and clip.audio.shape == (48000,)
    assert clip.frames[:50].min() > 80 and not clip.frames[50:].any()  # black after the last frame's end

    clip = load_av_clip(short_video, 2.5, 2.0)  # a given duration always gives full-size arrays
    assert clip.frames.shape[0] == 50 and clip.audio.shape == (32000,) and not clip.frames.any()


def test_odd_size_is_padded_to_even(tmp_path: Path) -> None:
    frames = np.zeros((10, 121, 161, 3), dtype=np.uint8)
    frames[:, :, -1] = 200  # last column bright: padding repeats it
    path = write_av_clip(tmp_path / "odd.mp4", frames, FPS, tone(440, 0.4, SR)[0], SR, crf=0)
    clip = load_av_clip(path, 0.0, None)
    assert clip.frames.shape[1:] == (122, 162, 3)
    assert clip.frames[:, 10:-10, -1].mean() > 180 and clip.frames[:, 10:-10, :-3].mean() < 20


# ------------------------------------------------------------------------------------------- errors


def _video_only(path: Path) -> None:
    write_mp4(path, 1.0, size=(W, H))


def _audio_only(path: Path) -> None:
    write_mp4(path, 1.0, audio=tone(440, 1.0, SR), sample_rate=SR, video=False)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    frames, audio = flash_beep(2.0, [0.5])
    write_av_clip(path, frames, FPS, audio, SR)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # the index (moov) is at the end


def _garbage(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_video_only, "no audio stream (lip sync needs sound)"),
        (_audio_only, "no video stream"),
        (_empty, "empty file"),
        (_truncated, "corrupt or truncated"),
        (_garbage, "corrupt or truncated"),
    ],
)
def test_unusable_files_raise_one_line_media_error(tmp_path: Path, make, reason: str) -> None:
    path = tmp_path / f"bad_{make.__name__.strip('_')}.mp4"
    make(path)
    with pytest.raises(MediaError) as caught:
        load_av_clip(path)
    message = str(caught.value)
    assert path.name in message and reason in message and "\n" not in message


def test_start_beyond_the_end_is_refused(sync_clip: Path) -> None:
    with pytest.raises(MediaError, match=r"sync\.mp4: start_s=5 s is at or after the end"):
        load_av_clip(sync_clip, 5.0)
    with pytest.raises(ValueError, match="duration_s"):
        load_av_clip(sync_clip, 0.0, 0.0)


def test_truncated_streamable_file_decodes_what_is_there(tmp_path: Path) -> None:
    path = write_mp4(
        tmp_path / "cut.mp4", 3.0, size=(W, H), audio=tone(440, 3.0, SR), sample_rate=SR, faststart=True
    )
    path.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    with pytest.warns(MediaWarning, match=r"cut\.mp4: video decodes to .* of the declared 3\.000 s"):
        clip = load_av_clip(path, 0.0, None)  # to the end of what decodes
    assert (
        25 < clip.frames.shape[0] < 75
        and clip.frames[0].any()
        and clip.audio.size == clip.frames.shape[0] * 640
    )
    with pytest.warns(MediaWarning, match="truncated"):
        clip = load_av_clip(path, 0.0, 3.0)  # a given duration: padded where nothing decodes
    assert clip.frames.shape[0] == 75 and not clip.frames[-1].any() and not clip.audio[-100:].any()


# ------------------------------------------------------------------------------------------ real set


@pytest.fixture
def talking_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "videos"
    folder.mkdir()
    for name, phase in (("a.mp4", 0.3), ("b.mp4", 0.55), ("sub/c.mov", 0.8)):
        frames, audio = flash_beep(3.0, [phase, phase + 1.0, phase + 2.0])
        (folder / name).parent.mkdir(exist_ok=True)
        write_av_clip(folder / name, frames, FPS, audio, SR)
    write_mp4(folder / "silent.mp4", 3.0, size=(W, H))  # no sound: skipped with a warning
    return folder


def _read_manifest(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == MANIFEST_COLUMNS
        return list(reader)


def test_real_offset_set(talking_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "set"
    kwargs = {"clips": 6, "seed": 1, "clip_seconds": 2.0, "max_offset_ms": 300.0, "progress": False}
    with pytest.warns(MediaWarning, match="silent.mp4: no audio stream"):
        manifest = build_real_offset_set(talking_folder, out, **kwargs)
    rows = _read_manifest(manifest)
    assert [r["path"] for r in rows] == [f"clips/{k:04d}.mp4" for k in range(6)]
    offsets = [int(r["offset_ms"]) for r in rows]
    assert (
        {r["label"] for r in rows} == set(LABELS)
        and any(o < 0 for o in offsets)
        and any(o > 0 for o in offsets)
    )
    for row, offset in zip(rows, offsets):
        assert row["label"] == sync_label(offset, (40.0, 60.0))
        if row["label"] == "out_of_sync":
            assert 120 <= abs(offset) <= 300
        clip = load_av_clip(out / row["path"], 0.0, None, fps=200.0)
        measured = lags(clip)
        assert measured and max(abs(m - offset / 1000) for m in measured) <= 0.025, (row, measured)
    meta = json.loads((out / "meta.json").read_text())
    assert meta["arguments"]["seed"] == 1 and [c["offset_ms"] for c in meta["clips"]] == offsets
    assert {c["source"] for c in meta["clips"]} <= {"a.mp4", "b.mp4", "sub/c.mov"}
    assert [s["source"] for s in meta["skipped"]] == ["silent.mp4"]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MediaWarning)
        again = build_real_offset_set(talking_folder, tmp_path / "again", **kwargs)
        assert again.read_text() == manifest.read_text()  # same seed, same set
        with pytest.raises(FileExistsError, match="--overwrite"):
            build_real_offset_set(talking_folder, out, **kwargs)
        build_real_offset_set(talking_folder, out, **{**kwargs, "seed": 2, "clips": 2}, overwrite=True)
        assert len(_read_manifest(manifest)) == 2
        foreign = tmp_path / "foreign"
        foreign.mkdir()
        (foreign / "notes.txt").write_text("mine")
        with pytest.raises(FileExistsError, match="holds no A/V offset set"):
            build_real_offset_set(talking_folder, foreign, **kwargs, overwrite=True)
        assert (foreign / "notes.txt").read_text() == "mine"


def test_real_offset_set_cli(talking_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cli"
    argv = ["--folder", str(talking_folder), "--out", str(out), "--clips", "2", "--clip-seconds", "1.5"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MediaWarning)
        assert main([*argv, "--no-progress"]) == out / "manifest.csv"
        with pytest.raises(SystemExit) as caught:
            main([*argv, "--no-progress"])
    assert caught.value.code == 2 and "already there" in capsys.readouterr().err


def test_folder_without_usable_video_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "mute"
    folder.mkdir()
    write_mp4(folder / "silent.mp4", 1.0, size=(W, H))
    with pytest.warns(MediaWarning, match="silent.mp4"), pytest.raises(ValueError, match="none of the 1"):
        build_real_offset_set(folder, tmp_path / "out", clips=2, clip_seconds=0.5, progress=False)
