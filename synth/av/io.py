"""Picture and sound of one file on one timeline, and MP4 clips with genuine container-level A/V offsets.

Timeline. Both streams carry presentation timestamps; :func:`load_av_clip` puts them on one
timeline whose 0 is the earlier of the two streams' first timestamps as the container declares them
(``AVStream.start_time``). A stream that starts later is preceded by silence (audio) or black frames
(video), as a player would render it: audio delayed by 0.2 s in the container comes out as 0.2 s of
zeros before the sound. Nothing is aligned by content.

Sampling. Video is resampled to a constant ``fps`` by timestamp: frame ``k`` of a clip starting at
``start_s`` shows the latest decoded frame whose time is at or before ``start_s + k / fps`` (the rule
of :func:`synth.media.iter_video_frames`, here on the shared timeline), which handles variable
frame rates and odd rates (23.976, 29.97, 50, 60) alike; a frame lasts its own duration, so grid
times past the end of the video are black. Audio frames are placed at their timestamps on the
source rate's sample grid (gaps are zeros), downmixed by mean and resampled with the FFmpeg
resampler of :mod:`synth.media`, from an aligned point a little before the window so a window equals
the same slice of the whole file. A window starting later than ``SEEK_MIN_START_S`` is decoded from a
seek ``SEEK_MARGIN_S`` before it; if the demuxer lands after the window's start (it should not), the
file is decoded from the beginning instead. Memory holds the window, not the file.

Writing. :func:`write_av_clip` encodes H.264 (yuv420p) + AAC into MP4 and delays a stream by adding
to its packets' pts/dts: the samples are untouched, the container says when they play. The MP4
muxer writes a positive start as an empty edit; its movie timescale is set to the sample rate
(FFmpeg's default of 1000 rounds a delay down to whole milliseconds).

PyAV/FFmpeg timestamp facts this relies on: the AAC encoder's first packet has pts -1024 (encoder
priming); without a delay the MP4 edit list hides it and the audio starts at 0, but with a delay
``d`` the stream declares its start at ``d - 1024 / rate`` (the priming frame decodes to a near-silent
frame) while the sound itself starts exactly at ``d``. AAC decoding also runs up to a frame past the
real end, so stream ends are taken from the header where it gives them.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from synth.media import (
    _LIB_ERRORS,
    _TIME_EPS_S,
    SPAN_MARGIN_S,
    MediaError,
    MediaWarning,
    _check_file,
    _frame_to_float,
    _FrameDecoder,
    _MonoResampler,
    _reason,
)

X264_PRESET = "veryfast"
VIDEO_TIME_BASE = Fraction(1, 90000)  # time base of written video packets: delays exact to 11 us
AAC_BLOCK = 1024  # samples per AAC frame
AAC_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
SEEK_MIN_START_S = 1.5  # windows starting later than this are decoded from a seek ...
SEEK_MARGIN_S = 1.0  # ... this far before their start (room for the resampler and the AAC overlap)
TRUNCATION_SLACK_S = 0.1  # a stream decoding this much short of its declared end warns


class _SeekMiss(Exception):
    """Decoding after a seek started later than the window; decode from the beginning instead."""


@dataclass(frozen=True)
class AVInfo:
    """What the header says about the first video and first audio stream; times in file seconds."""

    path: str
    width: int
    height: int
    fps: float | None  # float(frame_rate)
    frame_rate: (
        Fraction | None
    )  # nominal rate (exact, e.g. 30000/1001) if it matches the average, else average
    sample_rate: int
    channels: int
    video_start_s: float  # first presentation time of each stream (0 when the container does not say)
    audio_start_s: float
    video_end_s: float | None  # start + declared duration (the container's end if the stream has none)
    audio_end_s: float | None

    @property
    def origin_s(self) -> float:
        """File time of timeline 0: the earlier stream start."""
        return min(self.video_start_s, self.audio_start_s)

    @property
    def duration_s(self) -> float | None:
        """Timeline length: to the later of the two declared ends."""
        ends = [e for e in (self.video_end_s, self.audio_end_s) if e is not None]
        return max(ends) - self.origin_s if ends else None


@dataclass
class AVClip:
    """A window of a file on its shared timeline (see the module doc)."""

    frames: np.ndarray  # (T, H, W, 3) uint8 RGB; frame k shows timeline time start_s + k / fps
    audio: np.ndarray  # (N,) float32 mono in [-1, 1]; sample i plays at start_s + i / sample_rate
    fps: float
    sample_rate: int
    start_s: float  # timeline time of frame 0 and sample 0 (timeline 0 = the earlier stream start)
    source_fps: float | None  # the file's own video rate
    audio_start_s: float  # first presentation time of each stream as the file declares it (file seconds)
    video_start_s: float
    path: str


# --------------------------------------------------------------------------------------------- probe


def probe_av(path: str | os.PathLike) -> AVInfo:
    """Header facts of a file with both picture and sound; MediaError (naming the file) otherwise."""
    name = _check_file(path)
    try:
        with av.open(name) as container:
            return _probe(name, container)
    except _LIB_ERRORS as exc:
        raise MediaError(f"{name}: not a media file, corrupt or truncated ({_reason(exc)})") from None


def _probe(name: str, container: av.container.InputContainer) -> AVInfo:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    if video is None and audio is None:
        raise MediaError(f"{name}: no audio or video stream")
    if audio is None:
        raise MediaError(f"{name}: no audio stream (lip sync needs sound)")
    if video is None:
        raise MediaError(f"{name}: no video stream (an audio-only file; lip sync needs a picture)")
    vctx, actx = video.codec_context, audio.codec_context
    if not vctx.width or not vctx.height:
        raise MediaError(f"{name}: video stream has no frame size (corrupt header?)")
    if not actx.sample_rate or not actx.layout.nb_channels:
        raise MediaError(f"{name}: audio stream has no sample rate or channel count")
    rate = _nominal_rate(video)
    container_end = None
    if container.duration:
        container_end = ((container.start_time or 0) + container.duration) / av.time_base
    video_start, audio_start = _stream_start(video), _stream_start(audio)
    return AVInfo(
        path=name,
        width=int(vctx.width),
        height=int(vctx.height),
        fps=float(rate) if rate else None,
        frame_rate=rate,
        sample_rate=int(actx.sample_rate),
        channels=int(actx.layout.nb_channels),
        video_start_s=video_start,
        audio_start_s=audio_start,
        video_end_s=_stream_end(video, video_start, container_end),
        audio_end_s=_stream_end(audio, audio_start, container_end),
    )


def _nominal_rate(video: av.video.stream.VideoStream) -> Fraction | None:
    """The stream's exact nominal rate when the average rate agrees with it (within 1 %), else the average:
    the average of a constant-rate stream is frames / duration, slightly off (23.9759 for 24000/1001)."""
    average, nominal = video.average_rate, video.base_rate or video.guessed_rate
    if average and nominal and abs(float(nominal / average) - 1.0) < 0.01:
        return Fraction(nominal)
    rate = average or nominal
    return Fraction(rate) if rate else None


def _stream_start(stream: av.stream.Stream) -> float:
    if stream.start_time is None or not stream.time_base:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _stream_end(stream: av.stream.Stream, start: float, container_end: float | None) -> float | None:
    if stream.duration and stream.time_base:
        return start + float(stream.duration * stream.time_base)
    return container_end


# ---------------------------------------------------------------------------------------------- load


def load_av_clip(
    path: str | os.PathLike,
    start_s: float = 0.0,
    duration_s: float | None = 4.0,
    fps: float = 25.0,
    sample_rate: int = 16000,
) -> AVClip:
    """Timeline span ``[start_s, start_s + duration_s)``: frames at ``fps``, mono audio at ``sample_rate``.

    With ``duration_s`` the clip always has ``ceil(duration_s * fps)`` frames and
    ``round((start_s + duration_s) * sample_rate) - round(start_s * sample_rate)`` samples, black
    and silent where a stream has nothing. ``duration_s=None`` runs to the end of the LONGER stream
    (the declared end, or the decoded one if decoding stopped early), padding the shorter one.
    Raises MediaError (one line naming the file) for a missing, empty, corrupt or truncated-beyond-
    use file, one without sound or picture, and a ``start_s`` at or after the end; a damaged file
    that partly decodes gives what decodes, with a MediaWarning.
    """
    start_s, fps, sample_rate = float(start_s), float(fps), int(sample_rate)
    if not (math.isfinite(start_s) and start_s >= 0):
        raise ValueError(f"start_s must be a finite time >= 0, got {start_s}")
    if duration_s is not None:
        duration_s = float(duration_s)
        if not (math.isfinite(duration_s) and duration_s > 0):
            raise ValueError(f"duration_s must be a finite time > 0 or None, got {duration_s}")
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a finite number > 0, got {fps}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be > 0, got {sample_rate}")
    info = probe_av(path)
    length = info.duration_s
    if length is not None and start_s >= length - _TIME_EPS_S:
        raise MediaError(
            f"{info.path}: start_s={start_s:g} s is at or after the end of the file ({length:.3f} s)"
        )
    window_end = None if duration_s is None else start_s + duration_s
    decoded = None
    if start_s > SEEK_MIN_START_S:
        try:
            decoded = _decode(info, start_s, window_end, fps, sample_rate, seek=True)
        except _SeekMiss:
            decoded = None
    if decoded is None:
        decoded = _decode(info, start_s, window_end, fps, sample_rate, seek=False)
    video, audio, reached_eof = decoded
    if reached_eof:
        _check_content(info, video, audio, start_s)
    end_s = window_end if window_end is not None else _content_end(info, video, audio)
    num_samples = round(end_s * sample_rate) - round(start_s * sample_rate)
    return AVClip(
        frames=video.frames(_grid_count(end_s - start_s, fps)),
        audio=audio.render(start_s, num_samples, sample_rate),
        fps=fps,
        sample_rate=sample_rate,
        start_s=start_s,
        source_fps=info.fps,
        audio_start_s=info.audio_start_s,
        video_start_s=info.video_start_s,
        path=info.path,
    )


def _grid_count(span_s: float, fps: float) -> int:
    """Grid times ``k / fps`` strictly inside ``[0, span_s)`` (up to the timestamp tolerance)."""
    return max(0, math.ceil(span_s * fps - _TIME_EPS_S * fps))


class _VideoGrid:
    """The latest frame at or before each timeline time ``start_s + k / fps``; None (black) before the
    first frame and after the last frame's end. Frames are converted to RGB only when picked."""

    def __init__(
        self, start_s: float, fps: float, count: int | None, period_s: float | None, size: tuple[int, int]
    ) -> None:
        self.start_s, self.fps, self.count, self.period_s = start_s, fps, count, period_s
        self.width, self.height = size
        self.picks: list[np.ndarray | None] = []
        self.first_time: float | None = None  # timeline time of the first decoded frame
        self.end_s: float | None = None  # timeline end of the last frame, once decoding is over
        self._held: tuple[float, av.VideoFrame, float | None] | None = None
        self._held_rgb: np.ndarray | None = None
        self._last_gap: float | None = None

    @property
    def done(self) -> bool:
        return self.count is not None and len(self.picks) >= self.count

    def _time(self, k: int) -> float:
        return self.start_s + k / self.fps

    def push(self, t: float | None, frame: av.VideoFrame, duration: float | None) -> None:
        held_t = None if self._held is None else self._held[0]
        if t is None:  # no timestamp: one frame period after the previous frame
            t = 0.0 if held_t is None else held_t + (self.period_s or 1.0 / self.fps)
        if held_t is not None and t < held_t:  # a stray timestamp never moves time backwards
            t = held_t
        if self.first_time is None:
            self.first_time = t
            self.width, self.height = frame.width, frame.height  # later frames are scaled to this size
        while not self.done and self._time(len(self.picks)) < t - _TIME_EPS_S:
            self.picks.append(self._held_picture())
        if held_t is not None and t > held_t:
            self._last_gap = t - held_t
        self._held, self._held_rgb = (t, frame, duration), None

    def finish(self) -> None:
        """After the last frame: it lasts its own duration, else the stream's frame period."""
        if self._held is None:
            return
        t, _, duration = self._held
        self.end_s = t + (duration or self.period_s or self._last_gap or 1.0 / self.fps)
        while not self.done and self._time(len(self.picks)) < self.end_s - _TIME_EPS_S:
            self.picks.append(self._held_picture())

    def _held_picture(self) -> np.ndarray | None:
        if self._held is None:
            return None
        if self._held_rgb is None:
            rgb = self._held[1].to_ndarray(format="rgb24", width=self.width, height=self.height)
            self._held_rgb = np.ascontiguousarray(rgb)
        return self._held_rgb

    def frames(self, count: int) -> np.ndarray:
        out = np.zeros((count, self.height, self.width, 3), dtype=np.uint8)
        for k, picture in enumerate(self.picks[:count]):
            if picture is not None:
                out[k] = picture
        return out


