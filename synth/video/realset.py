"""A labeled set of real decoder corruption: H.264 streams with damaged packets, decoded by FFmpeg.

Each pristine clip (uint8 ``(T, H, W, 3)``) is encoded with libx264 (yuv420p, one IDR frame then P
and optionally B frames, one or a few slices per frame). Bytes inside non-IDR slices, past the
slice header, are overwritten (random values or bit flips, a few hits per clip); FFmpeg's H.264
decoder then decodes the damaged stream with its default error concealment, and the intact stream
too. Nothing is simulated after the bitstream: the artifacts are what a real decoder shows.

Labels come from the difference with the intact decode (see :func:`corruption_mask`): a pixel is
changed when its RGB value lies more than ``diff_threshold`` away from the clean frame's values
within ``tolerance_px`` pixels (``tolerance_px=0``: its largest RGB difference exceeds the
threshold). The tolerance matters: concealment often copies intact content a pixel or two off,
which looks clean in the frame but differs pixel by pixel along every edge. The changed-pixel mask
is cleaned by a morphological opening; a damaged-stream frame is ``corrupted`` when the cleaned mask
covers at least ``min_area_ratio`` of the frame, ``unaffected`` when it covers at most
``clean_max_area_ratio``, and ``ambiguous`` in between. Only ``corrupted`` frames of the damaged
decode are written; ambiguous and unaffected ones are counted in ``summary.json`` and skipped.
``clean`` frames are taken from the intact decode of the same clips (every one of its frames is
genuinely clean), sampled to about ``clean_per_corrupted`` per corrupted frame of that clip.

The set (``manifest.csv`` with ``path,label,mask_path,clip,frame_index,area_ratio``, frames and
0/255 masks as PNG, ``summary.json``, ``README.md``) is built in a hidden staging folder beside
``out_dir`` and renamed into place at the end: an interrupted build leaves no set behind.
Everything is a pure function of the clips and the seed (x264 runs single-threaded and without
macroblock-tree rate control, which made its output vary from run to run with B frames).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av
import cv2
import numpy as np

from synth.sets import check_target, publish
from synth.video.functional import cover

SET_KIND = "block_corruption_real_set"
SET_VERSION = 1
LABELS = ("clean", "corrupted")
MANIFEST_COLUMNS = ("path", "label", "mask_path", "clip", "frame_index", "area_ratio")
NAL_NON_IDR_SLICE = 1
NAL_IDR_SLICE = 5


@dataclass(frozen=True)
class RealSetConfig:
    """How clips are encoded, damaged and labeled (defaults are what the CLI uses)."""

    fps: float = 25.0
    crf: int = 23
    preset: str = "veryfast"
    slices_choices: tuple[int, ...] = (1, 4)  # slices per frame, drawn per clip
    bframes_choices: tuple[int, ...] = (0, 2)  # consecutive B frames allowed, drawn per clip
    cabac_choices: tuple[bool, ...] = (True, False)  # entropy coder, drawn per clip: CABAC or CAVLC
    hits_range: tuple[int, int] = (3, 8)  # damaged spots per clip (inclusive)
    burst_bytes_range: tuple[int, int] = (1, 6)  # bytes overwritten per hit (inclusive)
    bitflip_prob: float = 0.5  # a hit flips one bit per byte with this probability, else writes random bytes
    header_skip_bytes: int = 8  # bytes after a slice's NAL header left intact (covers the slice header)
    diff_threshold: int = 20  # a pixel changed when its |RGB difference| exceeds this (0..255) ...
    tolerance_px: int = 2  # ... from every clean pixel this near (displaced intact content is not damage)
    open_kernel_px: int = 3  # side of the square opening that removes specks from the changed-pixel mask
    min_area_ratio: float = 0.005  # corrupted: the opened mask covers at least this fraction
    clean_max_area_ratio: float = 0.0  # unaffected: the opened mask covers at most this fraction
    clean_per_corrupted: float = 1.0  # clean frames sampled (from the intact decode) per corrupted frame
    max_attempts: int = 3  # a clip whose damage shows in no frame is re-damaged up to this many times

    def __post_init__(self) -> None:
        for name in ("slices_choices", "bframes_choices", "hits_range", "burst_bytes_range"):
            object.__setattr__(self, name, tuple(int(v) for v in getattr(self, name)))
        object.__setattr__(self, "cabac_choices", tuple(bool(v) for v in self.cabac_choices))
        checks = {
            "fps": self.fps > 0,
            "crf": 0 <= self.crf <= 51,
            "slices_choices": bool(self.slices_choices) and all(1 <= s <= 32 for s in self.slices_choices),
            "bframes_choices": bool(self.bframes_choices) and all(0 <= b <= 16 for b in self.bframes_choices),
            "cabac_choices": bool(self.cabac_choices),
            "hits_range": len(self.hits_range) == 2 and 1 <= self.hits_range[0] <= self.hits_range[1],
            "burst_bytes_range": len(self.burst_bytes_range) == 2
            and 1 <= self.burst_bytes_range[0] <= self.burst_bytes_range[1],
            "bitflip_prob": 0.0 <= self.bitflip_prob <= 1.0,
            "header_skip_bytes": self.header_skip_bytes >= 0,
            "diff_threshold": 0 <= self.diff_threshold < 255,
            "tolerance_px": self.tolerance_px >= 0,
            "open_kernel_px": self.open_kernel_px >= 1,
            "min_area_ratio": 0.0 < self.min_area_ratio <= 1.0,
            "clean_max_area_ratio": 0.0 <= self.clean_max_area_ratio < self.min_area_ratio,
            "clean_per_corrupted": self.clean_per_corrupted >= 0.0,
            "max_attempts": self.max_attempts >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"RealSetConfig.{name}: invalid value {getattr(self, name)!r}")


class ClipSource(Protocol):
    """Pristine content: ``clip(rng, split, num_frames, height, width) -> (uint8 (T, H, W, 3), info)``."""

    def clip(
        self, rng: np.random.Generator, split: str, num_frames: int, height: int, width: int
    ) -> tuple[np.ndarray, dict]: ...


@dataclass(frozen=True)
class Packet:
    """One encoded access unit (Annex B), in decode order."""

    data: bytes
    pts: int  # display index of its frame
    dts: int
    keyframe: bool


@dataclass(frozen=True)
class Hit:
    """Bytes ``[offset, offset + len(values))`` of packet ``packet`` become ``values`` (or XOR them)."""

    packet: int
    offset: int
    mode: str  # "bytes": overwrite with values; "bitflip": XOR with values (one bit set per byte)
    values: tuple[int, ...]


@dataclass
class ClipResult:
    """What one clip contributed: ``rows`` to write (with their images), ``stats`` for the summary."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # label, frame_index, area_ratio, image, mask
    stats: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------- encoding


