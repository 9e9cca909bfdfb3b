"""Training: ``train(cfg) -> (metrics, objects)``, called by ``train.py`` and by the tests."""

from __future__ import annotations

import logging
from typing import Any

import hydra
import lightning as L
import torch
from omegaconf import DictConfig, OmegaConf

from vqa_train.utils.config import instantiate_group, to_plain

log = logging.getLogger(__name__)

CHECKPOINT_KEY = "vqa_train"


class _ConfigInCheckpoint(L.Callback):
    """Stores the resolved config in every checkpoint, so eval/export rebuild the exact model."""

    def __init__(self, cfg: DictConfig) -> None:
        self.payload = {
            "detector": to_plain(cfg.detector),
            "model": to_plain(cfg.model),
            "data": {k: v for k, v in to_plain(cfg.data).items() if k not in ("source", "defects")},
        }

    def on_save_checkpoint(self, trainer: L.Trainer, module: L.LightningModule, checkpoint: dict) -> None:
        from vqa_train import __version__

        checkpoint[CHECKPOINT_KEY] = {**self.payload, "version": __version__}


def train(cfg: DictConfig) -> tuple[dict[str, float], dict[str, Any]]:
    if cfg.get("ckpt_path") and cfg.get("init_ckpt_path"):
        raise ValueError(
            "set ckpt_path (resume a run) or init_ckpt_path (fine-tune from its weights), not both"
        )
    offset = (cfg.get("data") or {}).get("train_epoch_offset") or 0
    if offset and not cfg.get("init_ckpt_path"):
        raise ValueError(
            f"data.train_epoch_offset={offset} continues a run of {offset} epochs on new frames: "
            "set init_ckpt_path to that run's checkpoint (or the offset to 0)"
        )
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)
    torch.set_float32_matmul_precision("high")

    log.info("Instantiating data <%s>", cfg.data._target_)
    datamodule: L.LightningDataModule = hydra.utils.instantiate(cfg.data, _convert_="partial")
    log.info("Instantiating model <%s>", cfg.model.net._target_)
    model: L.LightningModule = hydra.utils.instantiate(cfg.model, _convert_="partial")
    if cfg.get("init_ckpt_path"):
        from vqa_train.checkpoint import init_weights  # imports this module

        init_weights(model, cfg.init_ckpt_path)
        log.info("Initialised the model from %s (fresh optimizer and schedule)", cfg.init_ckpt_path)
    callbacks = [*instantiate_group(cfg.get("callbacks")), _ConfigInCheckpoint(cfg)]
    loggers = instantiate_group(cfg.get("logger"))
    trainer: L.Trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)

    for lg in loggers:
        lg.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    trainer.fit(model=model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}

    if cfg.get("test"):
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        if not best:
            log.warning("no best checkpoint found; testing the current weights")
        trainer.test(model=model, datamodule=datamodule, ckpt_path=best or None, weights_only=True)
        metrics.update({k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test/")})
        metrics["best_ckpt_path"] = best  # type: ignore[assignment]

    return metrics, {"cfg": cfg, "datamodule": datamodule, "model": model, "trainer": trainer}
