"""A small per-frame segmenter of temporal video defects (black frames, freezes, stutter, tearing).

Each frame is described by three things: a tiny 2D CNN over the frame stacked with explicit cue
channels (``|x_t - x_{t-1}|`` and the vertical gradient, where a tear is a horizontal seam), a
row profile at full height (per-row mean of both cues, so a tear row is not blurred away by the
CNN's strides) and four global statistics (log mean frame difference, share of exactly unchanged
pixels, share of dark pixels, mean level): the signatures of freezes and black frames, cheap and
exact. Dilated, non-causal 1D convolutions over time then turn the per-frame embeddings into one
logit per frame, so a frame is judged with its neighbours (the held frame of a freeze only looks
frozen once its copies follow). With ``clip_context`` each frame also sees the mean and maximum of
the embeddings over the whole clip: whether anything moves elsewhere, which a still shot (nothing
ever moves) and a freeze (motion stops, then resumes) differ by, beyond the convolutions' reach.
No data-dependent Python control flow: ONNX-exportable with the legacy exporter, any ``T``, ``H``,
``W``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

STILL_LEVEL = 0.5 / 255.0  # a pixel is unchanged when no channel moved by a level
DARK_LEVEL = 24.0 / 255.0  # synth.video.temporal.NEAR_BLACK_MAX
NUM_STATS = 4


def _conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()
    )


class TemporalNet(nn.Module):
    """``(B, T, 3, H, W)`` float RGB in [0, 1] -> per-frame defect logits ``(B, T)``."""

    def __init__(
        self,
        width: int = 8,
        row_width: int = 8,
        embed_dim: int = 32,
        dilations: Sequence[int] = (1, 2, 4),
        dropout: float = 0.1,
        clip_context: bool = False,
    ) -> None:
        super().__init__()
        w = int(width)
        self.encoder = nn.Sequential(_conv_bn(7, w), _conv_bn(w, 2 * w), _conv_bn(2 * w, 4 * w))
        self.rows_of_encoder = nn.Sequential(nn.Conv1d(4 * w, 4 * w, 3, padding=1), nn.ReLU())
        r = int(row_width)
        self.row_profile = nn.Sequential(
            nn.Conv1d(2, r, 5, padding=2), nn.ReLU(), nn.Conv1d(r, r, 5, padding=2), nn.ReLU()
        )
        self.embed = nn.Sequential(nn.Linear(8 * w + 2 * r + NUM_STATS, embed_dim), nn.ReLU())
        self.temporal = nn.ModuleList(
            nn.Conv1d(embed_dim, embed_dim, 3, dilation=int(d), padding=int(d)) for d in dilations
        )
        self.dropout = nn.Dropout(dropout)
        self.clip_context = bool(clip_context)
        if self.clip_context:  # frame embedding + clip mean + clip max -> embedding
            self.context = nn.Sequential(nn.Conv1d(3 * embed_dim, embed_dim, 1), nn.ReLU())
        self.head = nn.Conv1d(embed_dim, 1, 1)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        b, t = clip.shape[0], clip.shape[1]
        previous = torch.cat([clip[:, :1], clip[:, :-1]], dim=1)  # frame 0 is its own predecessor
        diff = (clip - previous).abs()
        grad_y = F.pad((clip[..., 1:, :] - clip[..., :-1, :]).abs().mean(2, keepdim=True), (0, 0, 0, 1))
        frames = torch.cat([clip, diff, grad_y], dim=2).flatten(0, 1)  # (B*T, 7, H, W)

        feats = self.encoder(frames).mean(dim=3)  # pooled over width only: (B*T, C, h)
        feats = self.rows_of_encoder(feats)
        cnn = torch.cat([feats.mean(dim=2), feats.amax(dim=2)], dim=1)

        # Per-row means at full height: (B*T, 2, H).
        rows = torch.stack([diff.mean(dim=(2, 4)), grad_y.mean(dim=(2, 4))], dim=2).flatten(0, 1)
        rows = self.row_profile(torch.log1p(255.0 * rows))
        row = torch.cat([rows.mean(dim=2), rows.amax(dim=2)], dim=1)

        level = clip.mean(dim=2)  # (B, T, H, W)
        stats = torch.stack(
            [
                torch.log1p(255.0 * diff.mean(dim=(2, 3, 4))),
                (diff.amax(dim=2) < STILL_LEVEL).float().mean(dim=(2, 3)),
                (level < DARK_LEVEL).float().mean(dim=(2, 3)),
                level.mean(dim=(2, 3)),
            ],
            dim=2,
        ).flatten(0, 1)  # (B*T, NUM_STATS)

        emb = self.embed(torch.cat([cnn, row, stats], dim=1)).reshape(b, t, -1).transpose(1, 2)
        for conv in self.temporal:
            emb = emb + F.relu(conv(self.dropout(emb)))
        if self.clip_context:
            whole = torch.cat([emb.mean(dim=2, keepdim=True), emb.amax(dim=2, keepdim=True)], dim=1)
            emb = emb + self.context(torch.cat([emb, whole.expand(-1, -1, emb.shape[2])], dim=1))
        return self.head(emb)[:, 0]
