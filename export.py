"""Export a checkpoint to ONNX: ``python export.py detector=audio_artifacts ckpt_path=PATH``."""

import sys

import hydra
from omegaconf import DictConfig

import vqa_train  # noqa: F401
from vqa_train.deploy.export import export
from vqa_train.utils.cli import check_overrides, run_task


@hydra.main(version_base="1.3", config_path="conf", config_name="export")
def main(cfg: DictConfig) -> None:
    result = run_task(export, cfg)
    print(f"exported {result['onnx']} (ONNX Runtime parity max |diff| = {result['parity_max_abs_diff']:.2e})")


if __name__ == "__main__":
    check_overrides("export", sys.argv[1:])
    main()
