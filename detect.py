"""Run every exported detector over a media file: ``python detect.py input=FILE``."""

import sys

import hydra
from omegaconf import DictConfig

import vqa_train  # noqa: F401
from vqa_train.deploy.detect import detect
from vqa_train.utils.cli import check_overrides, run_task


@hydra.main(version_base="1.3", config_path="conf", config_name="detect")
def main(cfg: DictConfig) -> None:
    timeline = run_task(detect, cfg)
    n = sum(len(d.get("events", [])) for d in timeline["detectors"].values())
    print(f"{n} defect event(s); timeline: {cfg.output_json} plot: {cfg.output_png}")


if __name__ == "__main__":
    check_overrides("detect", sys.argv[1:])
    main()
