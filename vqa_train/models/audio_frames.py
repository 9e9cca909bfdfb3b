"""A small per-frame detector of audio dropouts (digital silences and mutes inside programme audio).

Frames: with ``hop = round(sample_rate * frame_s)`` (160 samples = 10 ms at 16 kHz), output frame
``i`` is the verdict on samples ``[i * hop, (i + 1) * hop)``; ``N // hop`` frames for ``N`` samples,
a trailing partial frame gets no verdict. The network is one exportable graph from the waveform:

1. Sub-frame cues at ``hop / sub_frames`` samples (2.5 ms): log mean power, log peak, the share of
   exact zeros and the share of samples that a 16-bit file would store as zero (|x| < 2^-16).
   A dropout is an exact-zero run (``zero`` mode) or a collapse of 60-80 dB through millisecond
   ramps (``mute`` mode); at 2.5 ms the hard edges of both stay visible. A small conv over the
   sub-frames (kernel 5) reduced to frame rate by a stride-``sub_frames`` conv learns the edges.
2. Frame cues: the frame's log power, its depth below the loudest frame within
   ``level_context_frames`` (the "very low level vs the surrounding programme" cue: a speech
   pause over room tone sits 25-45 dB down, a mute 60-80 dB or to digital zero), and a log-mel
   spectrum (:class:`~vqa_train.models.logmel.LogMel`, 25 ms window centred on the frame) that
   tells room tone, decaying notes and the -96 dBFS noise floor from nothing at all.
3. Residual dilated 1D convs over frames (kernel 3, ``dilations``) turn these into one logit per
   frame with the context needed to tell a natural pause (slow decay, room tone kept) from a dropout.

:attr:`AudioFrameNet.context_frames` is how far (in frames, each side) an output can look: the
streaming runner overlaps its windows by that much, so chunked inference equals whole-file
inference. No data-dependent control flow: ONNX-exportable, any batch and any length
``N >= min_samples`` (the mel window's reflect padding needs ``N - hop / 2 > n_fft / 2``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from vqa_train.models.logmel import LogMel

POWER_EPS = 1e-14  # -140 dB: the log power of digital silence
LSB16 = 2.0**-16  # below this a sample rounds to 0 in a 16-bit file
NUM_SUB_CUES = 4


def _db(power: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.log10(power + POWER_EPS)


def _scaled(db: torch.Tensor) -> torch.Tensor:
    """A level in dB (-140 to 0) mapped to about [-2.5, 2.5]."""
    return (db + 70.0) / 30.0


class AudioFrameNet(nn.Module):
    """Waveform ``(B, N)`` float in [-1, 1] at ``sample_rate`` -> dropout logits ``(B, N // hop)``."""

    def __init__(
        self,
        sample_rate: int = 16000,
        frame_s: float = 0.01,
        sub_frames: int = 4,
        n_mels: int = 32,
        n_fft: int = 400,
        sub_channels: int = 16,
        channels: int = 48,
        dilations: Sequence[int] = (1, 2, 4, 8, 16),
        level_context_frames: int = 25,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        hop = round(sample_rate * frame_s)
        if abs(hop - sample_rate * frame_s) > 1e-6 or hop < 1:
            raise ValueError(
                f"frame_s * sample_rate must be a whole number of samples, got {sample_rate * frame_s}"
            )
        if sub_frames < 1 or hop % sub_frames:
            raise ValueError(f"sub_frames must divide the {hop}-sample frame, got {sub_frames}")
        if n_mels < 0 or level_context_frames < 0 or not dilations:
            raise ValueError("n_mels and level_context_frames must be >= 0 and dilations not empty")
        self.sample_rate, self.hop, self.sub_frames = int(sample_rate), int(hop), int(sub_frames)
        self.sub_samples = self.hop // self.sub_frames
        self.n_fft, self.n_mels = int(n_fft), int(n_mels)
        self.level_context_frames = int(level_context_frames)
        self.dilations = [int(d) for d in dilations]
        self.sub_net = nn.Sequential(
            nn.Conv1d(NUM_SUB_CUES, sub_channels, 5, padding=2),
            nn.ReLU(),
            nn.Conv1d(sub_channels, sub_channels, self.sub_frames, stride=self.sub_frames),
            nn.ReLU(),
        )
        self.logmel = (
            LogMel(sample_rate, n_fft, self.hop, n_mels, f_min=50.0, f_max=sample_rate / 2)
            if n_mels
            else None
        )
        c = int(channels)
        self.embed = nn.Sequential(
            nn.Conv1d(sub_channels + 2 + self.n_mels, c, 1, bias=False), nn.BatchNorm1d(c), nn.ReLU()
        )
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv1d(c, c, 3, dilation=d, padding=d, bias=False),
                nn.BatchNorm1d(c),
                nn.ReLU(),
                nn.Dropout(dropout),
            )
            for d in self.dilations
        )
        self.head = nn.Conv1d(c, 1, 1)

    @property
    def context_frames(self) -> int:
        """Frames each side that can change an output frame (the receptive field's half-width)."""
        mel_reach = (self.n_fft // 2 - self.hop // 2) if self.logmel is not None else 0
        sub_reach = 2 * self.sub_samples
        front = math.ceil(max(mel_reach, sub_reach) / self.hop)
        return front + self.level_context_frames + sum(self.dilations)

    @property
    def min_samples(self) -> int:
        """The shortest input: two frames, and enough for the mel window's reflect padding."""
        mel = self.n_fft // 2 + self.hop // 2 + 1 if self.logmel is not None else 0
        return max(2 * self.hop, mel)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        if wave.dim() == 3:  # (B, 1, N)
            wave = wave[:, 0]
        x = wave.float()[:, None]  # (B, 1, N)
        k = self.sub_samples
        power = F.avg_pool1d(x * x, k, k)  # (B, 1, N // k)
        peak = F.max_pool1d(x.abs(), k, k)
        zeros = F.avg_pool1d((x == 0).float(), k, k)
        tiny = F.avg_pool1d((x.abs() < LSB16).float(), k, k)
        cues = torch.cat([_scaled(_db(power)), _scaled(_db(peak * peak)), zeros, tiny], dim=1)
        sub = self.sub_net(cues)  # (B, C_sub, F)

        frame_db = _db(F.avg_pool1d(power, self.sub_frames, self.sub_frames))  # (B, 1, F)
        r = self.level_context_frames
        loudest = F.max_pool1d(frame_db, 2 * r + 1, 1, r) if r else frame_db
        parts = [sub, _scaled(frame_db), (frame_db - loudest) / 30.0]
        if self.logmel is not None:
            # Drop half a hop so that mel frame i is centred on samples [i * hop, (i + 1) * hop).
            mel = self.logmel(x[:, 0, self.hop // 2 :])[:, 0].transpose(1, 2)  # (B, n_mels, >= F)
            parts.append((mel[:, :, : sub.shape[-1]] + 40.0) / 30.0)
        h = self.embed(torch.cat(parts, dim=1))
        for block in self.blocks:
            h = h + block(h)
        return self.head(h)[:, 0]
