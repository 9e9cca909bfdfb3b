"""A labeled set of real A/V offsets: windows of your own videos re-muxed with a container-level offset.

Each clip takes a source file with both picture and sound, a window of ``clip_seconds`` of it, and
re-muxes that window with :func:`synth.av.io.write_av_clip` so that one stream's timestamps are
genuinely shifted in the MP4 (an empty edit before the stream, the samples untouched):
``offset_ms > 0`` (audio lags) delays the audio by ``offset_ms / 1000`` s, ``offset_ms < 0`` (audio
leads) delays the video by ``-offset_ms / 1000`` s. The sources are taken to be in sync: the offset is
relative to the source's own sync.

Decoding. The window is decoded by :func:`synth.av.io.load_av_clip` at the source's OWN frame rate
(25 fps if the file's rate is unknown or outside [1, 120]) and starts on a source frame time, so a
constant-rate source keeps every frame exactly once and the re-mux adds no sub-frame shift to the
offset; sound is kept at the source's own sample rate when AAC supports it, else 48 kHz. The window
lies where both streams have content.

Offsets. With probability ``in_sync_prob`` a clip is in sync: a whole-millisecond offset drawn
uniformly from the tolerance band ``[-tolerance_lead_ms, +tolerance_lag_ms]``; otherwise out of
sync: ``|offset|`` uniform in ``[min_out_of_sync_ms, max_offset_ms]`` with a random sign. The label
follows from the offset alone (:func:`synth.av.offset.sync_label`). Clip ``k`` draws its source, window and
offset from ``np.random.default_rng([seed, k])``: the same seed and folder give the same set.

Edges. A container offset leaves ``|offset|`` of silence (audio lags) or black (audio leads) at the
start of a clip, and the other stream running that long past the end. A detector fed whole clips can
learn the label from those edges: feed it windows that skip the first and last ``max_offset_ms``.

Output: ``clips/NNNN.mp4``, ``manifest.csv`` (``path,label,offset_ms``, paths relative to the set)
and ``meta.json`` (arguments, and for each clip its source file, window and delays). The set is
built in a hidden staging folder beside ``out`` and renamed into place at the end, so an
interrupted build leaves nothing behind. ``out`` must be absent or empty, or hold an earlier offset
set and ``overwrite`` be true; a non-empty folder holding anything else is never replaced.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from synth.av.io import AAC_SAMPLE_RATES, AVInfo, load_av_clip, probe_av, write_av_clip
from synth.av.offset import LABELS, sync_label
from synth.folders import VIDEO_EXTENSIONS
from synth.media import MediaError, MediaWarning
from synth.sets import build_for_cli, check_target, publish, set_counts

SET_KIND = "av_offset_real_set"
SET_VERSION = 1
MANIFEST_COLUMNS = ("path", "label", "offset_ms")
DEFAULT_FPS = 25.0  # for sources whose rate is unknown or implausible
FPS_RANGE = (1.0, 120.0)
FALLBACK_SAMPLE_RATE = 48000  # for sources whose sample rate AAC does not support


@dataclass(frozen=True)
class OffsetSource:
    """A usable source file and the frame indices a window may start on."""

    path: Path
    relative: str  # relative to the folder, POSIX style (recorded in meta.json)
    info: AVInfo
    rate: Fraction  # exact rate the window is decoded at
    sample_rate: int  # rate the sound is decoded and written at
    first_frame: (
        int  # a window starts at timeline time video_start + j / rate, first_frame <= j <= last_frame
    )
    last_frame: int

    @property
    def fps(self) -> float:
        return float(self.rate)

    def window_start_s(self, frame: int) -> float:
        """Timeline time of source frame ``frame`` (for a constant-rate source), exact however far in."""
        return self.info.video_start_s - self.info.origin_s + float(Fraction(frame) / self.rate)


def sample_offset_ms(
    rng: np.random.Generator,
    in_sync_prob: float,
    tolerance_lead_ms: float,
    tolerance_lag_ms: float,
    min_out_of_sync_ms: float,
    max_offset_ms: float,
) -> int:
    """A whole-millisecond offset: inside the tolerance band with ``in_sync_prob``, else out of sync."""
    if rng.random() < in_sync_prob:
        return int(rng.integers(-math.floor(tolerance_lead_ms), math.floor(tolerance_lag_ms) + 1))
    magnitude = int(rng.integers(math.ceil(min_out_of_sync_ms), math.floor(max_offset_ms) + 1))
    return magnitude if rng.random() < 0.5 else -magnitude


def find_sources(
    folder: str | os.PathLike, clip_seconds: float, exclude: str | os.PathLike | None = None
) -> tuple[list[OffsetSource], list[dict[str, str]]]:
    """Usable videos under ``folder`` (sorted, recursive, hidden files and ``exclude`` left out) and the
    skipped ones as ``{"source", "reason"}``; each skipped file also raises a MediaWarning naming it."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a folder")
    excluded = Path(exclude).resolve() if exclude is not None else None
    wanted = set(VIDEO_EXTENSIONS)
    paths = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix.lower() in wanted
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
        and not (excluded is not None and excluded in p.resolve().parents)
    )
    if not paths:
        raise FileNotFoundError(f"{root}: no video files ({', '.join(VIDEO_EXTENSIONS)})")
    sources: list[OffsetSource] = []
    skipped: list[dict[str, str]] = []
    for path in paths:
        relative = path.relative_to(root).as_posix()
        try:
            sources.append(_source(path, relative, clip_seconds))
        except MediaError as exc:
            warnings.warn(f"skipping {exc}", MediaWarning, stacklevel=2)
            skipped.append({"source": relative, "reason": str(exc)})
    return sources, skipped