class _AudioWindow:
    """Mono samples placed by timestamp on the source rate's grid; only those near the window are kept.

    Indices count samples of the source rate (that of the first decoded frame, which for HE-AAC is
    not the header's) from timeline 0. The kept span starts on a source sample that falls on the
    output grid, so resampling it lines up with resampling the whole file.
    """

    def __init__(self, start_s: float, end_s: float | None, sample_rate: int) -> None:
        self.start_s, self.end_s_wanted, self.sample_rate = start_s, end_s, sample_rate
        self.rate = 0  # set by the first frame, with lo and hi
        self.lo, self.hi = 0, None
        self.pieces: list[tuple[int, np.ndarray]] = []
        self.first_index: int | None = None
        self.next_index: int | None = None
        self.end_index: int | None = None  # one past the last decoded sample

    def _plan(self, rate: int) -> None:
        self.rate = rate
        step = rate // math.gcd(rate, self.sample_rate)
        self.lo = math.floor((self.start_s - SPAN_MARGIN_S) * rate / step) * step
        if self.end_s_wanted is not None:
            self.hi = math.ceil((self.end_s_wanted + SPAN_MARGIN_S) * rate)

    @property
    def done(self) -> bool:
        return self.hi is not None and self.next_index is not None and self.next_index >= self.hi

    @property
    def end_s(self) -> float | None:
        return None if self.end_index is None else self.end_index / self.rate

    def push(self, t: float | None, frame: av.AudioFrame) -> None:
        mono = _frame_to_float(frame).mean(axis=0, dtype=np.float32)
        if not self.rate:
            self._plan(int(frame.sample_rate))
        elif int(frame.sample_rate) != self.rate:  # the stream changed rate mid-way: bring it back
            resampler = _MonoResampler(self.rate)
            mono = np.concatenate([*resampler.push(mono, int(frame.sample_rate)), *resampler.flush()])
        index = round(t * self.rate) if t is not None else (self.next_index or 0)
        if self.first_index is None:
            self.first_index = index
        self.next_index = index + mono.size
        self.end_index = max(self.end_index or 0, self.next_index)
        a = max(index, self.lo)
        b = self.next_index if self.hi is None else min(self.next_index, self.hi)
        if b > a:
            self.pieces.append((a, mono[a - index : b - index]))

    def render(self, start_s: float, count: int, sample_rate: int) -> np.ndarray:
        """``count`` samples at ``sample_rate`` from timeline time ``start_s``; zeros where none decoded."""
        hi = math.ceil((start_s + count / sample_rate + SPAN_MARGIN_S) * self.rate)
        buffer = np.zeros(max(0, hi - self.lo), dtype=np.float32)
        for a, piece in self.pieces:  # later frames overwrite earlier ones where timestamps overlap
            piece = piece[: max(0, buffer.size - (a - self.lo))]
            buffer[a - self.lo : a - self.lo + piece.size] = piece
        if self.rate == sample_rate:
            resampled, out_lo = buffer, self.lo
        else:
            resampler = _MonoResampler(sample_rate)
            parts = [*resampler.push(buffer, self.rate), *resampler.flush()] if buffer.size else []
            resampled = np.concatenate(parts) if parts else np.zeros(0, np.float32)
            out_lo = self.lo * sample_rate // self.rate  # exact: lo is a multiple of the grid step
        first = round(start_s * sample_rate) - out_lo
        out = np.zeros(count, dtype=np.float32)
        piece = resampled[first : first + count]
        out[: piece.size] = piece
        return np.clip(out, -1.0, 1.0)


