"""Log-mel front end that matches ``torchaudio.transforms.MelSpectrogram`` and exports to ONNX.

The STFT is a strided conv1d with a Hann-windowed DFT basis, so the whole detector (waveform in,
logits out) is one exportable graph. The mel filterbank is torchaudio's (HTK scale, no norm), as
PANNs use it; the output is ``10 * log10(max(power, amin))``.
"""

from __future__ import annotations

import math

import torch
import torchaudio
from torch import nn


class LogMel(nn.Module):
    """Waveform ``(batch, samples)`` -> log-mel ``(batch, 1, frames, n_mels)``."""

    def __init__(
        self,
        sample_rate: int = 32000,
        n_fft: int = 1024,
        hop_length: int = 320,
        n_mels: int = 64,
        f_min: float = 50.0,
        f_max: float = 14000.0,
        amin: float = 1e-10,
    ) -> None:
        super().__init__()
        if not 0 <= f_min < f_max <= sample_rate / 2:
            raise ValueError(f"need 0 <= f_min < f_max <= sample_rate/2, got f_min={f_min} f_max={f_max}")
        self.n_fft, self.hop_length, self.amin = n_fft, hop_length, amin
        n_bins = n_fft // 2 + 1
        window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
        t = torch.arange(n_fft, dtype=torch.float64)
        k = torch.arange(n_bins, dtype=torch.float64)[:, None]
        phase = 2 * math.pi * k * t / n_fft
        basis = torch.cat([torch.cos(phase) * window, -torch.sin(phase) * window])  # (2*bins, n_fft)
        self.register_buffer("dft", basis[:, None, :].float(), persistent=False)
        fb = torchaudio.functional.melscale_fbanks(n_bins, f_min, f_max, n_mels, sample_rate)
        self.register_buffer("mel_fb", fb.float(), persistent=False)  # (bins, n_mels)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        if wave.dim() == 3:  # (batch, 1, samples)
            wave = wave[:, 0]
        pad = self.n_fft // 2
        x = nn.functional.pad(wave[:, None, :], (pad, pad), mode="reflect")
        spec = nn.functional.conv1d(x, self.dft, stride=self.hop_length)  # (batch, 2*bins, frames)
        real, imag = spec.chunk(2, dim=1)
        power = real * real + imag * imag
        mel = torch.matmul(power.transpose(1, 2), self.mel_fb)  # (batch, frames, n_mels)
        return (10.0 * torch.log10(torch.clamp(mel, min=self.amin)))[:, None]
