"""Can the block-corruption net train on a CPU? One training step at 224x224 in fp32 / bf16, NCHW / NHWC.

    python experiments/block_corruption/bench_cpu_step.py [--batch-size 32 --rounds 3]

Times forward + backward + AdamW of the recipe's ``BlockMapNet`` (map head and frame head, both
losses) on one batch of random 224x224 frames, for each precision (fp32, bf16 autocast as
``trainer.precision=bf16-mixed`` runs it) and layout (NCHW, channels-last as
``callbacks.channels_last.enabled=true`` sets it), in ``--rounds`` alternating rounds; the median is
reported. bf16 is only fast where the CPU has native bf16 (AVX-512 BF16 or AMX); elsewhere PyTorch
emulates it. Writes results/cpu_step.json.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import statistics
import time
from pathlib import Path

import hydra
import torch
from hydra import compose, initialize_config_dir
from torch.nn import functional as F

import vqa_train  # noqa: F401
from vqa_train.utils.atomic import write_json
from vqa_train.utils.config import CONF_DIR

OUT = Path(__file__).parent / "results" / "cpu_step.json"
SIZE = 224


def step_seconds(
    net: torch.nn.Module, batch: torch.Tensor, bf16: bool, steps: int = 4, warmup: int = 2
) -> float:
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    cells = torch.rand(batch.shape[0], 1, SIZE // 32, SIZE // 32).round()
    labels = torch.randint(0, 2, (batch.shape[0],)).float()
    net.train()
    for i in range(steps + warmup):
        if i == warmup:
            t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            map_logits, frame_logits = net(batch)
        loss = F.binary_cross_entropy_with_logits(map_logits.float(), cells)
        loss = loss + F.binary_cross_entropy_with_logits(frame_logits.float(), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - t0) / steps


def main(experiment: str, rounds: int, batch_size: int) -> dict:
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"experiment={experiment}"])
    batch = torch.rand(batch_size, 3, SIZE, SIZE)
    variants = list(itertools.product(("fp32", "bf16"), ("nchw", "channels_last")))
    times: dict[tuple[str, str], list[float]] = {v: [] for v in variants}
    for _ in range(rounds):
        for precision, layout in variants:
            torch.manual_seed(0)
            net = hydra.utils.instantiate(cfg.model.net)
            x = batch
            if layout == "channels_last":
                net = net.to(memory_format=torch.channels_last)
                x = batch.contiguous(memory_format=torch.channels_last)
            times[(precision, layout)].append(step_seconds(net, x, precision == "bf16"))
    base = statistics.median(times[("fp32", "nchw")])
    rows = []
    for (precision, layout), values in times.items():
        median = statistics.median(values)
        row = {
            "precision": precision,
            "layout": layout,
            "step_s": round(median, 3),
            "frames_per_s": round(batch_size / median, 1),
            "speedup_vs_fp32_nchw": round(base / median, 2),
        }
        print(row)
        rows.append(row)
    options = ["--rounds", str(rounds), "--batch-size", str(batch_size)]
    result = {
        "command": " ".join(
            ["python experiments/block_corruption/bench_cpu_step.py --experiment", experiment, *options]
        ),
        "machine": {
            "threads": torch.get_num_threads(),
            "processor": platform.processor() or platform.machine(),
        },
        "frame_size": [SIZE, SIZE],
        "batch_size": batch_size,
        "rounds": rounds,
        "rows": rows,
    }
    write_json(OUT, result)
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiment", default="block_corruption_codec_clips_cpu")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    a = ap.parse_args()
    main(a.experiment, a.rounds, a.batch_size)