def _decode(
    info: AVInfo, start_s: float, end_s: float | None, fps: float, sample_rate: int, seek: bool
) -> tuple[_VideoGrid, _AudioWindow, bool]:
    """Decode both streams through the window: ``(video, audio, reached_eof)``."""
    name, origin = info.path, info.origin_s
    count = None if end_s is None else _grid_count(end_s - start_s, fps)
    try:
        container = av.open(name)
    except _LIB_ERRORS as exc:
        raise MediaError(f"{name}: cannot be opened ({_reason(exc)})") from None
    with container:
        vstream, astream = container.streams.video[0], container.streams.audio[0]
        vstream.thread_type = "AUTO"
        period = 1.0 / info.fps if info.fps else None
        video = _VideoGrid(start_s, fps, count, period, (info.width, info.height))
        audio = _AudioWindow(start_s, end_s, sample_rate)
        video_from = max(start_s, info.video_start_s - origin) + _TIME_EPS_S  # first frame no later than this
        audio_from = max(start_s - 2 * SPAN_MARGIN_S, info.audio_start_s - origin) + _TIME_EPS_S
        if seek:
            try:
                container.seek(int((origin + start_s - SEEK_MARGIN_S) * av.time_base), backward=True)
            except _LIB_ERRORS:
                raise _SeekMiss from None
        decoder = _FrameDecoder(container, [vstream, astream])  # demux() takes a list of streams too
        reached_eof = True
        for frame in decoder:
            t = None if frame.time is None else frame.time - origin
            if isinstance(frame, av.VideoFrame):
                if seek and video.first_time is None and t is not None and t > video_from:
                    raise _SeekMiss
                duration = (
                    float(frame.duration * frame.time_base) if frame.duration and frame.time_base else None
                )
                video.push(t, frame, duration)
            elif frame.samples:
                if seek and audio.first_index is None and t is not None and t > audio_from:
                    raise _SeekMiss
                audio.push(t, frame)
            if video.done and audio.done:
                reached_eof = False
                break
        video.finish()
    if seek and (video.first_time is None or audio.first_index is None):
        raise _SeekMiss  # nothing after the seek point: let a full decode tell an empty window from a miss
    reason = f" ({decoder.first_error})" if decoder.first_error else ""
    if video.first_time is None:
        raise MediaError(f"{name}: no video frames could be decoded{reason}")
    if audio.first_index is None:
        raise MediaError(f"{name}: no audio samples could be decoded{reason}")
    if decoder.bad_packets:
        warnings.warn(f"{name}: {decoder.skipped_message()}", MediaWarning, stacklevel=3)
    if reached_eof:
        for what, decoded_end, declared_end in (
            ("video", video.end_s, info.video_end_s),
            ("audio", audio.end_s, info.audio_end_s),
        ):
            if decoded_end is not None and declared_end is not None:
                decoded_end += origin
                if decoded_end < declared_end - TRUNCATION_SLACK_S:
                    warnings.warn(
                        f"{name}: {what} decodes to {decoded_end:.3f} s of the declared {declared_end:.3f} s "
                        "(truncated?); using what decodes",
                        MediaWarning,
                        stacklevel=3,
                    )
    return video, audio, reached_eof