def encode_h264(
    frames: np.ndarray,
    fps: float = 25.0,
    crf: int = 23,
    preset: str = "veryfast",
    slices: int = 1,
    bframes: int = 0,
    cabac: bool = True,
) -> list[Packet]:
    """Encode RGB uint8 ``(T, H, W, 3)`` (even H, W) as one closed GOP: an IDR frame, then P/B frames.

    x264 runs single-threaded and without macroblock-tree rate control: with it and B frames, the
    bitstream changed from one call to the next in the same process.
    """
    frames = _check_clip(frames, "frames")
    num, height, width = frames.shape[:3]
    if height % 2 or width % 2:
        raise ValueError(f"yuv420p needs even sizes, got {width}x{height}")
    rate = Fraction(fps).limit_denominator(1001)
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base, encoder.framerate = 1 / rate, rate
    encoder.gop_size = num + 1
    encoder.max_b_frames = int(bframes)
    encoder.thread_count = 1
    keyint = num + 1  # one IDR: the whole clip is one GOP
    encoder.options = {
        "crf": str(int(crf)),
        "preset": preset,
        "x264-params": (
            f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes={int(bframes)}:"
            f"slices={int(slices)}:cabac={int(cabac)}:threads=1:sliced-threads=0:lookahead-threads=1:no-mbtree=1"
        ),
    }
    packets: list[Packet] = []

    def take(encoded: Iterable[av.Packet]) -> None:
        for p in encoded:
            packets.append(Packet(bytes(p), int(p.pts), int(p.dts), bool(p.is_keyframe)))

    for index in range(num):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frames[index]), format="rgb24")
        frame.pts = index
        take(encoder.encode(frame))
    take(encoder.encode(None))
    if len(packets) != num or sorted(p.pts for p in packets) != list(range(num)):
        raise RuntimeError(f"libx264 returned {len(packets)} packets for {num} frames")
    return packets


