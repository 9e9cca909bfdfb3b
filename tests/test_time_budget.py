"""callbacks.fit_to_time: epoch count and one-cycle schedule fitted to a wall-clock budget."""

from __future__ import annotations

import itertools

import lightning as L
import pytest
import torch
from torch.optim.lr_scheduler import OneCycleLR

from vqa_train.callbacks import time_budget
from vqa_train.callbacks.time_budget import FitEpochsToTime, resize_one_cycle


def _lrs(scheduler: OneCycleLR, steps: int) -> list[float]:
    out = []
    for _ in range(steps):
        out.append(scheduler.get_last_lr()[0])
        scheduler.optimizer.step()
        scheduler.step()
    return out


def _one_cycle(total: int, three_phase: bool = False) -> OneCycleLR:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    return OneCycleLR(opt, max_lr=0.1, total_steps=total, pct_start=0.15, three_phase=three_phase)


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("new_total", [40, 250])
def test_resized_schedule_equals_a_fresh_one(three_phase, new_total):
    resized = _one_cycle(100, three_phase)
    resize_one_cycle(resized, new_total)
    fresh = _one_cycle(new_total, three_phase)
    assert _lrs(resized, new_total) == pytest.approx(_lrs(fresh, new_total), rel=1e-12, abs=1e-15)


def test_resize_refuses_fewer_steps_than_taken():
    scheduler = _one_cycle(100)
    _lrs(scheduler, 30)
    with pytest.raises(ValueError, match="30 taken"):
        resize_one_cycle(scheduler, 20)


class _Tiny(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.lrs: list[float] = []  # the learning rate each step used

    def training_step(self, batch, batch_idx):
        self.lrs.append(self.optimizers().param_groups[0]["lr"])
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch, batch_idx):
        self.log("val/loss", self.layer(batch[0]).pow(2).mean())

    def train_dataloader(self):
        data = torch.utils.data.TensorDataset(torch.randn(32, 4))
        return torch.utils.data.DataLoader(data, batch_size=8)

    def val_dataloader(self):
        return self.train_dataloader()

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=1e-3)
        sched = OneCycleLR(
            opt, max_lr=1e-3, total_steps=self.trainer.estimated_stepping_batches, pct_start=0.15
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def _fit(monkeypatch, callback: FitEpochsToTime, max_epochs: int, epoch_s: float) -> L.Trainer:
    """Train _Tiny under a fake clock on which every epoch takes ``epoch_s`` seconds."""
    ticks = itertools.count()
    monkeypatch.setattr(time_budget, "monotonic", lambda: next(ticks) * epoch_s)
    trainer = L.Trainer(
        max_epochs=max_epochs,
        callbacks=[callback],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(_Tiny())
    return trainer


def test_shrinks_to_the_budget_and_anneals(monkeypatch):
    callback = FitEpochsToTime(budget_s=35.0, safety=1.0)
    trainer = _fit(monkeypatch, callback, max_epochs=10, epoch_s=10.0)
    assert callback.epoch0_s == 10.0 and callback.fitted_epochs == 3
    assert trainer.current_epoch == 3
    assert trainer.lr_scheduler_configs[0].scheduler.total_steps == 3 * 4
    lrs = trainer.lightning_module.lrs
    assert len(lrs) == 12 and max(lrs) > 1e-4 and lrs[-1] < 1e-7  # annealed where training ended


def test_grows_up_to_the_cap(monkeypatch):
    # Without the resize, OneCycleLR would raise after its 2 configured epochs.
    callback = FitEpochsToTime(budget_s=1000.0, safety=1.0, max_epochs_cap=5)
    trainer = _fit(monkeypatch, callback, max_epochs=2, epoch_s=10.0)
    assert callback.fitted_epochs == 5 and trainer.current_epoch == 5


def test_off_by_default_and_at_least_one_epoch(monkeypatch, caplog):
    trainer = _fit(monkeypatch, FitEpochsToTime(), max_epochs=2, epoch_s=10.0)
    assert trainer.current_epoch == 2
    assert "only epoch 0 fits" not in caplog.text
    callback = FitEpochsToTime(budget_s=1.0)
    trainer = _fit(monkeypatch, callback, max_epochs=4, epoch_s=10.0)
    assert callback.fitted_epochs == 1 and trainer.current_epoch == 1
    # epoch 0 ran on the 4-epoch schedule, so the run ends before annealing: said, with the fix
    assert "only epoch 0 fits the 1 s budget" in caplog.text and "about 21 s for 2 epochs" in caplog.text


def test_a_resumed_run_keeps_the_fitted_count():
    before = FitEpochsToTime(budget_s=60.0)
    before.fitted_epochs, before.epoch0_s = 7, 8.0
    after = FitEpochsToTime(budget_s=60.0)
    after.load_state_dict(before.state_dict())
    assert (after.fitted_epochs, after.epoch0_s) == (7, 8.0)


@pytest.mark.parametrize(
    "kwargs, key",
    [({"budget_s": 0}, "budget_s"), ({"safety": 1.5}, "safety"), ({"max_epochs_cap": 0}, "max_epochs_cap")],
)
def test_bad_settings_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=f"fit_to_time.{key}"):
        FitEpochsToTime(**kwargs)


def test_an_open_ended_run_is_refused_before_it_trains():
    trainer = L.Trainer(
        max_epochs=-1,
        max_steps=8,
        callbacks=[FitEpochsToTime(budget_s=60.0)],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    module = _Tiny()
    with pytest.raises(ValueError, match="max_epochs_cap"):
        trainer.fit(module)
    assert module.lrs == []  # not one step was spent