def _content_end(info: AVInfo, video: _VideoGrid, audio: _AudioWindow) -> float:
    """Timeline end of the longer stream; a stream ends where it is declared to, or earlier where its
    decoding stops (a truncated file; AAC decodes a little past the declared end, which is dropped)."""
    ends = []
    for decoded, declared in ((video.end_s, info.video_end_s), (audio.end_s, info.audio_end_s)):
        known = [
            e for e in (decoded, None if declared is None else declared - info.origin_s) if e is not None
        ]
        ends.append(min(known) if known else 0.0)
    return max(ends)


def _check_content(info: AVInfo, video: _VideoGrid, audio: _AudioWindow, start_s: float) -> None:
    end = _content_end(info, video, audio)
    if end <= start_s + _TIME_EPS_S:
        raise MediaError(
            f"{info.path}: start_s={start_s:g} s is at or after the end of what decodes ({end:.3f} s)"
        )


# --------------------------------------------------------------------------------------------- write


def write_av_clip(
    path: str | os.PathLike,
    frames: np.ndarray,
    fps: float,
    audio: np.ndarray,
    sample_rate: int,
    audio_delay_s: float = 0.0,
    video_delay_s: float = 0.0,
    crf: int = 20,
) -> Path:
    """Write an MP4 (libx264 yuv420p + AAC mono) atomically; a delay shifts that stream's timestamps.

    ``frames`` is uint8 RGB ``(T, H, W, 3)`` at ``fps`` (NTSC rates such as 29.97 are stored as
    30000/1001); an odd height or width is PADDED to even by repeating the last row or column, so
    no pixel is lost. ``audio`` is float32 mono ``(N,)`` (or ``(1, N)``) in [-1, 1] at
    ``sample_rate``, which must be an AAC rate. ``audio_delay_s`` / ``video_delay_s`` (>= 0) are
    added to that stream's packet pts and dts: the stream's first sample or frame is presented that
    much later, the samples themselves untouched. The file appears under ``path`` only when complete.
    """
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3 or 0 in frames.shape:
        raise ValueError(f"frames: expected uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    audio = np.asarray(audio)
    if audio.ndim == 2 and audio.shape[0] == 1:
        audio = audio[0]
    if audio.ndim != 1 or audio.size == 0 or audio.dtype.kind != "f":
        raise ValueError(f"audio: expected float mono (N,), got {audio.dtype} {audio.shape}")
    fps, sample_rate, crf = float(fps), int(sample_rate), int(crf)
    if not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a finite number > 0, got {fps}")
    if sample_rate not in AAC_SAMPLE_RATES:
        raise ValueError(f"sample_rate {sample_rate} is not an AAC rate {AAC_SAMPLE_RATES}")
    for name, delay in (("audio_delay_s", audio_delay_s), ("video_delay_s", video_delay_s)):
        if not (math.isfinite(float(delay)) and float(delay) >= 0):
            raise ValueError(f"{name} must be a finite time >= 0, got {delay}")
    if not 0 <= crf <= 51:
        raise ValueError(f"crf must be in [0, 51], got {crf}")
    pad = ((0, 0), (0, frames.shape[1] % 2), (0, frames.shape[2] % 2), (0, 0))
    if any(p[1] for p in pad):
        frames = np.pad(frames, pad, mode="edge")
    audio = np.clip(np.nan_to_num(audio.astype(np.float32)), -1.0, 1.0)
    path = Path(path)
    from vqa_train.utils.atomic import atomic_path  # synth imports nothing of vqa_train at load time

    with atomic_path(path) as tmp:
        _write_mp4(tmp, frames, fps, audio, sample_rate, float(audio_delay_s), float(video_delay_s), crf)
    return path


def frame_rate(fps: float) -> Fraction:
    """``fps`` as an exact rate: NTSC rates (23.976, 29.97, 59.94) become ``n * 1000 / 1001``."""
    ntsc = fps * 1.001
    if abs(ntsc - round(ntsc)) < 1e-3 and abs(fps - round(fps)) > 1e-3:
        return Fraction(round(ntsc) * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


def _write_mp4(
    path: Path,
    frames: np.ndarray,
    fps: float,
    audio: np.ndarray,
    sample_rate: int,
    audio_delay_s: float,
    video_delay_s: float,
    crf: int,
) -> None:
    options = {"movie_timescale": str(sample_rate)}  # edit lists (stream delays) exact to the sample
    with av.open(os.fspath(path), "w", format="mp4", options=options) as container:
        vstream = container.add_stream(
            "libx264", rate=frame_rate(fps), options={"crf": str(crf), "preset": X264_PRESET}
        )
        vstream.width, vstream.height, vstream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        vstream.time_base = VIDEO_TIME_BASE
        astream = container.add_stream("aac", rate=sample_rate, layout="mono")
        astream.time_base = Fraction(1, sample_rate)

        packets: list[tuple[Fraction, int, av.Packet]] = []  # (dts in seconds, stream, packet)
        video_shift = round(Fraction(video_delay_s) / VIDEO_TIME_BASE)
        encoded: list[av.Packet] = []
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = index
            encoded += vstream.encode(frame)
        encoded += vstream.encode(None)
        for packet in encoded:  # to the fine time base, then shifted
            scale = packet.time_base / VIDEO_TIME_BASE
            dts = packet.pts if packet.dts is None else packet.dts
            packet.pts = round(packet.pts * scale) + video_shift
            packet.dts = round(dts * scale) + video_shift
            if packet.duration:
                packet.duration = round(packet.duration * scale)
            packet.time_base = VIDEO_TIME_BASE
            packets.append((packet.dts * VIDEO_TIME_BASE, 0, packet))

        audio_shift = round(audio_delay_s * sample_rate)
        encoded = []
        for start in range(0, audio.size, AAC_BLOCK):
            block = np.ascontiguousarray(audio[None, start : start + AAC_BLOCK])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = sample_rate, start
            encoded += astream.encode(frame)
        encoded += astream.encode(None)
        for packet in encoded:  # time base 1 / sample_rate
            packet.pts += audio_shift
            packet.dts += audio_shift
            packets.append((Fraction(packet.dts) * packet.time_base, 1, packet))

        for _, _, packet in sorted(packets, key=lambda item: (item[0], item[1])):
            container.mux(packet)