def nal_units(data: bytes) -> list[tuple[int, int, int, int]]:
    """``(start, end, nal_type, nal_ref_idc)`` of each NAL unit in an Annex B buffer; start is the header byte."""
    starts = []
    at = data.find(b"\x00\x00\x01")
    while at != -1:
        starts.append(at + 3)
        at = data.find(b"\x00\x00\x01", at + 3)
    units = []
    for k, start in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else len(data)
        while end > start and data[end - 1] == 0:  # the next 4-byte start code's leading zero
            end -= 1
        if end > start:
            units.append((start, end, data[start] & 0x1F, (data[start] >> 5) & 0x3))
    return units


def decode_h264(packets: Sequence[Packet], num_frames: int) -> tuple[dict[int, np.ndarray], dict[str, int]]:
    """Decode with FFmpeg's H.264 decoder (default flags: error concealment on), one thread.

    Returns RGB frames by display index and counters: ``packet_errors`` (packets the decoder
    rejected; decoding goes on with the next one) and ``stray_frames`` (frames with no or a
    repeated display index, dropped).
    """
    decoder = av.CodecContext.create("h264", "r")
    decoder.thread_count = 1
    time_base = Fraction(1, 1)
    out: dict[int, np.ndarray] = {}
    counts = {"packet_errors": 0, "stray_frames": 0}

    def take(frames: Iterable[av.VideoFrame]) -> None:
        for frame in frames:
            index = frame.pts
            if index is None or not 0 <= index < num_frames or index in out:
                counts["stray_frames"] += 1
                continue
            out[int(index)] = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))

    for p in packets:
        packet = av.Packet(p.data)
        packet.pts, packet.dts, packet.time_base = p.pts, p.dts, time_base
        try:
            take(decoder.decode(packet))
        except (av.error.FFmpegError, ValueError):
            counts["packet_errors"] += 1
    try:
        take(decoder.decode(None))
    except (av.error.FFmpegError, ValueError):
        counts["packet_errors"] += 1
    return out, counts


# ----------------------------------------------------------------------------------------- damage


def sample_hits(rng: np.random.Generator, packets: Sequence[Packet], config: RealSetConfig) -> list[Hit]:
    """Draw the damage of one clip: each hit picks a slice of a non-IDR frame (in proportion to its size),
    a spot past the slice header, and the bytes to write there. All randomness of the damage is drawn here."""
    spans: dict[int, list[tuple[int, int]]] = {}  # packet -> [(first allowed byte, end)]
    for index, p in enumerate(packets):
        if p.keyframe:
            continue
        for start, end, nal_type, _ in nal_units(p.data):
            first = start + 1 + config.header_skip_bytes
            if nal_type == NAL_NON_IDR_SLICE and end - first >= 1:
                spans.setdefault(index, []).append((first, end))
    if not spans:
        return []
    # A hit lands on a uniformly random eligible byte (as transmission errors do), so big slices
    # are hit more often than the near-empty ones of static areas.
    where = [(index, first, end) for index in sorted(spans) for first, end in spans[index]]
    sizes = np.array([end - first for _, first, end in where], dtype=np.float64)
    lo, hi = config.hits_range
    hits = []
    for _ in range(int(rng.integers(lo, hi + 1))):
        index, first, end = where[int(rng.choice(len(where), p=sizes / sizes.sum()))]
        burst = min(
            int(rng.integers(config.burst_bytes_range[0], config.burst_bytes_range[1] + 1)), end - first
        )
        offset = int(rng.integers(first, end - burst + 1))
        if rng.random() < config.bitflip_prob:
            mode, values = "bitflip", tuple(int(1 << b) for b in rng.integers(0, 8, burst))
        else:
            mode, values = "bytes", tuple(int(v) for v in rng.integers(0, 256, burst))
        hits.append(Hit(index, offset, mode, values))
    return hits


def apply_hits(packets: Sequence[Packet], hits: Iterable[Hit]) -> list[Packet]:
    """The packets with the hits applied (new objects; the input is untouched)."""
    data = [bytearray(p.data) for p in packets]
    for hit in hits:
        buf = data[hit.packet]
        for j, value in enumerate(hit.values):
            at = hit.offset + j
            buf[at] = buf[at] ^ value if hit.mode == "bitflip" else value
    return [dataclasses.replace(p, data=bytes(d)) for p, d in zip(packets, data)]


# ---------------------------------------------------------------------------------------- labeling


