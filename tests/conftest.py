"""Shared fixtures: compose the real Hydra config, shrunk to run in seconds on 2 CPU cores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, open_dict

import vqa_train  # noqa: F401  (offline env defaults)
from vqa_train.utils.config import CONF_DIR

ROOT = Path(__file__).resolve().parents[1]
torch.set_num_threads(2)

# Runs small enough for tests; the real recipes live in conf/.
TINY_COMMON = [
    "logger=csv",
    "trainer.max_epochs=1",
    "trainer.log_every_n_steps=1",
    "data.train_size=24",
    "data.val_size=10",
    "data.test_size=10",
    "data.batch_size=8",
    "data.num_workers=0",
    "~callbacks.progress_bar",
    "~callbacks.model_summary",
    "callbacks.fit_to_time.budget_s=null",  # exactly trainer.max_epochs (the audio default fills 28 min)
]
# Per detector: what shrinks its network or its samples.
TINY_DETECTOR = {
    "audio_artifacts": ["model.net.width=4"],
    "block_corruption": ["detector.height=64", "detector.width=96", "model.net.head_hidden=8"],
    **{
        name: [
            "detector.height=24",
            "detector.width=32",
            "detector.num_frames=10",
            "model.net.width=4",
            "model.net.row_width=4",
            "model.net.embed_dim=8",
        ]
        for name in ("black_frames", "freeze", "stutter", "tearing")
    },
    "audio_dropout": [
        "model.net.n_mels=8",
        "model.net.sub_channels=4",
        "model.net.channels=8",
        "model.net.dilations=[1,2]",
        "model.net.level_context_frames=5",
    ],
    "av_sync": [
        "detector.height=180",
        "detector.width=320",
        "detector.clip_s=2.0",
        "model.net.width=4",
        "model.net.embed_dim=16",
        "data.num_frames=6",
    ],
}
TINY = [*TINY_COMMON, *TINY_DETECTOR["audio_artifacts"]]


def tiny(detector: str) -> list[str]:
    """Overrides that make ``detector`` train in seconds."""
    return [f"detector={detector}", *TINY_COMMON, *TINY_DETECTOR[detector]]


def compose_cfg(config_name: str, overrides: list[str], out_dir: Path) -> DictConfig:
    """Compose ``conf/<config_name>.yaml`` as a run would, with outputs under ``out_dir``."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name, overrides=overrides, return_hydra_config=True)
    HydraConfig.instance().set_config(cfg)
    with open_dict(cfg):
        cfg.paths.output_dir = str(out_dir)
        cfg.paths.log_dir = str(out_dir / "logs")
        cfg.paths.root_dir = str(ROOT)
        if "export_dir" in cfg and not any(o.startswith("export_dir=") for o in overrides):
            cfg.export_dir = str(out_dir / "exports")
        del cfg["hydra"]
    GlobalHydra.instance().clear()
    return cfg


@pytest.fixture
def compose_config(tmp_path):
    def _compose(config_name: str, overrides: list[str] | None = None, out: Path | None = None) -> DictConfig:
        return compose_cfg(config_name, overrides or [], out or tmp_path)

    return _compose


def run_entry(script: str, args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a root entry point (train.py, eval.py, ...) as a user would."""
    env = {
        **os.environ,
        "WANDB_MODE": "offline",
        "WANDB_SILENT": "true",
        "NO_ALBUMENTATIONS_UPDATE": "1",
        "PYTHONUNBUFFERED": "1",
        "HYDRA_FULL_ERROR": "0",
        "OMP_NUM_THREADS": "2",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
