"""Train a detector: ``python train.py detector=audio_artifacts`` (see conf/train.yaml)."""

import sys

import hydra
from omegaconf import DictConfig

import vqa_train  # noqa: F401  (sets offline defaults for wandb/albumentations)
from vqa_train.train import train
from vqa_train.utils.cli import check_overrides, run_task


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    metrics, _ = run_task(train, cfg)
    value = metrics.get(cfg.get("optimized_metric") or "")
    return None if value is None else float(value)


if __name__ == "__main__":
    check_overrides("train", sys.argv[1:])
    main()
