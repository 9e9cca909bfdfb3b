"""Lip-sync pipeline speed on CPU, stage by stage, for a 4-second 640x360 clip read from a file.

    python experiments/av_sync/bench_speed.py CKPT_OR_EXPORT_DIR [--threads 2] [--runs 5]

The clip is a procedural talking head (test split, several kinds) written as H.264 + AAC MP4 at
25 fps; each run decodes it with synth.av.io.load_av_clip and runs the whole pipeline. With a
checkpoint the sync network runs in PyTorch; with an export folder, through the three ONNX
graphs (as detect.py does). Reports the median seconds of each stage over the runs and clips and
writes results/speed_<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

import vqa_train  # noqa: F401
from synth.av import AVOffset, AVSyncSynth
from synth.av.io import load_av_clip, write_av_clip
from vqa_train.avsync.pipeline import PipelineConfig, SyncPipeline, torch_scorer
from vqa_train.utils.atomic import write_json

OUT = Path(__file__).parent / "results"


def main(model: str, threads: int, runs: int) -> dict:
    torch.set_num_threads(threads)
    path = Path(model)
    if path.is_dir():
        from vqa_train.deploy.runners import onnx_scorer

        meta = json.loads((path / "av_sync.json").read_text())
        scorer, backend = onnx_scorer({**meta, "_export_dir": path}), "onnx"
        config = PipelineConfig.from_dict(meta.get("pipeline"), max_offset_frames=meta["max_offset_frames"])
    else:
        from vqa_train.checkpoint import load_detector

        net, info = load_detector(path)
        det = info["detector"]
        scorer, backend = torch_scorer(net), "torch"
        config = PipelineConfig.from_dict(det.get("pipeline"), max_offset_frames=det["max_offset_frames"])
    pipe = SyncPipeline(scorer, config)
    synth = AVSyncSynth(AVOffset(), seed=99, kind_weights={"single": 2, "multi": 1, "cut": 1})
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(3):
            clip = synth.clip("test", i)
            media = write_av_clip(Path(tmp) / f"{i}.mp4", clip.frames, 25.0, clip.audio, 16000)
            for r in range(runs + 1):
                t0 = time.perf_counter()
                av = load_av_clip(media, duration_s=4.0)
                decode = time.perf_counter() - t0
                verdict = pipe(av.frames, av.audio)
                if r == 0:
                    continue  # warm-up
                stages = {"decode": decode, **verdict.seconds}
                stages["total"] = decode + verdict.seconds["total"]
                for k, v in stages.items():
                    times.setdefault(k, []).append(v)
    result = {
        "backend": backend,
        "threads": threads,
        "clip": "4 s, 640x360, 25 fps H.264 + AAC, procedural talking heads (1-3 faces)",
        "median_seconds": {k: round(statistics.median(v), 4) for k, v in times.items()},
        "max_total_seconds": round(max(times["total"]), 4),
        "runs": len(times["total"]),
        "pipeline": config.__dict__ | {"tolerance_ms": list(config.tolerance_ms)},
    }
    write_json(OUT / f"speed_{backend}.json", result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", help="a checkpoint (PyTorch) or an export folder (ONNX Runtime)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    a = parser.parse_args()
    main(a.model, a.threads, a.runs)
