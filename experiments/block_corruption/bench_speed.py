"""Block-corruption inference speed on CPU: ONNX Runtime vs PyTorch eager vs FFmpeg blockdetect.

    python experiments/block_corruption/bench_speed.py EXPORT_DIR [--threads 2] [--frames 8]

All three see the same frames (pristine procedural frames from the test split) at 224x224,
640x360 and 1280x720, one frame per call as a stream would feed them, with the same thread
count. Writes results/speed.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

import vqa_train  # noqa: F401
from synth.core import sample_rng
from synth.video import ProceduralFrames
from vqa_train.baselines.blockdetect import blockdetect_scores
from vqa_train.checkpoint import load_detector
from vqa_train.utils.atomic import write_json

OUT = Path(__file__).parent / "results" / "speed.json"
SIZES = ((224, 224), (360, 640), (720, 1280))


def _fps(fn, frames: list[np.ndarray]) -> float:
    fn(frames[0])  # warm-up (allocations, graph optimisation)
    t0 = time.perf_counter()
    for f in frames:
        fn(f)
    return len(frames) / (time.perf_counter() - t0)


def main(export_dir: str, threads: int, count: int) -> dict:
    torch.set_num_threads(threads)
    sidecar = json.loads((Path(export_dir) / "block_corruption.json").read_text())
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(
        str(Path(export_dir) / sidecar["onnx"]), opts, providers=["CPUExecutionProvider"]
    )
    net, _ = load_detector(sidecar["ckpt_path"])
    source = ProceduralFrames()

    def to_input(frame: np.ndarray) -> np.ndarray:
        return (frame.transpose(2, 0, 1)[None].astype(np.float32) / 255.0).copy()

    def run_ort(frame: np.ndarray) -> None:
        sess.run(None, {"frames": to_input(frame)})

    def run_eager(frame: np.ndarray) -> None:
        with torch.inference_mode():
            net(torch.from_numpy(to_input(frame)))

    def run_blockdetect(frame: np.ndarray) -> None:
        blockdetect_scores([frame])

    rows = []
    for h, w in SIZES:
        frames = [source.frames(sample_rng(7, "test", i), "test", h, w)[1] for i in range(count)]
        fps = {
            name: _fps(fn, frames)
            for name, fn in (
                ("onnxruntime", run_ort),
                ("pytorch_eager", run_eager),
                ("blockdetect", run_blockdetect),
            )
        }
        rows.append(
            {
                "size": f"{w}x{h}",
                **{f"{k}_fps": round(v, 2) for k, v in fps.items()},
                "onnx_speedup_over_eager": round(fps["onnxruntime"] / fps["pytorch_eager"], 2),
            }
        )
        print(rows[-1], flush=True)
    result = {
        "command": f"python experiments/block_corruption/bench_speed.py {export_dir} --threads {threads} --frames {count}",
        "threads": threads,
        "frames_per_size": count,
        "batch_size": 1,
        "results": rows,
    }
    write_json(OUT, result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export_dir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--frames", type=int, default=8)
    args = ap.parse_args()
    main(args.export_dir, args.threads, args.frames)
