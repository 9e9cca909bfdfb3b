"""Decoding user media: probe a file, load or stream its audio as mono float32 at a chosen rate.

Every failure is a :class:`MediaError` whose one-line message names the file and says what is wrong;
library tracebacks never escape. WAV/FLAC/OGG/AIFF go through soundfile, everything else (and
whatever soundfile cannot open) through PyAV, reading the first audio stream. Both paths share one
pipeline: mean downmix of all channels, then FFmpeg's band-limited resampler (``av.AudioResampler``),
so :func:`load_audio` is exactly the concatenation of :func:`stream_audio` chunks.

Video and images come out as RGB uint8 ``(H, W, 3)``: :func:`iter_video_frames` streams the first
video stream (optionally resampled to a constant rate), :func:`read_image` reads one picture.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf

SOUNDFILE_SUFFIXES = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".w64", ".rf64"})
SOUNDFILE_BLOCK_FRAMES = 32768  # source frames per soundfile read: bounds memory while streaming
SALVAGE_BLOCK_FRAMES = 1024  # after a read error, re-read in small blocks to keep what decodes
SPAN_MARGIN_S = 0.02  # resampler context decoded around a span (covers FFmpeg's filter length)

# What the decoding libraries raise; each is turned into a MediaError or a warning at the boundary.
_LIB_ERRORS = (av.error.FFmpegError, sf.SoundFileError, OSError, ValueError, RuntimeError, EOFError)
_INT_SCALE = {np.dtype(np.int16): 2.0**15, np.dtype(np.int32): 2.0**31, np.dtype(np.int64): 2.0**63}


class MediaError(Exception):
    """A user media file cannot be used; the message is one line naming the file."""


class MediaWarning(UserWarning):
    """A user media file was only partly decodable (e.g. truncated); the message names the file."""


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe` learns about a file without decoding it."""

    path: str
    has_audio: bool
    has_video: bool
    duration_s: float | None
    sample_rate: int | None = None
    channels: int | None = None
    audio_codec: str | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None


@dataclass(frozen=True)
class _Source:
    """A validated audio source: which backend reads it and what its header declares."""

    path: str
    backend: str  # "soundfile" or "av"
    sample_rate: int
    channels: int
    duration_s: float | None
    declared_frames: int | None  # audio frames the header promises, for the truncation check


# ---------------------------------------------------------------------------------------------- public


def probe(path: str | os.PathLike) -> MediaInfo:
    """Streams, duration, audio rate/channels and video fps/size of a media file."""
    name = _check_file(path)
    try:
        with av.open(name) as container:
            return _probe_container(name, container)
    except _LIB_ERRORS as exc:
        av_reason = _reason(exc)
    try:
        info = sf.info(name)
    except _LIB_ERRORS:
        raise MediaError(f"{name}: not a media file, corrupt or truncated ({av_reason})") from None
    return MediaInfo(
        path=name,
        has_audio=True,
        has_video=False,
        duration_s=info.frames / info.samplerate if info.samplerate else None,
        sample_rate=int(info.samplerate),
        channels=int(info.channels),
        audio_codec=str(info.subtype),
    )


def load_audio(
    path: str | os.PathLike,
    sample_rate: int,
    start_s: float | None = None,
    end_s: float | None = None,
) -> np.ndarray:
    """The whole file (or ``[start_s, end_s)``) as float32 ``(1, n)`` mono at ``sample_rate``."""
    pieces = list(_mono_pipeline(_open_source(path), sample_rate, start_s, end_s))
    return np.concatenate(pieces)[None, :]


