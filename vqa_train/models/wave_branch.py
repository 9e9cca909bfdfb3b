"""A learned impulse detector on the waveform, at full time resolution, beside the log-mel CNN.

The log-mel front end sees the signal through 32 ms windows every 10 ms, so a single click of a
few samples, or a 1-2 ms run of samples held at one value (a buffer dropout), is averaged with
the speech around it. The hand-designed impulse cues (:mod:`vqa_train.models.audio_cues`) look at
1 ms peaks but measure only how high a peak stands, and the glottal pulses of voiced speech stand
as high. :class:`WaveBranch` learns the *shape* instead:

1. the first difference of the waveform (a high-pass that removes most of the music and turns a
   click or a held run's edges into spikes);
2. divided by its RMS over the surrounding ``context_ms`` (computed on 1 ms blocks), so the branch
   sees how unusual a stretch is for its surroundings whatever the level, then compressed with
   ``sign(z) * log1p(|z|)`` (shaped like asinh, which the ONNX exporter lacks);
3. a ``kernel_ms``-wide 1-D convolution with a stride of ``stride`` samples, the maximum over each
   millisecond, and a 9-tap convolution over those (9 ms of context);
4. max and mean over time per channel: ``2 * channels`` values for the head.

With ``frame_head=True`` a 1x1 convolution over the per-millisecond map, max-pooled to 10-ms frames,
gives one impulse logit per frame (:meth:`frame_logits`): a training-time target for the branch
(where the clicks are), which :meth:`forward` and exports never run.

Fixed tensor arithmetic only (slicing, pooling, convolutions), so it exports to ONNX inside the
classifier and takes any batch size and any length of a few milliseconds or more.

Measured on the 4-band recipe it did not find the missed clicks (a negative result:
``experiments/audio_artifacts/README.md``, "Clicks at full time resolution"); it is off by default.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

WAVE_FRAME_STEPS = 10  # 1-ms steps per frame of frame_logits: 10 ms, the data's frame targets


class WaveBranch(nn.Module):
    """Waveform ``(batch, samples)`` -> ``(batch, 2 * channels)`` learned impulse features."""

    def __init__(
        self,
        sample_rate: int,
        channels: int = 16,
        kernel_ms: float = 2.0,
        stride: int = 8,
        context_ms: float = 20.0,
        frame_head: bool = False,
    ) -> None:
        super().__init__()
        if channels < 1 or stride < 1:
            raise ValueError(f"WaveBranch needs channels >= 1 and stride >= 1, got {channels}, {stride}")
        self.block = max(int(round(sample_rate / 1000.0)), 1)  # 1 ms
        self.context_blocks = max(int(round(context_ms)), 1) | 1  # odd: centred on the block
        kernel = max(int(round(kernel_ms * sample_rate / 1000.0)), stride)
        self.conv1 = nn.Conv1d(1, channels, kernel, stride=stride, padding=kernel // 2, bias=False)
        self.bn1 = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, channels, 9, padding=4, bias=False)
        self.bn2 = nn.BatchNorm1d(channels)
        self.dim = 2 * channels
        self.frame_conv = nn.Conv1d(channels, 1, 1) if frame_head else None

    def normalised_difference(self, wave: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> ``(B, 1, N')``: first difference over its local RMS, asinh-compressed."""
        d = wave[:, 1:] - wave[:, :-1]
        n = d.shape[1] // self.block * self.block
        d = d[:, :n].unsqueeze(1)  # (B, 1, n)
        blocks = F.avg_pool1d(d * d, self.block)  # mean power per 1 ms block
        k = self.context_blocks
        local = F.avg_pool1d(blocks, k, stride=1, padding=k // 2, count_include_pad=False)
        rms = torch.sqrt(local + 1e-12).repeat_interleave(self.block, dim=2)
        z = d / (rms + 1e-6)
        return torch.sign(z) * torch.log1p(z.abs())  # asinh-like; ONNX has no asinh export

    def steps(self, wave: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> the per-millisecond map ``(B, channels, about N / 1 ms)``."""
        x = self.normalised_difference(wave)
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool1d(x, 4)  # 1 ms steps: keeps each millisecond's strongest response
        return F.relu(self.bn2(self.conv2(x)))

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """The map of :meth:`steps` -> ``(B, 2 * channels)``: max and mean over time."""
        return torch.cat([x.amax(dim=2), x.mean(dim=2)], dim=1)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.pool(self.steps(wave))

    def frame_logits(self, x: torch.Tensor) -> torch.Tensor:
        """The map of :meth:`steps` -> impulse logits ``(B, steps // 10)``, one per 10-ms frame."""
        if self.frame_conv is None:
            raise ValueError("frame_logits needs model.net.wave_frame_head=true")
        return self.frame_conv(F.max_pool1d(x, WAVE_FRAME_STEPS)).squeeze(1)