def corruption_mask(
    damaged: np.ndarray,
    clean: np.ndarray,
    diff_threshold: int = 20,
    open_kernel_px: int = 3,
    tolerance_px: int = 2,
) -> tuple[np.ndarray, float]:
    """Bool ``(H, W)`` mask of visibly changed pixels and the fraction of the frame it covers.

    A pixel is changed when, in some channel, the damaged value lies more than ``diff_threshold``
    outside the range that channel takes in the clean frame within ``tolerance_px`` pixels (with
    ``tolerance_px=0``: its largest absolute RGB difference exceeds ``diff_threshold``). The
    tolerance keeps content that is intact but displaced by a pixel or two (error concealment with
    a slightly wrong motion vector, which looks clean in the frame) out of the mask. A square
    opening of side ``open_kernel_px`` then drops isolated specks.
    """
    if damaged.shape != clean.shape:
        raise ValueError(f"frames differ in shape: {damaged.shape} vs {clean.shape}")
    damaged16 = damaged.astype(np.int16)
    if tolerance_px > 0:
        window = np.ones((2 * tolerance_px + 1, 2 * tolerance_px + 1), np.uint8)
        low = cv2.erode(clean, window, borderType=cv2.BORDER_REPLICATE).astype(np.int16)
        high = cv2.dilate(clean, window, borderType=cv2.BORDER_REPLICATE).astype(np.int16)
        excess = np.maximum(damaged16 - high, low - damaged16)
    else:
        excess = np.abs(damaged16 - clean.astype(np.int16))
    mask = (excess.max(axis=2) > diff_threshold).astype(np.uint8)
    if open_kernel_px > 1 and mask.any():
        kernel = np.ones((open_kernel_px, open_kernel_px), np.uint8)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
    mask = mask.astype(bool)
    return mask, float(mask.mean())


def frame_label(area_ratio: float, config: RealSetConfig) -> str:
    """``corrupted``, ``unaffected`` or ``ambiguous`` for a damaged-stream frame (see the module doc)."""
    if area_ratio >= config.min_area_ratio:
        return "corrupted"
    if area_ratio <= config.clean_max_area_ratio:
        return "unaffected"
    return "ambiguous"


def process_clip(
    name: str, frames: np.ndarray, rng: np.random.Generator, config: RealSetConfig
) -> ClipResult:
    """Encode, damage, decode and label one clip; the rows hold the images to write."""
    frames = _even_crop(_check_clip(frames, f"clip {name!r}"))
    num = frames.shape[0]
    slices = int(rng.choice(config.slices_choices))
    bframes = int(rng.choice(config.bframes_choices))
    cabac = bool(config.cabac_choices[int(rng.integers(len(config.cabac_choices)))])
    packets = encode_h264(frames, config.fps, config.crf, config.preset, slices, bframes, cabac)
    clean, clean_counts = decode_h264(packets, num)
    if len(clean) != num or clean_counts["packet_errors"]:
        raise RuntimeError(f"clip {name!r}: the intact stream did not decode cleanly ({clean_counts})")
    attempts: list[dict[str, Any]] = []
    for _ in range(config.max_attempts):
        hits = sample_hits(rng, packets, config)
        damaged, counts = decode_h264(apply_hits(packets, hits), num)
        labels: dict[int, tuple[str, float, np.ndarray]] = {}
        for index in range(num):
            if index in damaged:
                mask, ratio = corruption_mask(
                    damaged[index],
                    clean[index],
                    config.diff_threshold,
                    config.open_kernel_px,
                    config.tolerance_px,
                )
                labels[index] = (frame_label(ratio, config), ratio, mask)
        attempts.append({"hits": [dataclasses.asdict(h) for h in hits], **counts})
        if not hits or any(lab == "corrupted" for lab, _, _ in labels.values()):
            break
    corrupted = sorted(i for i, (lab, _, _) in labels.items() if lab == "corrupted")
    n_clean = min(num, int(round(config.clean_per_corrupted * len(corrupted))))
    clean_indices = sorted(int(i) for i in rng.choice(num, size=n_clean, replace=False)) if n_clean else []
    result = ClipResult(name=name)
    for index in corrupted:
        _, ratio, mask = labels[index]
        result.rows.append(
            {
                "label": "corrupted",
                "frame_index": index,
                "area_ratio": ratio,
                "image": damaged[index],
                "mask": mask,
            }
        )
    for index in clean_indices:
        result.rows.append(
            {
                "label": "clean",
                "frame_index": index,
                "area_ratio": 0.0,
                "image": clean[index],
                "mask": np.zeros(frames.shape[1:3], bool),
            }
        )
    result.rows.sort(key=lambda r: (r["frame_index"], r["label"]))
    verdicts = [lab for lab, _, _ in labels.values()]
    result.stats = {
        "clip": name,
        "frames": num,
        "height": int(frames.shape[1]),
        "width": int(frames.shape[2]),
        "slices": slices,
        "bframes": bframes,
        "cabac": cabac,
        "packet_bytes": sum(len(p.data) for p in packets),
        "attempts": attempts,
        "corrupted": len(corrupted),
        "clean": n_clean,
        "ambiguous_skipped": verdicts.count("ambiguous"),
        "unaffected_skipped": verdicts.count("unaffected"),
        "lost_frames": num - len(labels),
        "corrupted_area_ratios": [round(labels[i][1], 6) for i in corrupted],
        "ambiguous_area_ratios": [round(r, 6) for lab, r, _ in labels.values() if lab == "ambiguous"],
    }
    return result


