"""A SyncNet-style two-stream network: mouth crops and sound mapped to one embedding space.

Both streams are fully convolutional in time and give one embedding per *video frame step*, so a
whole track is embedded in one pass and every candidate offset reuses the same embeddings:

- visual: a small 2D CNN per gray mouth crop (``crop_hw``), then a temporal conv over
  ``window_frames`` (5) stacked crops -> ``(batch, embed_dim, T - window_frames + 1)``;
- audio: log-mel at 100 frames/s (16 kHz, hop 160, 40 bands), a 2D CNN that pools time by 4
  (one step per video frame at 25 fps), then a temporal conv over the same 0.2 s
  -> ``(batch, embed_dim, steps - window_frames + 1)``.

Window ``w`` of the video covers frames ``w .. w+4``; window ``w`` of the audio the matching
0.2 s. Embeddings are L2-normalised; the distance of a pair is their Euclidean distance (0..2),
as SyncNet scores sync. Training (:class:`~vqa_train.modules.av_sync.AVSyncModule`) contrasts each
video window with the audio windows at every offset in ``+-max_offset_frames``.
"""

from __future__ import annotations

import torch
from torch import nn

from vqa_train.models.logmel import LogMel


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class SyncNet(nn.Module):
    def __init__(
        self,
        window_frames: int = 5,
        crop_hw: tuple[int, int] = (32, 48),
        fps: float = 25.0,
        sample_rate: int = 16000,
        n_mels: int = 40,
        n_fft: int = 512,
        width: int = 24,
        embed_dim: int = 128,
        max_offset_frames: int = 15,
    ) -> None:
        super().__init__()
        hop = sample_rate / 100.0
        if hop != int(hop) or 100.0 / fps != int(100.0 / fps) or int(100 / fps) != 4:
            raise ValueError(
                f"SyncNet works at 25 fps video and 100 audio frames/s (sample_rate a multiple of 100); "
                f"got fps={fps}, sample_rate={sample_rate}. Resample the video to 25 fps."
            )
        self.window_frames, self.crop_hw, self.fps = int(window_frames), tuple(crop_hw), float(fps)
        self.sample_rate, self.hop_length = int(sample_rate), int(hop)
        self.max_offset_frames = int(max_offset_frames)
        self.frontend = LogMel(sample_rate, n_fft, int(hop), n_mels, f_min=50.0, f_max=sample_rate / 2 * 0.95)
        w = int(width)
        h, wd = crop_hw
        if h % 8 or wd % 8:
            raise ValueError(f"crop_hw must be multiples of 8, got {crop_hw}")
        self.video_cnn = nn.Sequential(
            _conv(1, w), _conv(w, w), nn.MaxPool2d(2),
            _conv(w, 2 * w), _conv(2 * w, 2 * w), nn.MaxPool2d(2),
            _conv(2 * w, 4 * w), _conv(4 * w, 4 * w), nn.MaxPool2d(2),
        )  # fmt: skip
        video_feat = 4 * w * (h // 8) * (wd // 8)
        self.video_proj = nn.Sequential(nn.Linear(video_feat, 8 * w), nn.ReLU(inplace=True))
        self.video_time = nn.Sequential(
            nn.Conv1d(8 * w, 8 * w, window_frames), nn.ReLU(inplace=True), nn.Conv1d(8 * w, embed_dim, 1)
        )
        self.audio_norm = nn.BatchNorm2d(1)
        self.audio_cnn = nn.Sequential(
            _conv(1, w), _conv(w, w), nn.MaxPool2d(2),
            _conv(w, 2 * w), _conv(2 * w, 2 * w), nn.MaxPool2d(2),
            _conv(2 * w, 4 * w), nn.MaxPool2d((1, 2)),
        )  # fmt: skip  # time / 4, mel / 8
        audio_feat = 4 * w * (n_mels // 8)
        self.audio_time = nn.Sequential(
            nn.Conv1d(audio_feat, 8 * w, window_frames), nn.ReLU(inplace=True), nn.Conv1d(8 * w, embed_dim, 1)
        )

    @property
    def samples_per_frame(self) -> int:
        return int(round(self.sample_rate / self.fps))

    def features(self, wave: torch.Tensor) -> torch.Tensor:
        """Waveform ``(batch, samples)`` -> log-mel ``(batch, 1, 4 * frames + 1, n_mels)`` (frame k at 4k)."""
        return self.frontend(wave)

    def embed_video(self, crops: torch.Tensor) -> torch.Tensor:
        """Mouth crops ``(batch, T, h, w)`` in [0, 1] -> ``(batch, D, T - window_frames + 1)``, unit norm."""
        b, t, h, w = crops.shape
        x = crops - crops.mean(dim=(1, 2, 3), keepdim=True)  # light level of the track window
        x = x / (x.std(dim=(1, 2, 3), keepdim=True) + 0.05)
        x = self.video_cnn(x.reshape(b * t, 1, h, w))
        x = self.video_proj(x.flatten(1)).reshape(b, t, -1).transpose(1, 2)
        return nn.functional.normalize(self.video_time(x), dim=1)

    def embed_audio(self, mel: torch.Tensor) -> torch.Tensor:
        """Log-mel ``(batch, 1, F, n_mels)`` -> ``(batch, D, F // 4 - window_frames + 1)``, unit norm."""
        x = mel - mel.mean(dim=(2, 3), keepdim=True)  # sound level of the window
        x = self.audio_cnn(self.audio_norm(x / 20.0))  # (batch, C, F // 4, n_mels // 8)
        x = x.permute(0, 1, 3, 2).flatten(1, 2)  # (batch, C * n_mels // 8, F // 4)
        return nn.functional.normalize(self.audio_time(x), dim=1)

    def forward(self, crops: torch.Tensor, wave: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Video and audio embeddings of crops ``(B, T, h, w)`` and their waveform ``(B, samples)``."""
        return self.embed_video(crops), self.embed_audio(self.features(wave))


def offset_distances(
    video: torch.Tensor, audio: torch.Tensor, max_offset: int, audio_start: int = 0
) -> torch.Tensor:
    """Distances ``(B, Wv, 2 * max_offset + 1)`` of video window ``w`` to audio window
    ``audio_start + w + delta`` for ``delta`` in ``-max_offset .. max_offset``.

    ``video`` is ``(B, D, Wv)`` and ``audio`` ``(B, D, Wa)``; pairs that fall outside the audio
    get ``nan``. A positive ``delta`` pairs the video with later sound (audio lagging).
    """
    b, d, wv = video.shape
    wa = audio.shape[2]
    deltas = torch.arange(-max_offset, max_offset + 1, device=video.device)
    idx = audio_start + torch.arange(wv, device=video.device)[:, None] + deltas[None, :]  # (Wv, K)
    valid = (idx >= 0) & (idx < wa)
    gathered = audio[:, :, idx.clamp(0, wa - 1)]  # (B, D, Wv, K)
    dist = (video[:, :, :, None] - gathered).pow(2).sum(1).clamp_min(1e-12).sqrt()
    return dist.masked_fill(~valid[None], float("nan"))
