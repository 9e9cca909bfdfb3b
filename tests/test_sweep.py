"""The Optuna sweep runs end to end: two tiny trials optimising val/bacc_best."""

from __future__ import annotations

import yaml

from tests.conftest import run_entry

TINY_CLI = [
    "logger=csv",
    "trainer.max_epochs=1",
    "data.train_size=16",
    "data.val_size=10",
    "data.num_workers=0",
    "model.net.width=4",
    "~callbacks.progress_bar",
    "~callbacks.model_summary",
]


def test_optuna_sweep_two_trials(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = run_entry(
        "train.py",
        [
            "-m",
            "hparams_search=audio_artifacts_optuna",
            "hydra.sweeper.n_trials=2",
            "hydra.sweeper.sampler.n_startup_trials=1",
            f"hydra.sweep.dir={sweep_dir}",
            *TINY_CLI,
        ],
        cwd=tmp_path,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert results["name"] == "optuna"
    assert 0.0 <= float(results["best_value"]) <= 1.0
    assert set(results["best_params"]) >= {"model.optimizer.lr", "data.batch_size"}
    assert sorted(p.name for p in sweep_dir.iterdir() if p.is_dir()) == ["0", "1"]


def test_av_sync_sweep_optimises_offset_accuracy(tmp_path):
    sweep_dir = tmp_path / "sweep"
    proc = run_entry(
        "train.py",
        [
            "-m",
            "detector=av_sync",
            "hparams_search=av_sync_optuna",
            "hydra.sweeper.n_trials=2",
            "hydra.sweeper.sampler.n_startup_trials=1",
            f"hydra.sweep.dir={sweep_dir}",
            "detector.height=180",
            "detector.width=320",
            *[o for o in TINY_CLI if not o.startswith("model.net.width")],
            "data.val_size=8",
        ],
        cwd=tmp_path,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = yaml.safe_load((sweep_dir / "optimization_results.yaml").read_text())
    assert 0.0 <= float(results["best_value"]) <= 1.0
    assert set(results["best_params"]) == {
        "model.optimizer.lr",
        "model.net.width",
        "model.net.embed_dim",
        "data.num_frames",
    }