# -------------------------------------------------------------------------------------------- build


def build_real_set(
    out_dir: str | os.PathLike,
    clips: Iterable[tuple[str, np.ndarray]],
    seed: int,
    config: RealSetConfig | None = None,
    total: int | None = None,
    progress: bool = True,
    overwrite: bool = False,
    source: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the set in ``out_dir`` from ``(name, uint8 (T, H, W, 3))`` clips; returns the summary.

    Clip ``k`` (in iteration order) is damaged with ``np.random.default_rng([seed, k])``. Names
    become folder names (letters, digits, ``._-``; others are replaced) and must be unique.
    ``out_dir`` must be absent or empty, or hold an earlier set and ``overwrite`` be true.
    ``source`` is recorded in the summary (where the clips came from).
    """
    config = config or RealSetConfig()
    out_dir = Path(out_dir)
    check_target(out_dir, overwrite, SET_KIND, "real set", "summary.json")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    try:
        summary = _build(staging, clips, int(seed), config, total, progress, source or {})
        publish(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary


def _build(
    root: Path,
    clips: Iterable[tuple[str, np.ndarray]],
    seed: int,
    config: RealSetConfig,
    total: int | None,
    progress: bool,
    source: dict[str, Any],
) -> dict[str, Any]:
    if progress:
        from vqa_train.progress import track

        clips = track(clips, "real set: damaging clips", total=total)
    manifest_rows: list[dict[str, Any]] = []
    clip_stats: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, (name, frames) in enumerate(clips):
        folder = _folder_name(str(name))
        if folder in seen:
            raise ValueError(f"clip name {name!r} is not unique (folder {folder!r})")
        seen.add(folder)
        result = process_clip(folder, frames, np.random.default_rng([seed, index]), config)
        for row in result.rows:
            stem = f"{row['frame_index']:05d}_{row['label']}.png"
            path, mask_path = f"frames/{folder}/{stem}", f"masks/{folder}/{stem}"
            _write_png(root / path, row["image"][:, :, ::-1])
            _write_png(root / mask_path, row["mask"].astype(np.uint8) * 255)
            manifest_rows.append(
                {
                    "path": path,
                    "label": row["label"],
                    "mask_path": mask_path,
                    "clip": folder,
                    "frame_index": row["frame_index"],
                    "area_ratio": f"{row['area_ratio']:.6f}",
                }
            )
        clip_stats.append(result.stats)
    if not clip_stats:
        raise ValueError("no clips given")
    summary = _summary(seed, config, clip_stats, source)
    with open(root / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        writer.writerows(manifest_rows)
    (root / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (root / "README.md").write_text(_readme(summary), encoding="utf-8")
    return summary


def _summary(
    seed: int, config: RealSetConfig, clips: list[dict[str, Any]], source: dict[str, Any]
) -> dict[str, Any]:
    def total(key: str) -> int:
        return int(sum(c[key] for c in clips))

    corrupted_ratios = np.array([r for c in clips for r in c["corrupted_area_ratios"]], dtype=np.float64)
    ambiguous_ratios = np.array([r for c in clips for r in c["ambiguous_area_ratios"]], dtype=np.float64)
    return {
        "kind": SET_KIND,
        "version": SET_VERSION,
        "seed": seed,
        "labels": list(LABELS),
        "manifest_columns": list(MANIFEST_COLUMNS),
        "source": source,
        "config": dataclasses.asdict(config),
        "counts": {
            "clips": len(clips),
            "clips_without_corruption": sum(1 for c in clips if c["corrupted"] == 0),
            "decoded_frames": total("frames"),
            "corrupted": total("corrupted"),
            "clean": total("clean"),
            "ambiguous_skipped": total("ambiguous_skipped"),
            "unaffected_skipped": total("unaffected_skipped"),
            "lost_frames": total("lost_frames"),
        },
        "area_ratio": {
            "corrupted": _distribution(corrupted_ratios),
            "ambiguous": _distribution(ambiguous_ratios),
        },
        "clips": clips,
    }


def _distribution(values: np.ndarray) -> dict[str, float | int]:
    if values.size == 0:
        return {"count": 0}
    q = np.percentile(values, [0, 10, 50, 90, 100])
    return {
        "count": int(values.size),
        "mean": round(float(values.mean()), 6),
        **{k: round(float(v), 6) for k, v in zip(("min", "p10", "median", "p90", "max"), q)},
    }


def _readme(summary: dict[str, Any]) -> str:
    c, cfg = summary["counts"], summary["config"]
    dist = summary["area_ratio"]["corrupted"]
    return f"""# Real block-corruption set

Built by `synth.video.realset` (seed {summary["seed"]}). Each clip was encoded with libx264
(yuv420p, crf {cfg["crf"]}, one IDR frame then P frames, with up to {_choices(cfg["bframes_choices"])} B frames
in a row and {_choices(cfg["slices_choices"])} slices per frame, drawn per clip), bytes inside non-IDR slices
were overwritten past the slice header ({_choices(cfg["hits_range"], "to")} hits per clip, random bytes or
bit flips), and FFmpeg's H.264 decoder decoded the damaged stream with its default error concealment.

## Labels

`manifest.csv` columns: `{",".join(summary["manifest_columns"])}` (paths relative to this folder).

- A pixel is *changed* when, in some channel, it lies more than {cfg["diff_threshold"]} outside the range
  of the intact decode of the same frame within {cfg["tolerance_px"]} pixels (content merely displaced by
  concealment by a pixel or two is not counted); the changed mask is opened with a
  {cfg["open_kernel_px"]}x{cfg["open_kernel_px"]} square.
- **corrupted**: a frame of the damaged decode whose opened mask covers >= {cfg["min_area_ratio"]} of
  the frame; `mask_path` is that mask (255 = changed), `area_ratio` its coverage.
- **clean**: a frame of the intact decode (bit-exact what the decoder gives for the undamaged
  stream), sampled at about {cfg["clean_per_corrupted"]} per corrupted frame of the same clip;
  its mask is all zeros.
- Damaged-decode frames covering more than {cfg["clean_max_area_ratio"]} but less than
  {cfg["min_area_ratio"]} are **ambiguous** and left out, as are damaged-decode frames with no visible
  change (their clean twin may be in the set) and frames the decoder lost.

## Counts

| clips | corrupted | clean | ambiguous (skipped) | unaffected (skipped) | lost |
|---|---|---|---|---|---|
| {c["clips"]} | {c["corrupted"]} | {c["clean"]} | {c["ambiguous_skipped"]} | {c["unaffected_skipped"]} | {c["lost_frames"]} |

Corrupted area ratio: {json.dumps(dist)}.
`summary.json` records every clip's encoder settings and the exact bytes hit.
"""


def _choices(values: Sequence[int], word: str = "or") -> str:
    return f" {word} ".join(str(v) for v in values)


def _write_png(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".png", np.ascontiguousarray(image))
    if not ok:
        raise RuntimeError(f"could not encode {path} as PNG")
    path.write_bytes(data.tobytes())


def _folder_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    if not cleaned:
        raise ValueError(f"clip name {name!r} has no usable characters")
    return cleaned


def _check_clip(frames: np.ndarray, what: str) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
        raise ValueError(f"{what}: expected uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    if frames.shape[0] < 2 or min(frames.shape[1:3]) < 16:
        raise ValueError(f"{what}: need at least 2 frames of at least 16x16, got {frames.shape}")
    return frames


def _even_crop(frames: np.ndarray) -> np.ndarray:
    """Drop a last odd row/column (4:2:0 needs even sizes)."""
    height, width = frames.shape[1] // 2 * 2, frames.shape[2] // 2 * 2
    return frames[:, :height, :width]


# ------------------------------------------------------------------------------------------- clips


def source_clips(
    sources: Sequence[tuple[str, ClipSource]],
    n_clips: int,
    num_frames: int,
    height: int,
    width: int,
    seed: int,
) -> Iterator[tuple[str, np.ndarray]]:
    """``n_clips`` clips from the sources in turn, from the held-out ``test`` split; clip ``k`` uses
    ``np.random.default_rng([seed, 1, k])`` (a stream apart from the damage's generators)."""
    for k in range(n_clips):
        prefix, source = sources[k % len(sources)]
        frames, _ = source.clip(np.random.default_rng([seed, 1, k]), "test", num_frames, height, width)
        yield f"{prefix}{k:04d}", frames


VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".mts", ".flv"}
)