def _source(path: Path, relative: str, clip_seconds: float) -> OffsetSource:
    info = probe_av(path)  # MediaError without sound or picture, or when unreadable
    rate = info.frame_rate
    if rate is None or not FPS_RANGE[0] <= rate <= FPS_RANGE[1]:
        rate = Fraction(DEFAULT_FPS)
    fps = float(rate)
    sample_rate = info.sample_rate if info.sample_rate in AAC_SAMPLE_RATES else FALLBACK_SAMPLE_RATE
    if info.video_end_s is None or info.audio_end_s is None:
        raise MediaError(f"{path}: duration unknown (the header does not say how long the streams are)")
    both_from = max(info.video_start_s, info.audio_start_s)
    both_to = min(info.video_end_s, info.audio_end_s)
    first = math.ceil((both_from - info.video_start_s) * fps - 1e-6)
    last = math.floor((both_to - clip_seconds - info.video_start_s) * fps + 1e-6)
    if last < first:
        raise MediaError(
            f"{path}: picture and sound overlap for {max(0.0, both_to - both_from):.3f} s, "
            f"less than a {clip_seconds:g} s clip"
        )
    return OffsetSource(path, relative, info, rate, int(sample_rate), int(first), int(last))


def build_real_offset_set(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    clips: int = 40,
    seed: int = 0,
    clip_seconds: float = 4.0,
    max_offset_ms: float = 500.0,
    in_sync_prob: float = 0.4,
    tolerance_lead_ms: float = 40.0,
    tolerance_lag_ms: float = 60.0,
    min_out_of_sync_ms: float = 120.0,
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Build the set in ``out`` from the videos under ``folder``; returns the path of ``manifest.csv``.

    Files without sound (or picture, or shorter than a clip, or unreadable) are skipped with a
    MediaWarning naming them; ValueError when none is usable. See the module doc for the rest.
    """
    arguments = {
        "folder": str(folder),
        "clips": int(clips),
        "seed": int(seed),
        "clip_seconds": float(clip_seconds),
        "max_offset_ms": float(max_offset_ms),
        "in_sync_prob": float(in_sync_prob),
        "tolerance_lead_ms": float(tolerance_lead_ms),
        "tolerance_lag_ms": float(tolerance_lag_ms),
        "min_out_of_sync_ms": float(min_out_of_sync_ms),
    }
    _check_arguments(arguments)
    out = Path(out)
    check_target(out, overwrite, SET_KIND, "A/V offset set", "meta.json")
    sources, skipped = find_sources(folder, arguments["clip_seconds"], exclude=out)
    if not sources:
        raise ValueError(
            f"{folder}: none of the {len(skipped)} video files has picture and sound for a "
            f"{clip_seconds:g} s clip (see the warnings for each)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        _build(staging, sources, skipped, arguments, progress)
        publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out / "manifest.csv"


def _check_arguments(a: dict[str, Any]) -> None:
    lead, lag = a["tolerance_lead_ms"], a["tolerance_lag_ms"]
    checks = {
        "clips": (a["clips"] >= 1, "must be >= 1"),
        "clip_seconds": (math.isfinite(a["clip_seconds"]) and a["clip_seconds"] > 0, "must be > 0"),
        "in_sync_prob": (0.0 <= a["in_sync_prob"] <= 1.0, "must be in [0, 1]"),
        "tolerance_lead_ms": (math.isfinite(lead) and lead >= 0, "must be >= 0"),
        "tolerance_lag_ms": (math.isfinite(lag) and lag >= 0, "must be >= 0"),
        "min_out_of_sync_ms": (
            a["min_out_of_sync_ms"] > max(lead, lag),  # out-of-sync draws must fall outside the band
            f"must exceed both tolerances ({lead:g}, {lag:g} ms)",
        ),
        "max_offset_ms": (
            math.isfinite(a["max_offset_ms"])
            and math.floor(a["max_offset_ms"]) >= math.ceil(a["min_out_of_sync_ms"]),
            f"must be >= min_out_of_sync_ms ({a['min_out_of_sync_ms']:g})",
        ),
    }
    for name, (ok, requirement) in checks.items():
        if not ok:
            raise ValueError(f"{name}={a[name]!r}: {requirement}")


def _build(
    root: Path, sources: list[OffsetSource], skipped: list[dict[str, str]], a: dict[str, Any], progress: bool
) -> None:
    indices: Iterable[int] = range(a["clips"])
    if progress:
        from vqa_train.progress import track

        indices = track(indices, "A/V offset set: re-muxing clips", total=a["clips"])
    sources = list(sources)
    rows: list[dict[str, Any]] = []
    for k in indices:
        rng = np.random.default_rng([a["seed"], k])
        while True:
            if not sources:
                raise ValueError(f"{a['folder']}: no source file decodes (see the warnings for each)")
            source = sources[int(rng.integers(len(sources)))]
            frame = int(rng.integers(source.first_frame, source.last_frame + 1))
            offset_ms = sample_offset_ms(
                rng,
                a["in_sync_prob"],
                a["tolerance_lead_ms"],
                a["tolerance_lag_ms"],
                a["min_out_of_sync_ms"],
                a["max_offset_ms"],
            )
            start_s = source.window_start_s(frame)
            try:
                clip = load_av_clip(source.path, start_s, a["clip_seconds"], source.fps, source.sample_rate)
            except MediaError as exc:  # passed the probe but does not decode: drop it, draw again
                warnings.warn(f"skipping {exc}", MediaWarning, stacklevel=2)
                skipped.append({"source": source.relative, "reason": str(exc)})
                sources.remove(source)
                continue
            break
        path = f"clips/{k:04d}.mp4"
        audio_delay_s, video_delay_s = max(offset_ms, 0) / 1000.0, max(-offset_ms, 0) / 1000.0
        write_av_clip(
            root / path,
            clip.frames,
            clip.fps,
            clip.audio,
            clip.sample_rate,
            audio_delay_s=audio_delay_s,
            video_delay_s=video_delay_s,
        )
        label = sync_label(offset_ms, (a["tolerance_lead_ms"], a["tolerance_lag_ms"]))
        rows.append(
            {
                "path": path,
                "label": label,
                "offset_ms": offset_ms,
                "source": source.relative,
                "window_start_s": round(start_s, 6),
                "window_start_frame": frame,
                "fps": source.fps,
                "sample_rate": source.sample_rate,
                "audio_delay_s": audio_delay_s,
                "video_delay_s": video_delay_s,
            }
        )
    with open(root / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    meta = {
        "kind": SET_KIND,
        "version": SET_VERSION,
        "labels": list(LABELS),
        "manifest_columns": list(MANIFEST_COLUMNS),
        "offset_convention": "offset_ms > 0: audio lags the video (audio stream delayed by offset_ms); "
        "offset_ms < 0: audio leads (video stream delayed by -offset_ms); container-level timestamps",
        "arguments": a,
        "counts": {label: sum(1 for r in rows if r["label"] == label) for label in LABELS},
        "clips": rows,
        "skipped": skipped,
    }
    (root / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(
        prog="python -m synth.av.realset",
        description="Build a real A/V offset set: windows of your videos re-muxed with container offsets.",
    )
    parser.add_argument("--folder", required=True, help="your own videos with sound (searched recursively)")
    parser.add_argument(
        "--out", required=True, help="output folder (absent, empty, or an earlier offset set)"
    )
    parser.add_argument("--clips", type=int, default=40, help="number of clips (default 40)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clip-seconds", type=float, default=4.0)
    parser.add_argument("--max-offset-ms", type=float, default=500.0)
    parser.add_argument("--min-out-of-sync-ms", type=float, default=120.0)
    parser.add_argument("--in-sync-prob", type=float, default=0.4)
    parser.add_argument(
        "--tolerance-lead-ms", type=float, default=40.0, help="in sync down to this audio lead"
    )
    parser.add_argument("--tolerance-lag-ms", type=float, default=60.0, help="in sync up to this audio lag")
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier offset set in --out")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    manifest = build_for_cli(
        parser,
        build_real_offset_set,
        args.folder,
        args.out,
        clips=args.clips,
        seed=args.seed,
        clip_seconds=args.clip_seconds,
        max_offset_ms=args.max_offset_ms,
        in_sync_prob=args.in_sync_prob,
        tolerance_lead_ms=args.tolerance_lead_ms,
        tolerance_lag_ms=args.tolerance_lag_ms,
        min_out_of_sync_ms=args.min_out_of_sync_ms,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    counts = set_counts(manifest.parent)
    print(
        f"{args.out}: {counts['in_sync']} in sync + {counts['out_of_sync']} out of sync clips -> {manifest}"
    )
    return manifest


if __name__ == "__main__":
    main()
