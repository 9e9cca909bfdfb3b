"""Saves the validation/test confusion matrix as a PNG each epoch (and logs it to wandb)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
from lightning.pytorch.loggers import WandbLogger

from vqa_train.plots import save_confusion


class ConfusionMatrixImage(L.Callback):
    def __init__(self, dirpath: str) -> None:
        self.dirpath = Path(dirpath)

    def _save(self, trainer: L.Trainer, module: L.LightningModule, stage: str) -> None:
        cm = getattr(module, "last_confusion", {}).get(stage)
        if cm is None or trainer.sanity_checking or not trainer.is_global_zero:
            return
        name = f"{stage}_epoch{trainer.current_epoch:03d}.png" if stage == "val" else f"{stage}.png"
        path = self.dirpath / name
        save_confusion(
            cm.numpy(), module.classes, path, title=f"{stage} confusion (epoch {trainer.current_epoch})"
        )
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(key=f"{stage}/confusion", images=[str(path)])

    # *_end hooks run after the module's *_epoch_end hooks, where the matrices are computed.
    def on_validation_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._save(trainer, module, "val")

    def on_test_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._save(trainer, module, "test")