def folder_clips(
    folder: str | os.PathLike, num_frames: int, height: int, width: int, max_clips: int | None = None
) -> Iterator[tuple[str, np.ndarray]]:
    """Consecutive chunks of ``num_frames`` frames of the videos under ``folder`` (sorted, recursive),
    scaled to cover ``width x height`` and centre-cropped; a shorter tail is dropped."""
    from synth.media import MediaError, MediaWarning, iter_video_frames

    paths = sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    if not paths:
        raise FileNotFoundError(f"{folder}: no video files ({', '.join(sorted(VIDEO_SUFFIXES))})")
    produced = 0
    for path in paths:
        stem = _folder_name(path.relative_to(folder).with_suffix("").as_posix().replace("/", "_"))
        chunk: list[np.ndarray] = []
        part = 0
        try:
            for _, frame in iter_video_frames(path):
                chunk.append(cover(frame, height, width))
                if len(chunk) == num_frames:
                    yield f"{stem}_c{part:03d}", np.stack(chunk)
                    chunk, part, produced = [], part + 1, produced + 1
                    if max_clips is not None and produced >= max_clips:
                        return
        except MediaError as exc:
            warnings.warn(f"skipping {exc}", MediaWarning, stacklevel=2)


# --------------------------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog="python -m synth.video.realset",
        description="Build a real block-corruption set: H.264 clips with damaged packets, decoded by FFmpeg.",
    )
    parser.add_argument("--out", required=True, help="output folder (absent, empty, or an earlier set)")
    parser.add_argument("--folder", help="your own videos (default: procedural and scikit-image content)")
    parser.add_argument("--clips", type=int, default=40, help="number of clips (default 40)")
    parser.add_argument("--frames", type=int, default=48, help="frames per clip (default 48)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--content", choices=("mixed", "procedural", "skimage"), default="mixed")
    parser.add_argument("--crf", type=int, default=RealSetConfig.crf)
    parser.add_argument("--diff-threshold", type=int, default=RealSetConfig.diff_threshold)
    parser.add_argument("--min-area-ratio", type=float, default=RealSetConfig.min_area_ratio)
    parser.add_argument("--overwrite", action="store_true", help="replace an earlier set in --out")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.clips < 1 or args.frames < 2:
        parser.error("--clips must be >= 1 and --frames >= 2")
    config = RealSetConfig(
        crf=args.crf, diff_threshold=args.diff_threshold, min_area_ratio=args.min_area_ratio
    )
    if args.folder:
        clips = folder_clips(args.folder, args.frames, args.height, args.width, max_clips=args.clips)
        source = {"folder": str(args.folder)}
    else:
        from synth.video.sources import ProceduralFrames, SkimageFrames

        available = {"procedural": ("proc", ProceduralFrames()), "skimage": ("skim", SkimageFrames())}
        chosen = list(available) if args.content == "mixed" else [args.content]
        clips = source_clips(
            [available[c] for c in chosen], args.clips, args.frames, args.height, args.width, args.seed
        )
        source = {"content": chosen, "split": "test"}
    source.update(frames_per_clip=args.frames, width=args.width, height=args.height)
    summary = build_real_set(
        args.out,
        clips,
        args.seed,
        config=config,
        total=args.clips,
        progress=not args.no_progress,
        overwrite=args.overwrite,
        source=source,
    )
    counts = summary["counts"]
    print(
        f"{args.out}: {counts['corrupted']} corrupted + {counts['clean']} clean frames from {counts['clips']} clips "
        f"({counts['ambiguous_skipped']} ambiguous skipped)"
    )
    return summary


if __name__ == "__main__":
    main()
