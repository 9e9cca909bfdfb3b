"""``last.ckpt`` that holds the weights training ended with.

Lightning's ``ModelCheckpoint(save_last=True, every_n_train_steps=N)`` writes ``last.ckpt`` every N
steps and, when training ends, only if it never wrote one. A run of 2,431 steps with N = 500 thus
ends with the weights of step 2,000 in ``last.ckpt``. This subclass also writes it when training
ends (time limit included) whenever steps were taken since the last save, so ``ckpt_path`` resumes
and ``init_ckpt_path`` fine-tunes from the final weights, and evaluating "the last checkpoint"
evaluates them.
"""

from __future__ import annotations

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint


class LastCheckpoint(ModelCheckpoint):
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        stale = self._last_global_step_saved != trainer.global_step
        if self.save_last and stale and not self._should_skip_saving_checkpoint(trainer):
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
            return
        super().on_train_end(trainer, pl_module)