def stream_audio(
    path: str | os.PathLike,
    sample_rate: int,
    chunk_samples: int,
    start_s: float | None = None,
    end_s: float | None = None,
) -> Iterator[np.ndarray]:
    """Float32 ``(1, chunk_samples)`` mono chunks at ``sample_rate``; the last may be shorter.

    Memory stays bounded whatever the file length. The file is validated now (a bad file raises
    here, not at the first ``next``); decoding happens lazily.
    """
    if int(chunk_samples) <= 0:
        raise ValueError(f"chunk_samples must be > 0, got {chunk_samples}")
    source = _open_source(path)
    _check_span(source, start_s, end_s)
    return _rechunk(_mono_pipeline(source, sample_rate, start_s, end_s), int(chunk_samples))


# ------------------------------------------------------------------------------------------- opening


def _check_file(path: str | os.PathLike) -> str:
    name = os.fspath(path)
    p = Path(name)
    if not p.exists():
        raise MediaError(f"{name}: no such file")
    if p.is_dir():
        raise MediaError(f"{name}: is a directory, not a media file")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise MediaError(f"{name}: cannot be read ({_reason(exc)})") from None
    if size == 0:
        raise MediaError(f"{name}: empty file (0 bytes)")
    return name


def _reason(exc: BaseException) -> str:
    """A short single-line reason from a library exception."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split())
    return text[:200]


def _probe_container(name: str, container: av.container.InputContainer) -> MediaInfo:
    audio = container.streams.audio[0] if container.streams.audio else None
    video = container.streams.video[0] if container.streams.video else None
    duration_s = container.duration / av.time_base if container.duration else None
    if duration_s is None:
        for stream in (audio, video):
            if stream is not None and stream.duration and stream.time_base:
                duration_s = float(stream.duration * stream.time_base)
                break
    info = {
        "path": name,
        "has_audio": audio is not None,
        "has_video": video is not None,
        "duration_s": duration_s,
    }
    if audio is not None:
        ctx = audio.codec_context
        info.update(
            sample_rate=int(ctx.sample_rate), channels=int(ctx.layout.nb_channels), audio_codec=ctx.name
        )
    if video is not None:
        rate = video.average_rate or video.guessed_rate or video.base_rate
        ctx = video.codec_context
        info.update(
            fps=float(rate) if rate else None, width=ctx.width, height=ctx.height, video_codec=ctx.name
        )
    return MediaInfo(**info)


def _open_source(path: str | os.PathLike) -> _Source:
    """Pick the backend and validate the file; raises MediaError with the reason."""
    name = _check_file(path)
    sf_reason = None
    if Path(name).suffix.lower() in SOUNDFILE_SUFFIXES:
        try:
            info = sf.info(name)
        except _LIB_ERRORS as exc:
            sf_reason = _reason(exc)
        else:
            if info.frames > 0 and info.samplerate > 0:
                return _Source(
                    path=name,
                    backend="soundfile",
                    sample_rate=int(info.samplerate),
                    channels=int(info.channels),
                    duration_s=info.frames / info.samplerate,
                    declared_frames=int(info.frames),
                )
            sf_reason = "no audio frames"
    try:
        with av.open(name) as container:
            media = _probe_container(name, container)
            stream = container.streams.audio[0] if media.has_audio else None
            declared = None
            if stream is not None and stream.duration and stream.time_base and media.sample_rate:
                declared = int(round(float(stream.duration * stream.time_base) * media.sample_rate))
    except _LIB_ERRORS as exc:
        reason = _reason(exc)
        if sf_reason is not None:
            reason = f"soundfile: {sf_reason}; ffmpeg: {reason}"
        raise MediaError(f"{name}: not a media file, corrupt or truncated ({reason})") from None
    if not media.has_audio:
        what = "a video-only file" if media.has_video else "no streams"
        raise MediaError(f"{name}: no audio stream ({what})")
    if not media.sample_rate or not media.channels:
        raise MediaError(f"{name}: audio stream has no sample rate or channel count")
    return _Source(
        path=name,
        backend="av",
        sample_rate=media.sample_rate,
        channels=media.channels,
        duration_s=media.duration_s,
        declared_frames=declared,
    )


def _check_span(source: _Source, start_s: float | None, end_s: float | None) -> None:
    if start_s is None and end_s is None:
        return
    span = f"[{start_s}, {end_s}) s"
    start = 0.0 if start_s is None else float(start_s)
    if not math.isfinite(start) or start < 0:
        raise MediaError(f"{source.path}: invalid span {span}: start must be a finite time >= 0")
    if end_s is not None and not float(end_s) > start:
        raise MediaError(f"{source.path}: invalid span {span}: end must be after start")
    if source.duration_s is not None and start >= source.duration_s:
        raise MediaError(
            f"{source.path}: invalid span {span}: starts at or after the end of the file "
            f"({source.duration_s:.3f} s)"
        )


# ------------------------------------------------------------------------------------------ decoding


def _warn(path: str, message: str) -> None:
    warnings.warn(f"{path}: {message}", MediaWarning, stacklevel=2)


def _read_blocks(source: _Source) -> Iterator[tuple[np.ndarray, int]]:
    """``(channels, n)`` float32 blocks at their native rate; warns if decoding stops early."""
    warned: list[bool] = []  # set by the backend when it already warned about damage
    if source.backend == "soundfile":
        blocks = _soundfile_blocks(source, warned)
    else:
        blocks = _av_blocks(source, warned)
    decoded = 0
    for block, rate in blocks:
        decoded += block.shape[1]
        yield block, rate
    declared = source.declared_frames
    if not warned and declared and decoded < declared - max(0.1 * source.sample_rate, 0.1 * declared):
        _warn(
            source.path,
            f"decoded {decoded / source.sample_rate:.3f} s of the declared "
            f"{declared / source.sample_rate:.3f} s (truncated?); using what was decodable",
        )


def _soundfile_blocks(source: _Source, warned: list[bool]) -> Iterator[tuple[np.ndarray, int]]:
    try:
        handle = sf.SoundFile(source.path)
    except _LIB_ERRORS as exc:
        raise MediaError(f"{source.path}: cannot be opened ({_reason(exc)})") from None
    with handle:
        if _wav_header_overstates(handle):
            warned.append(True)
            _warn(source.path, "header declares more audio than the file holds (truncated?)")
        block = SOUNDFILE_BLOCK_FRAMES
        while True:
            try:
                position = handle.tell()
                data = handle.read(block, dtype="float32", always_2d=True)
            except _LIB_ERRORS as exc:
                if block > SALVAGE_BLOCK_FRAMES and _try_seek(handle, position):
                    block = SALVAGE_BLOCK_FRAMES  # a failed read returns nothing: retry it in small steps
                    continue
                warned.append(True)
                _warn(source.path, f"decoding stopped early ({_reason(exc)}); using what was decodable")
                return
            if data.shape[0] == 0:
                return
            yield np.ascontiguousarray(data.T), source.sample_rate


def _try_seek(handle: sf.SoundFile, position: int) -> bool:
    try:
        handle.seek(position)
    except _LIB_ERRORS:
        return False
    return True


def _wav_header_overstates(handle: sf.SoundFile) -> bool:
    """libsndfile silently shortens a truncated WAV; its log notes ``data : N (should be M)``."""
    try:
        log = handle.extra_info
    except _LIB_ERRORS:
        return False
    return any(line.startswith("data") and "should be" in line for line in log.splitlines())


class _FrameDecoder:
    """Decoded frames of one stream. A damaged packet is skipped and decoding goes on; a broken
    demuxer ends the stream. ``bad_packets`` and ``first_error`` say what was lost."""

    def __init__(self, container: av.container.InputContainer, stream: av.stream.Stream) -> None:
        self.container, self.stream = container, stream
        self.bad_packets, self.first_error = 0, ""

    def _lost(self, exc: BaseException) -> None:
        self.bad_packets += 1
        self.first_error = self.first_error or _reason(exc)

    def __iter__(self) -> Iterator[av.frame.Frame]:
        packets = self.container.demux(self.stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except _LIB_ERRORS as exc:
                self._lost(exc)
                return
            try:
                frames = packet.decode()
            except _LIB_ERRORS as exc:
                self._lost(exc)
                continue
            yield from frames

    def skipped_message(self) -> str:
        return (
            f"{self.bad_packets} undecodable packet(s) skipped ({self.first_error}); using what was decodable"
        )


def _av_blocks(source: _Source, warned: list[bool]) -> Iterator[tuple[np.ndarray, int]]:
    try:
        container = av.open(source.path)
    except _LIB_ERRORS as exc:
        raise MediaError(f"{source.path}: cannot be opened ({_reason(exc)})") from None
    with container:
        stream = container.streams.audio[0]
        frames = _FrameDecoder(container, stream)
        for frame in frames:
            if frame.samples:
                yield _frame_to_float(frame), int(frame.sample_rate)
        if frames.bad_packets:
            warned.append(True)
            _warn(source.path, frames.skipped_message())


def _frame_to_float(frame: av.AudioFrame) -> np.ndarray:
    """Any PyAV sample format to float32 ``(channels, n)`` in [-1, 1]."""
    data = frame.to_ndarray()
    if not frame.format.is_planar:  # packed formats come back as (1, n * channels), interleaved
        data = data.reshape(-1, frame.layout.nb_channels).T
    if data.dtype == np.uint8:
        return (data.astype(np.float32) - 128.0) / 128.0
    if data.dtype in _INT_SCALE:
        return (data / _INT_SCALE[data.dtype]).astype(np.float32)
    return data.astype(np.float32, copy=False)


class _MonoResampler:
    """Streaming FFmpeg resampler for mono float blocks; restarts if the input rate changes."""

    def __init__(self, rate_out: int) -> None:
        self.rate_out = rate_out
        self.rate_in: int | None = None
        self._resampler: av.AudioResampler | None = None

    def push(self, mono: np.ndarray, rate_in: int) -> list[np.ndarray]:
        out = []
        if rate_in != self.rate_in:
            out = self.flush()
            self.rate_in = rate_in
            if rate_in != self.rate_out:
                self._resampler = av.AudioResampler(format="fltp", layout="mono", rate=self.rate_out)
        if self._resampler is None:
            return [*out, mono]
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(mono[None, :]), format="fltp", layout="mono")
        frame.sample_rate = rate_in
        return out + [f.to_ndarray()[0] for f in self._resampler.resample(frame)]

    def flush(self) -> list[np.ndarray]:
        if self._resampler is None:
            return []
        out = [f.to_ndarray()[0] for f in self._resampler.resample(None)]
        self._resampler = None
        return out


def _mono_pipeline(
    source: _Source, sample_rate: int, start_s: float | None, end_s: float | None
) -> Iterator[np.ndarray]:
    """1-D float32 mono pieces at ``sample_rate``, restricted to the span; raises if nothing decodes.

    A span is resampled from a little before its start (on a source sample that falls on the output
    grid) to a little after its end, so it equals the same slice of the whole file.
    """
    sample_rate = int(sample_rate)
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
    _check_span(source, start_s, end_s)
    start = 0.0 if start_s is None else float(start_s)
    end = math.inf if end_s is None else float(end_s)
    out_lo = round(start * sample_rate)
    out_hi = math.inf if end_s is None else round(end * sample_rate)
    resampler = _MonoResampler(sample_rate)
    out_index: int | None = None  # output-grid index of the next resampled sample
    emitted, pos, rate_now = 0, 0, None
    feed_lo, feed_hi = 0, math.inf

    def emit(pieces: list[np.ndarray]) -> Iterator[np.ndarray]:
        nonlocal out_index, emitted
        for piece in pieces:
            lo, hi = max(0, out_lo - out_index), min(piece.size, out_hi - out_index)
            out_index += piece.size
            if hi > lo:
                emitted += hi - lo
                yield np.clip(piece[lo:hi], -1.0, 1.0).astype(np.float32, copy=False)

    for block, rate in _read_blocks(source):
        if rate != rate_now:  # first block, or the stream changed rate: re-plan in the new rate
            pos = pos if rate_now is None else round(pos * rate / rate_now)
            rate_now = rate
            step = rate // math.gcd(rate, sample_rate)
            feed_lo = max(0, math.floor((start - SPAN_MARGIN_S) * rate / step) * step)
            feed_hi = math.inf if end_s is None else math.ceil((end + SPAN_MARGIN_S) * rate)
        n = block.shape[1]
        i0, i1 = min(n, max(0, feed_lo - pos)), min(n, max(0, feed_hi - pos))
        if i1 > i0:
            if out_index is None:
                out_index = (pos + i0) * sample_rate // rate
            mono = block[:, i0:i1].mean(axis=0, dtype=np.float32)
            yield from emit(resampler.push(mono, rate))
        pos += n
        if pos >= feed_hi:
            break
    if out_index is not None:
        yield from emit(resampler.flush())
    if emitted == 0:
        if rate_now is None:
            raise MediaError(f"{source.path}: no audio samples could be decoded")
        raise MediaError(f"{source.path}: span [{start_s}, {end_s}) s holds no audio")


def _rechunk(pieces: Iterator[np.ndarray], chunk_samples: int) -> Iterator[np.ndarray]:
    buffer = np.empty(chunk_samples, dtype=np.float32)
    filled = 0
    for piece in pieces:
        while piece.size:
            take = min(chunk_samples - filled, piece.size)
            buffer[filled : filled + take] = piece[:take]
            filled += take
            piece = piece[take:]
            if filled == chunk_samples:
                yield buffer[None, :].copy()
                filled = 0
    if filled:
        yield buffer[None, :filled].copy()


# --------------------------------------------------------------------------------------------- video
#
# Frames come out as RGB uint8 ``(H, W, 3)``, C-contiguous, whatever the source pixel format
# (8/10/12-bit YUV, gray, RGB, with or without alpha: alpha is dropped). Conversion goes through
# FFmpeg's swscale (``VideoFrame.to_ndarray(format="rgb24")``). The display-matrix rotation of
# phone videos is not applied: frames come out as stored.

VIDEO_TRUNCATION_SLACK = 0.05  # fewer decoded frames than declared by more than this fraction warns
_TIME_EPS_S = 1e-6  # timestamps closer than this count as equal when sampling at a fixed rate


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`video_info` learns about the first video stream without decoding it."""

    path: str
    width: int
    height: int
    fps: float | None  # average rate when the container knows it, else the codec's guess
    frame_count: int | None  # declared by the container, else estimated from duration * fps
    duration_s: float | None
    pix_fmt: str | None
    codec: str | None


