"""A labelled set of real audio dropouts: silences muxed into programme audio and lost codec packets.

Every clip is a lossy audio file (AAC in an ``.m4a`` by default; ``--codec mp3|opus`` in an MP4)
written through PyAV from a pristine programme at 48 kHz mono, labelled from what was fed to the
encoder and the muxer, never from the decoded audio. Pristine programme is the test split of
:class:`synth.audio.ProceduralAudio` or consecutive windows of your own audio or video files
(``--folder``, decoded with :func:`synth.media.load_audio`; windows already holding 10 ms or more of
exact zeros are skipped, since such a silence would be an unlabelled dropout). Half the clips (odd
indices) carry dropouts, made by one of two mechanisms in turn:

- ``muxed_silence``: 1-3 spans of 20-500 ms (log-uniform) of exact digital silence written into the
  programme before encoding, as a broadcast chain inserting silence; the codec then smears the
  span's edges a little (pre-echo over about one codec frame), the interior decodes near-silent;
- ``packet_loss``: the clean programme is encoded, then re-muxed with the compressed packets of
  1-3 spans (at least 2 packets each, about 40-500 ms) left out; the remaining packets keep their
  timestamps, so the stream has real holes on its timeline.

Clean clips (even indices) cycle through a plain round trip (``clean_roundtrip``) and two natural
hard negatives from the procedural source (``speech_pauses``: speech only, with its 0.15-0.5 s
phrase pauses over room tone; ``quiet_passage``: the quiet kind, -65 to -35 dBFS peaks, at times
near-silence). With ``--folder`` every clean clip is a ``clean_roundtrip``. Every clip, clean or
not, goes through the same encode and the same re-mux (with nothing dropped unless packet_loss),
so neither the codec nor the container is a tell.

Decoding. A decoder fed the packets in order just concatenates its frames, closing the holes
(FFmpeg's ``load_audio`` path does so), so clips are read with :func:`decode_on_timeline`: PyAV
decodes each packet and every decoded frame is placed at its own pts on a zero-filled timeline of
the stream's declared duration (at the stream's rate), then the timeline is resampled with a
polyphase FIR (:func:`scipy.signal.resample_poly`, zero-phase) to the rate asked for. The holes of a
``packet_loss`` clip decode to exact zeros (a few FIR taps of ringing at their edges after
resampling). The evaluator (``eval.py detector=audio_dropout real_set=DIR``) decodes every clip
with this same function.

Labels. ``spans_s`` are end-exclusive spans in seconds of the decoded timeline (3 decimals): the
written silent samples of ``muxed_silence``, and for ``packet_loss`` from the first dropped
packet's pts to the last one's pts + duration (the timeline's origin, the stream's start time,
subtracted). Each clip is decoded once after writing: a ``packet_loss`` span must decode to exact
zeros and no unlabelled run of exact zeros of 10 ms or more may appear (an error otherwise).

Output: ``clips/NNNN.m4a`` (``.mp4`` for mp3 and opus), ``manifest.csv``
(``path,label,spans_s,mechanism``; label ``clean`` or ``dropout``; spans ``start-end;start-end``,
empty when clean) and ``meta.json`` (arguments, codec settings and per clip its source, the spans in
samples at 48 kHz, the dropped packets and the checks). The set is built in a hidden staging folder
beside ``out`` and renamed into place at the end (:mod:`synth.sets`). Clip ``k`` draws its content
from ``np.random.default_rng([seed, 1, k])`` (or is the k-th window of the files) and its dropouts
from ``[seed, 2, k]``; encoders run single-threaded, so the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from synth.core import integer
from synth.sets import build_for_cli, check_target, publish, set_counts
from synth.video.temporal import place_spans

SET_KIND = "dropout_real_set"
SET_VERSION = 1
CLEAN = "clean"
DROPOUT = "dropout"  # the preset's class name (conf/detector/audio_dropout.yaml)
MANIFEST_COLUMNS = ("path", "label", "spans_s", "mechanism")
DEFECT_MECHANISMS = ("muxed_silence", "packet_loss")
CLEAN_MECHANISMS = ("clean_roundtrip", "speech_pauses", "quiet_passage")
# --codec -> (PyAV encoder, file extension, bit rate in kbit/s); all in an MP4 container, whose
# timestamps are in samples (1/sample_rate) and whose edit list trims the encoder's priming.
CODECS = {"aac": ("aac", ".m4a", 96), "mp3": ("libmp3lame", ".mp4", 128), "opus": ("libopus", ".mp4", 64)}
ZERO_RUN_MS = 10.0  # exact zeros this long outside the labels would be an unlabelled dropout


@dataclass(frozen=True)
class DropoutRealSetConfig:
    """Sample rate and the ranges of each mechanism (defaults are what the CLI uses)."""

    sample_rate: int = 48000
    spans_range: tuple[int, int] = (1, 3)
    silence_span_ms_range: tuple[float, float] = (20.0, 500.0)
    loss_span_ms_range: tuple[float, float] = (40.0, 500.0)  # rounded to whole packets, at least 2
    min_packets: int = 2
    gap_ms: float = 50.0  # between two spans of a clip
    edge_ms: float = 50.0  # spans keep this far from the clip's ends

    def __post_init__(self) -> None:
        for name in ("silence_span_ms_range", "loss_span_ms_range"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        object.__setattr__(self, "spans_range", tuple(int(v) for v in self.spans_range))
        checks = {
            "sample_rate": self.sample_rate == 48000,  # the one rate all three codecs take
            "spans_range": 1 <= self.spans_range[0] <= self.spans_range[1],
            "silence_span_ms_range": 0 < self.silence_span_ms_range[0] <= self.silence_span_ms_range[1],
            "loss_span_ms_range": 0 < self.loss_span_ms_range[0] <= self.loss_span_ms_range[1],
            "min_packets": self.min_packets >= 1,
            "gap_ms": self.gap_ms >= ZERO_RUN_MS,
            "edge_ms": self.edge_ms >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"DropoutRealSetConfig.{name}: invalid value {getattr(self, name)!r}")


# ------------------------------------------------------------------------------------------ decoding


def decode_on_timeline(path: str | os.PathLike | bytes, sample_rate: int) -> np.ndarray:
    """The first audio stream of ``path`` as float32 mono ``(n,)`` at ``sample_rate``, on its timeline.

    ``path`` may also be the container's bytes (as :func:`encode` returns them), decoded in memory.

    Each packet is decoded with PyAV and each decoded frame (downmixed to mono float) is placed at its
    pts, relative to the stream's start time, on a zero-filled timeline as long as the stream's
    declared duration (else the last packet's end): packets missing from the stream leave exact zeros
    where they were, instead of being closed up. The timeline is then resampled to ``sample_rate``
    with :func:`scipy.signal.resample_poly`. Raises :class:`synth.media.MediaError` naming the file.
    """
    from scipy.signal import resample_poly

    from synth.media import MediaError

    in_memory = isinstance(path, bytes)
    name = "<in-memory container>" if in_memory else os.fspath(path)
    if not in_memory and not Path(name).is_file():
        raise MediaError(f"{name}: no such file")
    pieces: list[tuple[int, np.ndarray]] = []
    try:
        with av.open(io.BytesIO(path) if in_memory else name) as container:
            if not container.streams.audio:
                raise MediaError(f"{name}: no audio stream")
            stream = container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate or stream.rate or 0)
            if rate <= 0 or stream.time_base is None:
                raise MediaError(f"{name}: audio stream without a sample rate or time base")
            tb = Fraction(stream.time_base)
            origin = int(stream.start_time or 0)
            mono = av.AudioResampler(format="fltp", layout="mono", rate=rate)
            end = 0
            for packet in container.demux(stream):
                if packet.pts is not None and packet.duration:
                    end = max(end, _samples(packet.pts + packet.duration - origin, tb, rate))
                for frame in packet.decode():
                    if frame.pts is None:
                        raise MediaError(f"{name}: a decoded audio frame has no timestamp")
                    start = _samples(frame.pts - origin, tb, rate)
                    for out in mono.resample(frame):
                        pieces.append((start, out.to_ndarray()[0].astype(np.float32)))
                        start += out.samples
            total = _samples(stream.duration, tb, rate) if stream.duration else end
    except av.error.FFmpegError as exc:
        raise MediaError(f"{name}: {exc}") from None
    timeline = np.zeros(max(total, 0), dtype=np.float32)
    for start, samples in pieces:
        lo, hi = max(start, 0), min(start + len(samples), len(timeline))
        if hi > lo:
            timeline[lo:hi] = samples[lo - start : hi - start]
    if rate == int(sample_rate):
        return timeline
    g = math.gcd(rate, int(sample_rate))
    out = resample_poly(timeline.astype(np.float64), int(sample_rate) // g, rate // g)
    n = int(round(len(timeline) * int(sample_rate) / rate))
    return np.clip(out[:n], -1.0, 1.0).astype(np.float32)


def _samples(ticks: int, time_base: Fraction, rate: int) -> int:
    return int(round(Fraction(int(ticks)) * time_base * rate))


# ------------------------------------------------------------------------------------------ encoding


def encode(
    audio: np.ndarray,
    sample_rate: int,
    codec: str,
    options: dict[str, str] | None = None,
    kbps: float | None = None,
) -> bytes:
    """``audio`` (float32 mono ``(n,)``) encoded with ``codec`` into an in-memory MP4; ``options``
    are the FFmpeg encoder's private options (e.g. ``{"aac_coder": "fast"}``) and ``kbps`` replaces
    the codec's bit rate of :data:`CODECS`."""
    encoder, _, default_kbps = CODECS[codec]
    kbps = default_kbps if kbps is None else kbps
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream(encoder, rate=sample_rate, layout="mono", options=dict(options or {}))
        stream.codec_context.bit_rate = int(round(kbps * 1000))
        stream.codec_context.thread_count = 1
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(audio, dtype=np.float32)[None, :], format="flt", layout="mono"
        )
        frame.sample_rate, frame.pts = sample_rate, 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def packet_table(data: bytes) -> tuple[list[tuple[int, int]], int]:
    """``[(pts, duration)]`` of the encoded packets (stream ticks = samples) and the stream's start."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        table = [(int(p.pts), int(p.duration)) for p in container.demux(stream) if p.size]
        return table, int(stream.start_time or 0)


def remux(data: bytes, path: Path, drop: set[int]) -> None:
    """Copy the packets of ``data`` into an MP4 at ``path``, leaving out packets ``drop`` (indices);
    the others keep their timestamps."""
    with av.open(io.BytesIO(data)) as src, av.open(os.fspath(path), "w", format="mp4") as dst:
        source = src.streams.audio[0]
        stream = dst.add_stream_from_template(source)
        index = 0
        for packet in src.demux(source):
            if not packet.size:
                continue
            if index not in drop:
                packet.stream = stream
                dst.mux(packet)
            index += 1


# -------------------------------------------------------------------------------------- mechanisms


def _log_uniform_ms(rng: np.random.Generator, interval: tuple[float, float]) -> float:
    return float(math.exp(rng.uniform(math.log(interval[0]), math.log(interval[1]))))


def sample_silence(
    rng: np.random.Generator, num_samples: int, config: DropoutRealSetConfig
) -> list[tuple[int, int]]:
    """1-3 sample spans of 20-500 ms (log-uniform) inside the clip, ``gap_ms`` apart."""
    sr = config.sample_rate
    count = integer(rng, config.spans_range)
    lengths = [round(_log_uniform_ms(rng, config.silence_span_ms_range) * sr / 1000) for _ in range(count)]
    edge, gap = round(config.edge_ms * sr / 1000), round(config.gap_ms * sr / 1000)
    return [(int(s), int(e)) for s, e in place_spans(rng, lengths, edge, num_samples - edge, gap)]


def sample_packet_loss(
    rng: np.random.Generator,
    table: list[tuple[int, int]],
    origin: int,
    num_samples: int,
    config: DropoutRealSetConfig,
) -> list[tuple[int, int]]:
    """1-3 runs of packet indices ``[first, last]`` (end-exclusive pairs), each at least
    ``min_packets`` long, among the packets lying wholly inside the clip's ``edge_ms`` margins."""
    sr = config.sample_rate
    edge = round(config.edge_ms * sr / 1000)
    inside = [
        i
        for i, (pts, dur) in enumerate(table)
        if pts - origin >= edge and pts + dur - origin <= num_samples - edge
    ]
    if len(inside) < config.min_packets:
        raise ValueError(f"clip too short for a packet loss of {config.min_packets} packets")
    packet_ms = 1000.0 * float(np.median([d for _, d in table])) / sr
    count = integer(rng, config.spans_range)
    lengths = [
        max(config.min_packets, round(_log_uniform_ms(rng, config.loss_span_ms_range) / packet_ms))
        for _ in range(count)
    ]
    gap = max(1, math.ceil(config.gap_ms / packet_ms))
    runs = place_spans(rng, lengths, inside[0], inside[-1] + 1, gap)
    return [(int(a), int(b)) for a, b in runs if b - a >= config.min_packets] or [
        (inside[0], inside[0] + config.min_packets)
    ]


