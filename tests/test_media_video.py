"""Decoding user video and images: pixel formats, variable frame rate, damaged files, one-line errors."""

from __future__ import annotations

import os
import warnings
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from synth.media import MediaError, MediaWarning, iter_video_frames, read_image, video_info
from tests.mediagen import tone, write_mp4


def pattern(i: int, height: int, width: int) -> np.ndarray:
    """RGB uint8 frame ``i``: smooth colour ramps shifted with ``i`` (easy on lossy codecs)."""
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    image = np.empty((height, width, 3), np.float32)
    image[..., 0] = 40 + 160 * x
    image[..., 1] = 40 + 160 * y
    image[..., 2] = 60 + 3 * i + 0 * x
    return np.round(image).astype(np.uint8)


def write_video(
    path,
    frames: list[np.ndarray],
    codec: str,
    pix_fmt: str,
    in_format: str = "rgb24",
    pts_ms: list[int] | None = None,
    options: dict | None = None,
):
    """Encode ``frames`` (arrays in ``in_format``) with PyAV; ``pts_ms`` gives a variable frame rate."""
    height, width = frames[0].shape[:2]
    with av.open(os.fspath(path), "w") as container:
        if pts_ms is None:
            stream = container.add_stream(codec, rate=25, options=options or {})
        else:
            stream = container.add_stream(codec, rate=1000, options=options or {})
            stream.codec_context.time_base = Fraction(1, 1000)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format=in_format)
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def decode(path, **kwargs) -> tuple[list[float], list[np.ndarray]]:
    times, frames = [], []
    for t, frame in iter_video_frames(path, **kwargs):
        times.append(t)
        frames.append(frame)
    return times, frames


def assert_rgb8(frame: np.ndarray, height: int, width: int) -> None:
    assert frame.dtype == np.uint8 and frame.shape == (height, width, 3)
    assert frame.flags.c_contiguous


def assert_one_line_error(excinfo: pytest.ExceptionInfo, path, *words: str) -> None:
    message = str(excinfo.value)
    assert os.fspath(path) in message and "\n" not in message
    for word in words:
        assert word in message.lower()


# ------------------------------------------------------------------------------------------ formats


def test_h264_mp4_frames_times_and_info(tmp_path):
    path = write_video(tmp_path / "clip.mp4", [pattern(i, 48, 64) for i in range(10)], "libx264", "yuv420p")
    info = video_info(path)
    assert (info.width, info.height, info.fps, info.frame_count) == (64, 48, 25.0, 10)
    assert info.pix_fmt == "yuv420p" and info.codec == "h264"
    times, frames = decode(path)
    assert len(frames) == 10
    np.testing.assert_allclose(times, np.arange(10) / 25, atol=1e-6)
    for i, frame in enumerate(frames):
        assert_rgb8(frame, 48, 64)
        assert np.abs(frame.astype(int) - pattern(i, 48, 64)).mean() < 4
    assert len(decode(path, max_frames=3)[1]) == 3
    assert decode(path, max_frames=0)[1] == []


def test_ten_bit_video(tmp_path):
    path = write_video(
        tmp_path / "deep.mkv", [pattern(i, 36, 50) for i in range(4)], "libx264", "yuv420p10le"
    )
    assert video_info(path).pix_fmt == "yuv420p10le"
    _, frames = decode(path)
    assert len(frames) == 4
    for i, frame in enumerate(frames):
        assert_rgb8(frame, 36, 50)
        assert np.abs(frame.astype(int) - pattern(i, 36, 50)).mean() < 4


def test_gray_video_with_odd_size(tmp_path):
    levels = [30, 90, 150, 210]
    gray = [np.full((17, 33), v, np.uint8) for v in levels]
    path = write_video(tmp_path / "gray.mkv", gray, "ffv1", "gray", in_format="gray")
    assert video_info(path).pix_fmt == "gray"
    _, frames = decode(path)
    for level, frame in zip(levels, frames, strict=True):
        assert_rgb8(frame, 17, 33)
        assert (frame == level).all()


def test_alpha_is_dropped(tmp_path):
    rng = np.random.default_rng(0)
    rgba = [rng.integers(0, 256, (21, 31, 4), dtype=np.uint8) for _ in range(3)]
    path = write_video(tmp_path / "alpha.mov", rgba, "png", "rgba", in_format="rgba")
    _, frames = decode(path)
    for source, frame in zip(rgba, frames, strict=True):
        assert_rgb8(frame, 21, 31)
        np.testing.assert_array_equal(frame, source[..., :3])