def video_info(path: str | os.PathLike) -> VideoInfo:
    """Size, rate, frame count (declared or estimated), pixel format and codec of the first video stream."""
    name = _check_file(path)
    try:
        with av.open(name) as container:
            return _video_info(name, container)
    except _LIB_ERRORS as exc:
        raise MediaError(f"{name}: not a media file, corrupt or truncated ({_reason(exc)})") from None


def iter_video_frames(
    path: str | os.PathLike, fps: float | None = None, max_frames: int | None = None
) -> Iterator[tuple[float, np.ndarray]]:
    """``(timestamp_s, rgb)`` for the frames of the first video stream, RGB uint8 ``(H, W, 3)``.

    Without ``fps`` every decoded frame comes out with its own presentation time. With ``fps`` the
    output is a constant-rate sequence: sampling times ``t0 + k / fps`` (``t0`` the first frame's
    time) each get the latest frame at or before them, which holds for variable-frame-rate files
    too (a frame may repeat or be skipped); the timestamp yielded is the sampling time. At most
    ``max_frames`` frames come out. The file is validated now (a bad file raises MediaError here);
    decoding is lazy. A damaged or truncated file yields what decodes, then warns (MediaWarning).
    """
    if fps is not None and not (math.isfinite(float(fps)) and float(fps) > 0):
        raise ValueError(f"fps must be a finite number > 0, got {fps}")
    if max_frames is not None and int(max_frames) < 0:
        raise ValueError(f"max_frames must be >= 0, got {max_frames}")
    info = video_info(path)
    frames = _timed_frames(info)
    if fps is not None:
        frames = _sample_at_rate(frames, float(fps), info)
    return _rgb_frames(frames, None if max_frames is None else int(max_frames))


