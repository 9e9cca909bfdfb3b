"""Evaluate a checkpoint: ``python eval.py detector=audio_artifacts ckpt_path=PATH [real_set=DIR]``.

The last stdout line is ``balanced_accuracy=<value>``.
"""

import sys

import hydra
from omegaconf import DictConfig

import vqa_train  # noqa: F401
from vqa_train.evaluation import evaluate
from vqa_train.utils.cli import check_overrides, run_task


@hydra.main(version_base="1.3", config_path="conf", config_name="eval")
def main(cfg: DictConfig) -> float:
    report = run_task(evaluate, cfg)
    if "dsp_baseline" in report:
        print(f"dsp_baseline_balanced_accuracy={report['dsp_baseline']['balanced_accuracy']:.4f}")
    bacc = report["model"]["balanced_accuracy"]
    print(f"balanced_accuracy={bacc:.4f}", flush=True)
    return bacc


if __name__ == "__main__":
    check_overrides("eval", sys.argv[1:])
    main()