def test_variable_frame_rate_sampling(tmp_path):
    pts_ms = [0, 40, 80, 200, 210, 500]
    levels = [10 + 40 * i for i in range(len(pts_ms))]
    gray = [np.full((16, 16), v, np.uint8) for v in levels]
    path = write_video(tmp_path / "vfr.mkv", gray, "ffv1", "gray", in_format="gray", pts_ms=pts_ms)
    times, frames = decode(path)
    np.testing.assert_allclose(times, np.array(pts_ms) / 1000, atol=1e-6)
    # At 10 fps each sampling time takes the latest frame at or before it.
    times, frames = decode(path, fps=10)
    np.testing.assert_allclose(times, np.arange(6) / 10, atol=1e-9)
    assert [int(f[0, 0, 0]) for f in frames] == [10, 90, 130, 170, 170, 210]
    # Faster than the source: frames repeat, and a frame lands exactly on its own time.
    times, frames = decode(path, fps=50, max_frames=6)
    assert [int(f[0, 0, 0]) for f in frames] == [10, 10, 50, 50, 90, 90]
    frames[0][...] = 0  # a repeated frame is a separate array
    assert frames[1][0, 0, 0] == 10


# ---------------------------------------------------------------------------------- damaged files


def test_truncated_mp4_yields_then_warns(tmp_path):
    path = write_mp4(tmp_path / "full.mp4", 2.0, faststart=True)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, frames = decode(cut)
    assert 0 < len(frames) < 50
    messages = [str(w.message) for w in caught if issubclass(w.category, MediaWarning)]
    assert len(messages) == 1 and str(cut) in messages[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the intact file decodes silently
        assert len(decode(path)[1]) == 50


def test_truncated_mkv_warns(tmp_path):
    rng = np.random.default_rng(3)
    noise = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(30)]  # similar-size packets
    path = write_video(tmp_path / "full.mkv", noise, "libx264", "yuv420p")
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(MediaWarning, match="cut.mkv"):
        _, frames = decode(cut)
    assert 0 < len(frames) < 30


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(MediaError) as excinfo:
        iter_video_frames(path)
    assert_one_line_error(excinfo, path, "empty")


def test_audio_only_file(tmp_path):
    path = write_mp4(tmp_path / "audio.m4a", 0.5, video=False, audio=tone(440, 0.5, 48000))
    with pytest.raises(MediaError) as excinfo:
        iter_video_frames(path)
    assert_one_line_error(excinfo, path, "no video stream")
    with pytest.raises(MediaError):
        video_info(path)


def test_corrupt_and_missing_files(tmp_path):
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(MediaError) as excinfo:
        iter_video_frames(path)
    assert_one_line_error(excinfo, path)
    with pytest.raises(MediaError) as excinfo:
        iter_video_frames(tmp_path / "missing.mp4")
    assert_one_line_error(excinfo, tmp_path / "missing.mp4", "no such file")


def test_bad_arguments(tmp_path):
    path = write_mp4(tmp_path / "clip.mp4", 0.2)
    with pytest.raises(ValueError, match="fps"):
        iter_video_frames(path, fps=0)
    with pytest.raises(ValueError, match="max_frames"):
        iter_video_frames(path, max_frames=-1)


# -------------------------------------------------------------------------------------------- images


def test_png_rgb_and_rgba(tmp_path):
    rng = np.random.default_rng(2)
    rgba = rng.integers(0, 256, (13, 19, 4), dtype=np.uint8)
    path = tmp_path / "rgba.png"
    cv2.imwrite(str(path), rgba[..., [2, 1, 0, 3]])  # OpenCV writes BGRA
    image = read_image(path)
    assert_rgb8(image, 13, 19)
    np.testing.assert_array_equal(image, rgba[..., :3])
    jpg = tmp_path / "rgb.jpg"
    cv2.imwrite(str(jpg), pattern(0, 24, 40)[..., ::-1])
    assert np.abs(read_image(jpg).astype(int) - pattern(0, 24, 40)).mean() < 3


def test_sixteen_bit_and_gray_images(tmp_path):
    deep = np.array([[0, 257, 65535], [32768, 1000, 60000]], dtype=np.uint16)
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), deep)
    image = read_image(path)
    assert_rgb8(image, 2, 3)
    np.testing.assert_array_equal(image[..., 0], np.round(deep / 257).astype(np.uint8))
    assert (image[..., 0] == image[..., 2]).all()
    rgb16 = tmp_path / "rgb16.tiff"
    cv2.imwrite(str(rgb16), np.stack([deep, deep // 2, deep // 4], axis=2)[..., ::-1].copy())
    np.testing.assert_array_equal(read_image(rgb16)[..., 1], np.round((deep // 2) / 257).astype(np.uint8))
    bmp = tmp_path / "gray.bmp"
    cv2.imwrite(str(bmp), np.full((5, 7), 77, np.uint8))
    assert (read_image(bmp) == 77).all()


def test_bad_images(tmp_path):
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(MediaError) as excinfo:
        read_image(path)
    assert_one_line_error(excinfo, path)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(MediaError) as excinfo:
        read_image(empty)
    assert_one_line_error(excinfo, empty, "empty")