def read_image(path: str | os.PathLike) -> np.ndarray:
    """An image file (png/jpg/bmp/tiff/webp...) as RGB uint8 ``(H, W, 3)``.

    Gray is replicated to three channels, alpha is dropped, 16-bit and float images are scaled to
    8 bits, EXIF orientation is applied. OpenCV reads it; what OpenCV cannot read goes through PyAV.
    """
    import cv2  # only images need OpenCV; audio users skip its import time

    name = _check_file(path)
    try:
        data = np.fromfile(name, dtype=np.uint8)  # not cv2.imread: it fails on non-ASCII paths
        image = cv2.imdecode(data, cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH)
    except (cv2.error, OSError, ValueError) as exc:
        raise MediaError(f"{name}: cannot be read ({_reason(exc)})") from None
    if image is not None:
        return _image_to_rgb8(name, image)
    try:
        with av.open(name) as container:
            if not container.streams.video:
                raise MediaError(f"{name}: not an image (no picture stream)")
            for frame in container.decode(video=0):
                return np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
    except _LIB_ERRORS as exc:
        raise MediaError(f"{name}: not a readable image ({_reason(exc)})") from None
    raise MediaError(f"{name}: not a readable image (no picture decoded)")


def _image_to_rgb8(name: str, image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4) or image.size == 0:
        raise MediaError(f"{name}: unsupported image layout {image.shape}")
    if image.dtype == np.uint16:
        image = ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif image.dtype.kind == "f":
        image = np.round(np.clip(np.nan_to_num(image), 0.0, 1.0) * 255.0).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise MediaError(f"{name}: unsupported image sample type {image.dtype}")
    channels = image.shape[2]
    if channels <= 2:  # gray, or gray + alpha
        rgb = np.repeat(image[:, :, :1], 3, axis=2)
    else:  # OpenCV's channel order is BGR(A)
        rgb = image[:, :, 2::-1]
    return np.ascontiguousarray(rgb)


