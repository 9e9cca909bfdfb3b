"""Cost and yield of the codec-in-the-loop samples (synth/video/DEFECTS.md, "Codec in the loop").

    python experiments/block_corruption/bench_codec_loop.py --samples 100
    python experiments/block_corruption/bench_codec_loop.py --samples 100 --frames-per-clip 8 --clip-frames 10 --max-attempts 2

Draws ``--samples`` clean and as many corrupted 224x224 train samples with ``codec.prob=1`` from
the default mixed content (one process, after a warm-up that builds the scene banks) and prints
the time per sample of each class, how many corrupted samples showed codec damage on the first
draw or fell back to the hand-written defect, the visible area of the codec ones, and which clip
frame was picked. ``--frames-per-clip k`` draws them as the train sampler does with
``data.codec.frames_per_clip=k``: k consecutive indices share one encoded clip (``--clip-frames``
and ``--max-attempts`` as ``data.codec.clip_frames`` and ``max_attempts``).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from synth.video import BlockCorruption, BlockCorruptionSynth, HardNegatives, MixedFrames
from synth.video.sources import ProceduralFrames, SkimageFrames


def main(
    samples: int, warmup: int = 8, frames_per_clip: int = 1, clip_frames: int = 6, max_attempts: int = 4
) -> dict:
    source = MixedFrames({"procedural": ProceduralFrames(), "photos": SkimageFrames()}, weights=[0.7, 0.3])
    codec = {
        "prob": 1.0,
        "frames_per_clip": frames_per_clip,
        "clip_frames": clip_frames,
        "max_attempts": max_attempts,
    }
    synth = BlockCorruptionSynth(source, BlockCorruption(), HardNegatives(), codec=codec)
    warmup = -(-warmup // frames_per_clip) * frames_per_clip  # start on a group boundary
    for index in range(warmup):
        synth.sample("train", index)
    seconds = {"clean": [], "corrupted": []}
    fallback, first_draw, areas, frames = 0, 0, [], []
    for index in range(warmup, warmup + 2 * samples):
        t0 = time.perf_counter()
        _, mask, target = synth.sample("train", index)
        seconds[target.label].append(time.perf_counter() - t0)
        if target.label == "clean":
            continue
        codec = target.stats["codec"]
        fallback += codec["fallback"]
        if not codec["fallback"]:
            first_draw += codec["attempts"] == 1
            areas.append(float(mask.mean()))
            frames.append(codec["frame_index"])
    result = {
        "frames_per_clip": frames_per_clip,
        "ms_per_sample": round(1000 * float(np.mean(seconds["clean"] + seconds["corrupted"])), 1),
        "ms_per_clean_sample": round(1000 * float(np.mean(seconds["clean"])), 1),
        "ms_per_corrupted_sample": round(1000 * float(np.mean(seconds["corrupted"])), 1),
        "corrupted_samples": samples,
        "first_draw": first_draw,
        "fallback": fallback,
        "area_median": round(float(np.median(areas)), 4),
        "area_q10_q90": [round(float(q), 4) for q in np.quantile(areas, [0.1, 0.9])],
        "frame_index_counts": np.bincount(frames).tolist(),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=100, help="samples per class (default 100)")
    ap.add_argument("--frames-per-clip", type=int, default=1, help="samples per encoded clip (default 1)")
    ap.add_argument("--clip-frames", type=int, default=6, help="frames per encoded clip (default 6)")
    ap.add_argument("--max-attempts", type=int, default=4, help="damage draws per clip (default 4)")
    args = ap.parse_args()
    main(args.samples, 8, args.frames_per_clip, args.clip_frames, args.max_attempts)
