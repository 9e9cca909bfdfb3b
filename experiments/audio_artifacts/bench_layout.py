"""How much faster is a training step in channels-last layout? CNN6 at two widths, NCHW vs NHWC.

    python experiments/audio_artifacts/bench_layout.py [--experiment audio_artifacts_frames_cpu30]

Times forward + backward + AdamW of the recipe's net (the per-cell head included) on one batch of
random segments, each layout in turn, for ``--rounds`` alternating rounds (the median is reported, so
a busy moment on the machine does not decide it). Writes results/layout_speed.json.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import hydra
import torch
from hydra import compose, initialize_config_dir

import vqa_train  # noqa: F401
from vqa_train.utils.atomic import write_json
from vqa_train.utils.config import CONF_DIR

OUT = Path(__file__).parent / "results" / "layout_speed.json"


def step_seconds(net: torch.nn.Module, batch: torch.Tensor, steps: int = 6, warmup: int = 2) -> float:
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    net.train()
    for i in range(steps + warmup):
        if i == warmup:
            t0 = time.perf_counter()
        out = net.forward_cells(batch)
        loss = out["logits"].logsumexp(dim=1).mean() + out["cells"].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - t0) / steps


def main(experiment: str, widths: list[int], rounds: int, batch_size: int) -> dict:
    batch = torch.randn(batch_size, 32000) * 0.1
    rows = []
    for width in widths:
        with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
            cfg = compose("train", overrides=[f"experiment={experiment}", f"model.net.width={width}"])
        times: dict[str, list[float]] = {"nchw": [], "channels_last": []}
        for _ in range(rounds):
            for layout in times:
                torch.manual_seed(0)
                net = hydra.utils.instantiate(cfg.model.net)
                if layout == "channels_last":
                    net = net.to(memory_format=torch.channels_last)
                times[layout].append(step_seconds(net, batch))
        median = {k: statistics.median(v) for k, v in times.items()}
        row = {
            "width": width,
            "step_s": {k: round(v, 4) for k, v in median.items()},
            "speedup": round(median["nchw"] / median["channels_last"], 3),
        }
        print(row)
        rows.append(row)
    options = ["--widths", *map(str, widths), "--rounds", str(rounds), "--batch-size", str(batch_size)]
    result = {
        "command": " ".join(
            ["python experiments/audio_artifacts/bench_layout.py --experiment", experiment, *options]
        ),
        "machine": {"cpus": torch.get_num_threads(), "processor": platform.processor() or platform.machine()},
        "batch_size": batch_size,
        "rounds": rounds,
        "rows": rows,
    }
    write_json(OUT, result)
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiment", default="audio_artifacts_frames_cpu30")
    ap.add_argument("--widths", type=int, nargs="+", default=[32, 48])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    a = ap.parse_args()
    main(a.experiment, a.widths, a.rounds, a.batch_size)
