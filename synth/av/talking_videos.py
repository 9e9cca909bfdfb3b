"""Write procedural talking-head videos (in sync) to a folder, as stand-ins for a user's own footage.

``python -m synth.av.talking_videos --out DIR --videos 12 --seconds 10 [--fps 25] [--seed 0]``
renders :class:`~synth.av.AVSyncSynth` clips with exactly zero offset (one speaker, several faces
with one speaking, or a cut between two speakers) and muxes each as H.264 + AAC MP4 through
:func:`synth.av.io.write_av_clip`. The folder is what :mod:`synth.av.realset` expects ("any folder
of talking videos"), so the real-offset pipeline (container-level offsets, a real encode/decode
round trip, frame-rate conversion when ``--fps`` is not 25) can be exercised end to end without
anyone's footage. Files are written atomically; ``meta.json`` lists what each video holds.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from synth.av.io import write_av_clip
from synth.av.offset import AVOffset
from synth.av.synthesizer import AVSyncSynth

KINDS = {"single": 0.6, "multi": 0.2, "cut": 0.2}


def write_talking_videos(
    out: str | Path,
    videos: int = 12,
    seconds: float = 10.0,
    fps: float = 25.0,
    seed: int = 0,
    height: int = 360,
    width: int = 640,
) -> list[Path]:
    out = Path(out)
    if videos < 1 or seconds <= 0 or fps <= 0:
        raise ValueError(f"need videos >= 1, seconds > 0, fps > 0; got {videos}, {seconds}, {fps}")
    out.mkdir(parents=True, exist_ok=True)
    synth = AVSyncSynth(
        AVOffset(in_sync_prob=1.0, tolerance_ms=(0.0, 0.0)),
        seed=seed,
        fps=fps,
        seconds=seconds,
        height=height,
        width=width,
        kind_weights=KINDS,
    )
    from vqa_train.progress import track
    from vqa_train.utils.atomic import write_json

    paths, meta = [], []
    for i in track(range(videos), "talking videos", total=videos):
        clip = synth.clip("test", i)
        path = write_av_clip(out / f"talk_{i:03d}.mp4", clip.frames, fps, clip.audio, clip.sample_rate)
        paths.append(path)
        meta.append(
            {"path": path.name, "kind": clip.target.params["kind"], "faces": clip.target.stats["faces"]}
        )
    write_json(out / "meta.json", {"seed": seed, "fps": fps, "seconds": seconds, "videos": meta})
    return paths


def main(argv: Sequence[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--videos", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--width", type=int, default=640)
    a = parser.parse_args(argv)
    paths = write_talking_videos(a.out, a.videos, a.seconds, a.fps, a.seed, a.height, a.width)
    print(f"wrote {len(paths)} videos to {a.out}")
    return paths


if __name__ == "__main__":
    main()
