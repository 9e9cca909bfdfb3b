"""ONNX Runtime vs PyTorch eager on CPU for an exported audio detector.

    python experiments/audio_artifacts/bench_onnx.py EXPORT_DIR [batch_size] [out.json]

Real-time factor = seconds of audio processed per second of compute (higher is faster). Both run
the same random 1-second segments with the same thread count. Writes results/onnx_speed.json
(or ``out.json``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

import vqa_train  # noqa: F401
from vqa_train.checkpoint import load_detector
from vqa_train.utils.atomic import write_json

OUT = Path(__file__).parent / "results" / "onnx_speed.json"


def _time(fn, repeats: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


def main(export_dir: str, batch_size: int = 32, repeats: int = 10, out: Path = OUT) -> dict:
    sidecar = json.loads((Path(export_dir) / "audio_artifacts.json").read_text())
    threads = torch.get_num_threads()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(
        str(Path(export_dir) / sidecar["onnx"]), opts, providers=["CPUExecutionProvider"]
    )
    net, _ = load_detector(sidecar["ckpt_path"])
    seg = int(sidecar["sample_rate"] * sidecar["segment_s"])
    x = (np.random.default_rng(0).standard_normal((batch_size, seg)) * 0.1).astype(np.float32)
    xt = torch.from_numpy(x)

    def eager():
        with torch.inference_mode():
            net(xt).softmax(1)

    t_ort = _time(lambda: sess.run(None, {"waveform": x}), repeats)
    t_eager = _time(eager, repeats)
    audio_s = batch_size * sidecar["segment_s"]
    result = {
        "command": f"python experiments/audio_artifacts/bench_onnx.py {export_dir} {batch_size} {out}",
        "threads": threads,
        "batch_size": batch_size,
        "onnxruntime_realtime_factor": round(audio_s / t_ort, 1),
        "pytorch_eager_realtime_factor": round(audio_s / t_eager, 1),
        "onnx_speedup_over_eager": round(t_eager / t_ort, 2),
    }
    write_json(Path(out), result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(
        sys.argv[1],
        int(sys.argv[2]) if len(sys.argv) > 2 else 32,
        out=Path(sys.argv[3]) if len(sys.argv) > 3 else OUT,
    )
