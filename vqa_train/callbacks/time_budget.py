"""Fits a run's epoch count, and its one-cycle schedule, to a wall-clock budget measured on epoch 0.

A lent GPU machine gives one call of fixed length, and how fast a recipe runs there (data synthesis
on its cores, the step on its accelerator) is known only once it runs. A fixed ``max_epochs`` either
leaves time unused or runs into ``trainer.max_time``, which stops training with the learning rate
still high. This callback times the first epoch (training and validation), then sets
``max_epochs`` to as many epochs as fit in ``budget_s`` and stretches or shrinks the one-cycle
schedule to end exactly there, so the run anneals properly whatever the hardware.
"""

from __future__ import annotations

import logging
import math
from time import monotonic
from typing import Any

import lightning as L
from torch.optim.lr_scheduler import OneCycleLR

log = logging.getLogger(__name__)


def resize_one_cycle(scheduler: OneCycleLR, total_steps: int) -> None:
    """Give a OneCycleLR a new length, keeping its phase proportions (the step count is unchanged)."""
    if total_steps < scheduler.last_epoch:
        raise ValueError(
            f"cannot shrink a one-cycle schedule to {total_steps} steps: {scheduler.last_epoch} taken"
        )
    phases = scheduler._schedule_phases
    pct = (phases[0]["end_step"] + 1.0) / scheduler.total_steps
    ends = (
        [pct * total_steps - 1.0, 2.0 * pct * total_steps - 2.0]
        if len(phases) == 3
        else [pct * total_steps - 1.0]
    )
    for phase, end in zip(phases[:-1], ends):
        phase["end_step"] = float(end)
    phases[-1]["end_step"] = total_steps - 1
    scheduler.total_steps = int(total_steps)


class FitEpochsToTime(L.Callback):
    """Sets ``max_epochs`` from the first epoch's duration so that training fits ``budget_s``.

    ``budget_s`` counts from the start of training (after the sanity check) and ``safety`` keeps a
    share of it free. The configured ``max_epochs`` becomes ``max_epochs_cap`` when that is given
    (so a fast machine may train longer than the recipe's nominal count), and the result is at
    least 1. A OneCycleLR stepped per batch is resized to the new length; any other scheduler is
    left alone. ``budget_s: null`` turns it off. The chosen count is logged, kept in the checkpoint
    (a resumed run keeps it) and written to ``fit_epochs`` of the trainer's logged metrics.
    """

    def __init__(
        self, budget_s: float | None = None, safety: float = 0.97, max_epochs_cap: int | None = None
    ) -> None:
        if budget_s is not None and budget_s <= 0:
            raise ValueError(f"callbacks.fit_to_time.budget_s must be > 0 seconds or null, got {budget_s}")
        if not 0.0 < safety <= 1.0:
            raise ValueError(f"callbacks.fit_to_time.safety must be in (0, 1], got {safety}")
        if max_epochs_cap is not None and max_epochs_cap < 1:
            raise ValueError(
                f"callbacks.fit_to_time.max_epochs_cap must be >= 1 or null, got {max_epochs_cap}"
            )
        self.budget_s = budget_s
        self.safety = safety
        self.max_epochs_cap = max_epochs_cap
        self.fitted_epochs: int | None = None
        self.epoch0_s: float | None = None
        self._t0 = 0.0

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        self._t0 = monotonic()
        if self.budget_s is not None and self._cap(trainer) is None:  # before an epoch is spent
            raise ValueError(
                "callbacks.fit_to_time needs trainer.max_epochs or callbacks.fit_to_time.max_epochs_cap"
            )
        if self.fitted_epochs is not None:  # resumed: keep the count chosen before
            trainer.fit_loop.max_epochs = self.fitted_epochs

    def _cap(self, trainer: L.Trainer) -> int | None:
        cap = self.max_epochs_cap or trainer.max_epochs
        return None if cap is None or cap < 0 else int(cap)

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if self.budget_s is None or self.fitted_epochs is not None or trainer.current_epoch != 0:
            return
        self.epoch0_s = monotonic() - self._t0
        cap = self._cap(trainer)
        epochs = max(1, min(cap, math.floor(self.budget_s * self.safety / max(self.epoch0_s, 1e-6))))
        self.fitted_epochs = epochs
        trainer.fit_loop.max_epochs = epochs
        steps = trainer.num_training_batches * epochs // max(trainer.accumulate_grad_batches, 1)
        resized = False
        for config in trainer.lr_scheduler_configs:
            if isinstance(config.scheduler, OneCycleLR) and config.interval == "step":
                resize_one_cycle(config.scheduler, max(steps, config.scheduler.last_epoch))
                resized = True
        module.log("fit_epochs", float(epochs), logger=True, on_epoch=True, sync_dist=False)
        if epochs == 1 and cap > 1:  # epoch 0 ran on the long schedule: it ends with the rate high
            log.warning(
                "fit_to_time: only epoch 0 fits the %.0f s budget, so training stops before the "
                "learning rate anneals; callbacks.fit_to_time.budget_s needs about %.0f s for 2 epochs",
                self.budget_s,
                2 * self.epoch0_s / self.safety,
            )
        log.info(
            "fit_to_time: epoch 0 took %.1f s; %d epoch(s) fit the %.0f s budget%s",
            self.epoch0_s,
            epochs,
            self.budget_s,
            " (one-cycle schedule resized)" if resized else "",
        )

    def state_dict(self) -> dict[str, Any]:
        return {"fitted_epochs": self.fitted_epochs, "epoch0_s": self.epoch0_s}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.fitted_epochs = state_dict.get("fitted_epochs")
        self.epoch0_s = state_dict.get("epoch0_s")