# ------------------------------------------------------------------------------------------- content


def procedural_programme(
    seed: int, index: int, mechanism: str, num_samples: int, sample_rate: int
) -> tuple[np.ndarray, dict[str, Any]]:
    """Test-split programme of clip ``index`` from ``[seed, 1, index]``: speech only for
    ``speech_pauses``, the quiet kind for ``quiet_passage``, the default mix otherwise."""
    from synth.audio import ProceduralAudio

    weights = {"speech_pauses": {"speech": 1.0}, "quiet_passage": {"quiet": 1.0}}.get(mechanism)
    source = ProceduralAudio(kind_weights=weights)
    audio, info = source.segment(np.random.default_rng([seed, 1, index]), "test", num_samples, sample_rate)
    return audio[0], {"split": "test", **info}


def media_paths(folder: str | os.PathLike) -> list[Path]:
    """The audio and video files under ``folder`` (sorted, recursive, hidden files left out)."""
    from synth.audio.sources.folder import AUDIO_EXTENSIONS
    from synth.folders import VIDEO_EXTENSIONS, media_files

    return media_files(folder, sorted(set(AUDIO_EXTENSIONS) | set(VIDEO_EXTENSIONS)), "audio or video")


def folder_windows(
    folder: str | os.PathLike, num_samples: int, sample_rate: int
) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
    """Consecutive windows of the files' audio (:func:`synth.media.load_audio`, mono); short tails and
    windows holding ``ZERO_RUN_MS`` of exact zeros are left out, undecodable files skipped with a
    MediaWarning."""
    from synth.media import MediaError, MediaWarning, load_audio

    root = Path(folder)
    run = round(ZERO_RUN_MS * sample_rate / 1000)
    for path in media_paths(root):
        try:
            audio = load_audio(path, sample_rate)[0]
        except MediaError as exc:
            warnings.warn(f"skipping {exc}", MediaWarning, stacklevel=2)
            continue
        for start in range(0, len(audio) - num_samples + 1, num_samples):
            window = audio[start : start + num_samples]
            if longest_zero_run(window) >= run:
                continue
            yield window.copy(), {"file": path.relative_to(root).as_posix(), "start_s": start / sample_rate}


