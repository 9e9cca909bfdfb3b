"""callbacks.channels_last: conv weights trained in NHWC layout; checkpoints and outputs unchanged."""

from __future__ import annotations

import lightning as L
import pytest
import torch

from vqa_train.callbacks.memory_format import ChannelsLast
from vqa_train.models.pann import PannClassifier


class _TinyConv(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.head = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))

    def training_step(self, batch, batch_idx):
        return self(batch[0]).pow(2).mean()

    def train_dataloader(self):
        return torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.randn(8, 2, 6, 5)), batch_size=4
        )

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=0.01)


def _fit(enabled: bool, epochs: int = 1, ckpt_path: str | None = None, root: str | None = None) -> _TinyConv:
    torch.manual_seed(0)
    model = _TinyConv()
    trainer = L.Trainer(
        max_epochs=epochs,
        callbacks=[ChannelsLast(enabled)],
        logger=False,
        enable_checkpointing=root is not None,
        default_root_dir=root,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(model, ckpt_path=ckpt_path)
    if root is not None:
        trainer.save_checkpoint(f"{root}/epoch{epochs}.ckpt")
    return model


@pytest.mark.parametrize("enabled", [True, False])
def test_layout_follows_the_setting_and_a_fresh_module_reproduces_the_outputs(enabled):
    model = _fit(enabled).eval()
    weight = model.conv.weight
    assert weight.is_contiguous(memory_format=torch.channels_last) is enabled
    assert weight.is_contiguous() is not enabled  # with 2 input channels the two layouts differ
    fresh = _TinyConv().eval()
    fresh.load_state_dict(model.state_dict())  # what eval.py / export.py do with a checkpoint
    assert fresh.conv.weight.is_contiguous()
    x = torch.randn(3, 2, 6, 5)
    torch.testing.assert_close(fresh(x), model(x))


def test_the_audio_net_gives_the_same_logits_in_either_layout():
    torch.manual_seed(0)
    net = PannClassifier(num_classes=5, width=8, freq_bands=4, cues=True, frame_head=True).eval()
    wave = torch.randn(2, 32000) * 0.1
    with torch.no_grad():
        nchw = net(wave)
        net.to(memory_format=torch.channels_last)
        assert net.conv_block2.conv1.weight.is_contiguous(memory_format=torch.channels_last)
        nhwc = net(wave)
    torch.testing.assert_close(nhwc, nchw, rtol=1e-4, atol=1e-5)


def test_a_run_resumed_in_channels_last_trains_on_like_an_uninterrupted_one(tmp_path):
    straight = _fit(True, epochs=2)
    _fit(True, epochs=1, root=str(tmp_path))
    resumed = _fit(True, epochs=2, ckpt_path=str(tmp_path / "epoch1.ckpt"), root=str(tmp_path))
    assert resumed.conv.weight.is_contiguous(memory_format=torch.channels_last)
    for name, value in straight.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[name], value, rtol=1e-5, atol=1e-6, msg=name)