def _video_info(name: str, container: av.container.InputContainer) -> VideoInfo:
    if not container.streams.video:
        what = "an audio-only file" if container.streams.audio else "no streams"
        raise MediaError(f"{name}: no video stream ({what})")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    if not ctx.width or not ctx.height:
        raise MediaError(f"{name}: video stream has no frame size (corrupt header?)")
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    fps = float(rate) if rate else None
    duration_s = None
    if stream.duration and stream.time_base:
        duration_s = float(stream.duration * stream.time_base)
    elif container.duration:
        duration_s = container.duration / av.time_base
    frame_count = int(stream.frames) if stream.frames else None
    if frame_count is None and duration_s and fps:
        frame_count = max(1, round(duration_s * fps))
    pix_fmt = ctx.format.name if ctx.format is not None else None
    return VideoInfo(
        path=name,
        width=int(ctx.width),
        height=int(ctx.height),
        fps=fps,
        frame_count=frame_count,
        duration_s=duration_s,
        pix_fmt=pix_fmt,
        codec=ctx.name,
    )


def _timed_frames(info: VideoInfo) -> Iterator[tuple[float, av.VideoFrame, float | None]]:
    """``(time_s, frame, duration_s)`` in presentation order; warns at the end if damaged or short.

    Times never go backwards (a damaged file's stray timestamp is clamped to the previous one); a
    frame without a timestamp gets the previous one plus a frame period.
    """
    name = info.path
    try:
        container = av.open(name)
    except _LIB_ERRORS as exc:
        raise MediaError(f"{name}: cannot be opened ({_reason(exc)})") from None
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        period = 1.0 / info.fps if info.fps else None
        declared = int(stream.frames) if stream.frames else None  # as the header says, not estimated
        declared_s = _declared_video_seconds(container, stream)
        last_duration: float | None = None
        decoded = 0
        last_time: float | None = None
        frames = _FrameDecoder(container, stream)
        for frame in frames:
            t = frame.time
            if t is None:
                t = 0.0 if last_time is None else last_time + (period or 0.0)
            if last_time is not None and t < last_time:
                t = last_time
            last_time = t
            duration = None
            if frame.duration and frame.time_base:
                duration = float(frame.duration * frame.time_base)
            decoded, last_duration = decoded + 1, duration
            yield t, frame, duration
    if decoded == 0:
        reason = f" ({frames.first_error})" if frames.first_error else ""
        raise MediaError(f"{name}: no video frames could be decoded{reason}")
    if frames.bad_packets:
        _warn(name, frames.skipped_message())
    elif declared and decoded < declared * (1 - VIDEO_TRUNCATION_SLACK) - 1:
        _warn(name, f"decoded {decoded} of the declared {declared} frames; using what was decodable")
    elif not declared and declared_s and last_time is not None:
        covered = last_time + (last_duration or period or 0.0)
        if covered < declared_s * (1 - VIDEO_TRUNCATION_SLACK) - (period or 0.0):
            _warn(
                name, f"decoded {covered:.3f} s of the declared {declared_s:.3f} s; using what was decodable"
            )


