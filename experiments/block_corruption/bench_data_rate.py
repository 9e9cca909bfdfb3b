"""Synthetic training frames per second that the data pipeline delivers (DataLoader, N workers).

    python experiments/block_corruption/bench_data_rate.py --workers 15 --batches 40
    python experiments/block_corruption/bench_data_rate.py --experiment block_corruption_codec_gpu

Composes ``experiment=block_corruption_gpu`` (or ``--experiment``: the same data as that recipe;
further Hydra overrides may follow), skips the first
batches (workers build their scene banks then), and prints the steady rate as the last line:
``frames_per_s=<value>``.
"""

from __future__ import annotations

import argparse
import time

import hydra
from hydra import compose, initialize_config_dir

import vqa_train  # noqa: F401
from vqa_train.utils.config import CONF_DIR


def main(
    workers: int,
    batches: int,
    warmup: int,
    batch_size: int,
    experiment: str = "block_corruption_gpu",
    extra: list[str] | None = None,
) -> float:
    overrides = [
        f"experiment={experiment}",
        f"data.num_workers={workers}",
        f"data.batch_size={batch_size}",
        "data.pin_memory=false",
        *(extra or []),
    ]
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    loader = dm.train_dataloader()
    it = iter(loader)
    for _ in range(warmup):
        next(it)
    t0 = time.perf_counter()
    n = 0
    for _ in range(batches):
        images, _, _ = next(it)
        n += len(images)
    rate = n / (time.perf_counter() - t0)
    print(f"workers={workers} batch_size={batch_size} frames={n}")
    print(f"frames_per_s={rate:.1f}", flush=True)
    return rate


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=None, help="batches skipped first (default: 2 per worker)")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--experiment", default="block_corruption_gpu")
    ap.add_argument("overrides", nargs="*", help="further Hydra overrides, e.g. data.codec.prob=0.5")
    a = ap.parse_args()
    warmup = a.warmup if a.warmup is not None else 2 * max(a.workers, 1)
    main(a.workers, a.batches, warmup, a.batch_size, a.experiment, a.overrides)
