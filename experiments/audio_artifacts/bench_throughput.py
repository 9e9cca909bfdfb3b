"""Is the data pipeline the bottleneck? Synthetic segments/s vs training-step samples/s.

    python experiments/audio_artifacts/bench_throughput.py [overrides ...]
    python experiments/audio_artifacts/bench_throughput.py experiment=audio_artifacts_bf16_cpu30

Both are measured on this machine with the recipe's config (``experiment=audio_artifacts_cpu30``
unless an override names another): data generation in one process (what one DataLoader worker
does), the training step (forward + backward + AdamW) with torch's threads, under bf16 autocast
when the recipe's ``trainer.precision`` is ``bf16-mixed``, with the per-cell loss too when the recipe
sets ``model.frame_loss_weight``, in channels-last layout when ``callbacks.channels_last`` is on. Writes
experiments/audio_artifacts/results/throughput.json (``throughput_<experiment>.json`` for another
recipe).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import hydra
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import vqa_train  # noqa: F401
from vqa_train.utils.atomic import write_json
from vqa_train.utils.config import CONF_DIR

RESULTS = Path(__file__).parent / "results"
DEFAULT_EXPERIMENT = "audio_artifacts_cpu30"


def main(overrides: list[str]) -> dict:
    named = [o.split("=", 1)[1] for o in overrides if o.startswith("experiment=")]
    experiment = named[-1] if named else DEFAULT_EXPERIMENT
    if not named:
        overrides = [f"experiment={experiment}", *overrides]
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    bf16 = str(cfg.trainer.get("precision", "32")).startswith("bf16")
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    module = hydra.utils.instantiate(cfg.model, _convert_="partial")
    ds = dm.dataset("train")

    n_data = 600
    ds[0]
    t0 = time.perf_counter()
    batch = [ds[i] for i in range(n_data)]
    data_rate = n_data / (time.perf_counter() - t0)

    bs = int(cfg.data.batch_size)
    waves = torch.stack([b[0] for b in batch[:bs]])
    labels = torch.tensor([b[-1] for b in batch[:bs]])
    where = len(batch[0]) > 2 and getattr(module, "trains_where", False)  # the frame-loss recipes' terms
    flags = torch.stack([b[1] for b in batch[:bs]]) if where else None
    channels_last = bool(OmegaConf.select(cfg, "callbacks.channels_last.enabled", default=False))
    if channels_last:  # as the ChannelsLast callback lays the model out for fitting
        module.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(module.parameters(), lr=1e-3)
    module.train()
    steps, warmup = 12, 2
    for i in range(steps + warmup):
        if i == warmup:
            t0 = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = module.net.forward_cells(waves) if where else {"logits": module(waves)}
        loss = torch.nn.functional.cross_entropy(out["logits"].float(), labels)
        if where:
            loss = loss + module.where_loss({k: v.float() for k, v in out.items()}, flags, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    train_rate = steps * bs / (time.perf_counter() - t0)

    result = {
        "command": "python experiments/audio_artifacts/bench_throughput.py "
        + " ".join(o for o in overrides if o != f"experiment={DEFAULT_EXPERIMENT}"),
        "experiment": experiment,
        "precision": "bf16 autocast" if bf16 else "fp32",
        "layout": "channels_last" if channels_last else "nchw",
        "machine": {"cpus": torch.get_num_threads(), "processor": platform.processor() or platform.machine()},
        "model": {"arch": cfg.model.net.arch, "width": cfg.model.net.width, "batch_size": bs},
        "data_segments_per_s_one_process": round(data_rate, 1),
        "train_samples_per_s": round(train_rate, 1),
        "ratio_data_over_train": round(data_rate / train_rate, 2),
        "target_ratio": 2.0,
    }
    name = "throughput.json" if experiment == DEFAULT_EXPERIMENT else f"throughput_{experiment}.json"
    write_json(RESULTS / name, result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