def longest_zero_run(audio: np.ndarray, mask: np.ndarray | None = None) -> int:
    """Samples in the longest run of exact zeros of ``audio`` (only where ``mask`` is true)."""
    zero = audio == 0 if mask is None else (audio == 0) & mask
    if not zero.any():
        return 0
    edges = np.diff(np.concatenate([[0], zero.astype(np.int8), [0]]))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


# --------------------------------------------------------------------------------------------- build


def mechanism_of(index: int, folder: bool) -> tuple[str, str]:
    """``(label, mechanism)`` of clip ``index``: odd clips alternate between the two dropout
    mechanisms, even ones cycle through the clean ones (only the round trip for folder content)."""
    if index % 2:
        return DROPOUT, DEFECT_MECHANISMS[(index // 2) % 2]
    return CLEAN, "clean_roundtrip" if folder else CLEAN_MECHANISMS[(index // 2) % 3]


def build_dropout_real_set(
    out: str | os.PathLike,
    clips: int = 60,
    seed: int = 0,
    folder: str | os.PathLike | None = None,
    seconds: float = 4.0,
    codec: str = "aac",
    overwrite: bool = False,
    progress: bool = True,
    config: DropoutRealSetConfig | None = None,
) -> Path:
    """Build the set in ``out`` (see the module doc) and return ``out``.

    ``out`` must be absent or empty, or hold an earlier dropout real set and ``overwrite`` be true.
    """
    config = config or DropoutRealSetConfig()
    arguments = {
        "clips": int(clips),
        "seed": int(seed),
        "folder": None if folder is None else str(folder),
        "seconds": float(seconds),
        "codec": str(codec),
    }
    checks = {
        "clips": (arguments["clips"] >= 1, "must be >= 1"),
        "seconds": (math.isfinite(seconds) and 0.5 <= seconds <= 600, "must be in [0.5, 600]"),
        "codec": (codec in CODECS, f"must be one of {list(CODECS)}"),
    }
    for name, (ok, requirement) in checks.items():
        if not ok:
            raise ValueError(f"{name}={arguments[name]!r}: {requirement}")
    if folder is not None:
        media_paths(folder)  # a missing or empty folder fails before any work
    out = Path(out)
    check_target(out, overwrite, SET_KIND, "dropout real set", "meta.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        _build(staging, arguments, config, progress)
        publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _build(root: Path, a: dict[str, Any], config: DropoutRealSetConfig, progress: bool) -> None:
    sr = config.sample_rate
    n = int(round(a["seconds"] * sr))
    windows = None if a["folder"] is None else folder_windows(a["folder"], n, sr)
    indices: Any = range(a["clips"])
    if progress:
        from vqa_train.progress import track

        indices = track(indices, f"dropout real set ({a['codec']}): encoding clips", total=a["clips"])
    (root / "clips").mkdir()
    rows: list[dict[str, Any]] = []
    for k in indices:
        label, mechanism = mechanism_of(k, windows is not None)
        if windows is None:
            programme, source = procedural_programme(a["seed"], k, mechanism, n, sr)
        else:
            try:
                programme, source = next(windows)
            except StopIteration:
                raise ValueError(
                    f"{a['folder']}: only {k} usable windows of {a['seconds']:g} s in the files; "
                    "ask for fewer --clips or shorter --seconds"
                ) from None
        rng = np.random.default_rng([a["seed"], 2, k])
        params: dict[str, Any] = {}
        spans: list[tuple[int, int]] = []
        if mechanism == "muxed_silence":
            spans = sample_silence(rng, n, config)
            programme = programme.copy()
            for start, end in spans:
                programme[start:end] = 0.0
        data = encode(programme, sr, a["codec"])
        drop: set[int] = set()
        if mechanism == "packet_loss":
            table, origin = packet_table(data)
            runs = sample_packet_loss(rng, table, origin, n, config)
            for first, stop in runs:
                drop.update(range(first, stop))
                spans.append((table[first][0] - origin, table[stop - 1][0] + table[stop - 1][1] - origin))
            params["dropped_packets"] = [
                {"index": i, "pts": table[i][0], "duration": table[i][1]} for i in sorted(drop)
            ]
        path = f"clips/{k:04d}{CODECS[a['codec']][1]}"
        remux(data, root / path, drop)
        try:
            checks = check_clip(decode_on_timeline(root / path, sr), spans, mechanism, sr)
        except RuntimeError as exc:
            raise RuntimeError(f"clip {k:04d} ({mechanism}): {exc}") from None
        rows.append(
            {
                "path": path,
                "label": label,
                "spans_s": format_spans(spans, sr),
                "mechanism": mechanism,
                "source": source,
                "codec": a["codec"],
                "spans_samples": [list(s) for s in spans],
                "params": params,
                "checks": checks,
            }
        )
    with open(root / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    encoder, extension, kbps = CODECS[a["codec"]]
    mechanisms = sorted({r["mechanism"] for r in rows})
    meta = {
        "kind": SET_KIND,
        "version": SET_VERSION,
        "labels": [CLEAN, DROPOUT],
        "manifest_columns": list(MANIFEST_COLUMNS),
        "spans_s": "end-exclusive spans start-end;start-end in seconds of the timeline decode",
        "decode": "synth.audio.dropout_realset.decode_on_timeline",
        "arguments": a,
        "codec": {
            "name": a["codec"],
            "encoder": encoder,
            "container": "mp4",
            "extension": extension,
            "bit_rate_kbps": kbps,
            "sample_rate": sr,
            "channels": 1,
        },
        "config": asdict(config),
        "counts": {
            **{lab: sum(1 for r in rows if r["label"] == lab) for lab in (CLEAN, DROPOUT)},
            **{m: sum(1 for r in rows if r["mechanism"] == m) for m in mechanisms},
        },
        "clips": rows,
    }
    (root / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")


def check_clip(
    decoded: np.ndarray, spans: Sequence[tuple[int, int]], mechanism: str, sample_rate: int
) -> dict[str, Any]:
    """What the timeline decode shows: span levels, and no unlabelled digital silence.

    Raises RuntimeError when a lost-packet span is not exact zeros or exact zeros of ``ZERO_RUN_MS``
    or more lie outside the labels."""
    outside = np.ones(len(decoded), bool)
    peaks = []
    for start, end in spans:
        outside[start:end] = False
        part = decoded[start:end]
        peak = float(np.abs(part).max()) if part.size else 0.0
        peaks.append(round(20 * math.log10(peak), 2) if peak > 0 else None)
        if mechanism == "packet_loss" and peak != 0.0:
            raise RuntimeError(f"lost-packet span {start}-{end} does not decode to silence (peak {peak:.3g})")
    run = longest_zero_run(decoded, outside)
    if run * 1000.0 / sample_rate >= ZERO_RUN_MS:
        raise RuntimeError(f"{run} samples of exact zeros outside the labelled spans")
    return {
        "decoded_samples": int(len(decoded)),
        "span_peak_dbfs": peaks,  # None: exact digital silence
        "longest_unlabelled_zero_run_samples": run,
    }


def format_spans(spans: Sequence[tuple[int, int]], sample_rate: int) -> str:
    return ";".join(f"{s / sample_rate:.3f}-{e / sample_rate:.3f}" for s, e in spans)


# ----------------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(
        prog="python -m synth.audio.dropout_realset",
        description="Build a real audio-dropout set: digital silence muxed into the programme before a "
        "lossy encode, compressed packets dropped on re-mux; labels in seconds.",
    )
    parser.add_argument("--out", required=True, help="output folder (absent, empty, or an earlier set)")
    parser.add_argument("--clips", type=int, default=60, help="number of clips, half clean (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folder", help="your own audio or video files (default: procedural, test split)")
    parser.add_argument("--seconds", type=float, default=4.0, help="clip length (default 4)")
    parser.add_argument("--codec", choices=sorted(CODECS), default="aac", help="lossy codec (default aac)")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier dropout set in --out")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    out = build_for_cli(
        parser,
        build_dropout_real_set,
        args.out,
        clips=args.clips,
        seed=args.seed,
        folder=args.folder,
        seconds=args.seconds,
        codec=args.codec,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    counts = set_counts(out)
    print(f"{out}: {counts[CLEAN]} clean + {counts[DROPOUT]} dropout clips -> {out / 'manifest.csv'}")
    return out


if __name__ == "__main__":
    main()