def _declared_video_seconds(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float | None:
    """The video stream's own declared duration: its header, Matroska's per-track DURATION tag, or the
    container's duration when the video is the only stream (with audio it may be the audio's)."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")
    if tag:
        try:
            hours, minutes, seconds = tag.split(":")
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        except ValueError:
            pass
    if container.duration and len(container.streams) == 1:
        return container.duration / av.time_base
    return None


def _sample_at_rate(
    frames: Iterator[tuple[float, av.VideoFrame, float | None]], fps: float, info: VideoInfo
) -> Iterator[tuple[float, av.VideoFrame, float | None]]:
    """The latest frame at or before each time ``t0 + k / fps``; the yielded time is the sampling time."""
    origin: float | None = None
    held: tuple[float, av.VideoFrame, float | None] | None = None
    prev_time: float | None = None
    last_gap: float | None = None
    k = 0
    for t, frame, duration in frames:
        if origin is None:
            origin = t
        while held is not None and origin + k / fps < t - _TIME_EPS_S:
            yield origin + k / fps, held[1], None
            k += 1
        if prev_time is not None and t > prev_time:
            last_gap = t - prev_time
        prev_time = t
        held = (t, frame, duration)
    if held is None or origin is None:
        return
    # The last frame lasts its own duration, else the stream's frame period, else the last gap.
    tail = held[2] or (1.0 / info.fps if info.fps else None) or last_gap or 1.0 / fps
    end = held[0] + tail
    while origin + k / fps < end - _TIME_EPS_S:
        yield origin + k / fps, held[1], None
        k += 1


def _rgb_frames(
    frames: Iterator[tuple[float, av.VideoFrame, float | None]], max_frames: int | None
) -> Iterator[tuple[float, np.ndarray]]:
    if max_frames == 0:
        return
    for emitted, (t, frame, _) in enumerate(frames, start=1):
        yield float(t), np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
        if max_frames is not None and emitted >= max_frames:
            return
