"""What the block-corruption synthesiser costs on one core: crowd scenes, a scene bank, steady frames.

    python experiments/block_corruption/bench_synth.py [--experiment block_corruption_gpu]

Three timings in one process: rendering a 640x360 crowd scene (the costliest content, 30 seeds),
building a worker's train scene bank at 224x224 (``ProceduralFrames().warm``, what every data
worker does on first use), and the cost of one training frame of the recipe once its banks are
full (``--frames`` frames after ``--warm`` frames). Prints one ``name=value`` line each.
"""

from __future__ import annotations

import argparse
import time

import hydra
import numpy as np
from hydra import compose, initialize_config_dir

import vqa_train  # noqa: F401  (environment defaults)
from synth.video.sources.procedural import ProceduralFrames, scene_crowd
from vqa_train.utils.config import CONF_DIR


def main(experiment: str, warm: int, frames: int) -> dict[str, float]:
    t0 = time.perf_counter()
    for seed in range(30):
        scene_crowd(np.random.default_rng([3, seed]), 360, 640)
    crowd_ms = (time.perf_counter() - t0) / 30 * 1000

    t0 = time.perf_counter()
    ProceduralFrames().warm("train", 224, 224)
    bank_s = time.perf_counter() - t0

    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"experiment={experiment}"])
    synth = hydra.utils.instantiate(cfg.data, _convert_="partial").synth
    for i in range(warm):
        synth.sample("train", i)
    t0 = time.perf_counter()
    for i in range(warm, warm + frames):
        synth.sample("train", i)
    frame_ms = (time.perf_counter() - t0) / frames * 1000

    result = {
        "crowd_scene_640x360_ms": round(crowd_ms, 1),
        "train_bank_224x224_s": round(bank_s, 2),
        f"frame_ms_after_{warm}": round(frame_ms, 2),
    }
    for k, v in result.items():
        print(f"{k}={v}")
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiment", default="block_corruption_gpu")
    ap.add_argument("--warm", type=int, default=3000)
    ap.add_argument("--frames", type=int, default=1500)
    a = ap.parse_args()
    main(a.experiment, a.warm, a.frames)
