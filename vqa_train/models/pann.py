"""PANN-style audio CNNs (CNN6 / CNN10 / CNN14) over log-mel features.

Module names follow the published PANNs checkpoints (``bn0``, ``conv_block1.conv1``, ``fc1``), so
their trunk weights load from a local file with :func:`load_pann_weights`; the classification head
is always new. With ``cues=True`` the head also sees hand-designed cues computed from the same
waveform (:class:`~vqa_train.models.audio_cues.AudioCues`: mains comb, impulses, noise flatness).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from vqa_train.models.audio_cues import AudioCues
from vqa_train.models.logmel import LogMel
from vqa_train.models.wave_branch import WaveBranch

log = logging.getLogger(__name__)

# Width of the small ReLU layer that mixes the normalised cues (cues=True) before the head.
CUE_HIDDEN = 32

# Channel widths of each variant's blocks (PANNs: width 64), and whether a block has one 5x5 conv.
ARCHS: dict[str, tuple[tuple[int, ...], bool]] = {
    "cnn6": ((1, 2, 4, 8), True),
    "cnn10": ((1, 2, 4, 8), False),
    "cnn14": ((1, 2, 4, 8, 16, 32), False),
}


class ConvBlock(nn.Module):
    """Two 3x3 conv-BN-ReLU layers (CNN10/14) or one 5x5 (CNN6), then 2x2 average pooling."""

    def __init__(self, c_in: int, c_out: int, single_5x5: bool) -> None:
        super().__init__()
        self.single = single_5x5
        k = 5 if single_5x5 else 3
        self.conv1 = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        if not single_5x5:
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)

    def forward(self, x: torch.Tensor, pool: tuple[int, int] | None = (2, 2)) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        if not self.single:
            x = F.relu(self.bn2(self.conv2(x)))
        return F.avg_pool2d(x, pool) if pool else x


class PannClassifier(nn.Module):
    """Waveform ``(batch, samples)`` at ``sample_rate`` -> class logits ``(batch, num_classes)``.

    With ``cues=True`` the head's input is the CNN embedding, the BatchNorm-normalised
    :class:`AudioCues` vector and a ``CUE_HIDDEN``-unit ReLU layer over it (interactions such as
    "strong comb *and* locked to the mains"), concatenated. ``cues=False`` is the plain PANN, with
    the same state dict as before the option existed. ``cue_top_band=True`` adds the 6 top-band
    cues (hiss against rolled-off noise beds; 32 kHz only) and ``cue_dips=True`` the 3 dropout cues
    (the waveform held still between busy stretches: stuck converters, buffer dropouts); off,
    checkpoints trained before the options existed load unchanged.

    ``freq_bands`` > 1 averages the last block's mel rows into that many bands instead of one
    (PANNs average them all), so the embedding keeps where in frequency a feature fired: an excess
    at the top of the spectrum (hiss) and the same excess at the bottom (a drone) stay apart. A
    value at or above the number of rows keeps every row (CNN6 / CNN10 at 64 mels have 4, CNN14 2),
    so one setting suits every variant; a smaller one must divide it. ``last_pool_mel=False`` has
    the last pooling block halve time only, which leaves twice the rows (8 for CNN6) for the bands
    at the same conv compute.

    ``frame_head=True`` adds a 1x1 conv over the band-pooled map that labels each time cell
    (``cell_s`` seconds of input) for :meth:`forward_cells`, a training-time loss on where the
    defect is; :meth:`forward`, and therefore exports, never run it. ``wave_frame_head=True`` does the
    same for the wave branch at 10-ms frames (where the clicks are).
    """

    def __init__(
        self,
        num_classes: int,
        arch: str = "cnn6",
        width: int = 64,
        sample_rate: int = 32000,
        n_fft: int = 1024,
        hop_length: int = 320,
        n_mels: int = 64,
        f_min: float = 50.0,
        f_max: float = 14000.0,
        dropout: float = 0.2,
        embedding_dim: int | None = None,
        cues: bool = False,
        cue_top_band: bool = False,
        cue_dips: bool = False,
        freq_bands: int = 1,
        last_pool_mel: bool = True,
        wave_branch: int = 0,
        time_min: bool = False,
        frame_head: bool = False,
        wave_frame_head: bool = False,
    ) -> None:
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"unknown arch {arch!r}; choose one of {sorted(ARCHS)}")
        mults, single = ARCHS[arch]
        # Each block's average-pooling kernel (time, mel). CNN14 keeps its last block unpooled in
        # PANNs; without last_pool_mel the last pooling block halves time only (twice the mel rows).
        self.pools: list[tuple[int, int] | None] = [(2, 2)] * len(mults)
        if arch == "cnn14":
            self.pools[-1] = None
        if not last_pool_mel:
            self.pools[len(mults) - 1 - (arch == "cnn14")] = (2, 1)
        rows = n_mels  # the last block's mel rows
        for pool in self.pools:
            rows //= pool[1] if pool else 1
        if freq_bands < 1 or (freq_bands < rows and rows % freq_bands):
            raise ValueError(
                f"model.net.freq_bands must divide the last block's {rows} mel rows ({arch}, "
                f"n_mels={n_mels}) or be at least {rows} (one band per row), got {freq_bands}"
            )
        freq_bands = min(freq_bands, rows)
        if wave_branch < 0:
            raise ValueError(f"model.net.wave_branch must be >= 0 channels (0: off), got {wave_branch}")
        if wave_frame_head and not wave_branch:
            raise ValueError(
                "model.net.wave_frame_head=true needs model.net.wave_branch > 0 (it labels its frames)"
            )
        for name, on in (("cue_top_band", cue_top_band), ("cue_dips", cue_dips)):
            if on and not cues:
                raise ValueError(
                    f"model.net.{name}=true needs model.net.cues=true (it adds to the cue branch)"
                )
        self.arch = arch
        self.features = LogMel(sample_rate, n_fft, hop_length, n_mels, f_min, f_max)
        self.bn0 = nn.BatchNorm2d(n_mels)
        chans = [width * m for m in mults]
        blocks, c_in = [], 1
        for c in chans:
            blocks.append(ConvBlock(c_in, c, single))
            c_in = c
        for i, block in enumerate(blocks, start=1):
            self.add_module(f"conv_block{i}", block)
        self.num_blocks = len(blocks)
        emb = embedding_dim or c_in
        self.freq_bands = freq_bands
        self.time_min = time_min
        self.fc1 = nn.Linear(c_in * freq_bands * (2 if time_min else 1), emb)
        self.cues: AudioCues | None = None
        head_in = emb
        if cues:
            self.cues = AudioCues(sample_rate, top_band=cue_top_band, dips=cue_dips)
            self.cue_norm = nn.BatchNorm1d(self.cues.dim)
            self.cue_mix = nn.Linear(self.cues.dim, CUE_HIDDEN)
            head_in += self.cues.dim + CUE_HIDDEN
        self.wave: WaveBranch | None = None
        if wave_branch:
            self.wave = WaveBranch(sample_rate, channels=wave_branch, frame_head=wave_frame_head)
            head_in += self.wave.dim
        self.head = nn.Linear(head_in, num_classes)
        self.dropout = dropout
        # Each time cell of the last block covers this many mel frames (hops) of the input.
        self.time_stride = math.prod(pool[0] for pool in self.pools if pool)
        self.cell_s = self.time_stride * hop_length / sample_rate
        self.frame_head = nn.Conv1d(c_in * freq_bands, num_classes, 1) if frame_head else None

    def pool_mel(self, x: torch.Tensor) -> torch.Tensor:
        """The last block's ``(B, C, T, M)`` -> ``(B, C * freq_bands, T)``: mel rows averaged per band."""
        if self.freq_bands == 1:
            return x.mean(dim=3)  # PANNs: over all of them
        b, c, t, m = x.shape
        x = x.reshape(b, c, t, self.freq_bands, m // self.freq_bands).mean(dim=4)
        return x.permute(0, 1, 3, 2).reshape(b, c * self.freq_bands, t)

    def cells(self, wave: torch.Tensor) -> torch.Tensor:
        """The trunk's band-pooled map ``(B, C * freq_bands, T')``, one column per ``cell_s`` of input."""
        x = self.features(wave)  # (B, 1, T, M)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        for i, pool in enumerate(self.pools, start=1):
            x = getattr(self, f"conv_block{i}")(x, pool=pool)
            if i < self.num_blocks:
                x = F.dropout(x, p=self.dropout, training=self.training)
        return self.pool_mel(x)

    def embed(self, wave: torch.Tensor) -> torch.Tensor:
        return self._embed_cells(self.cells(wave))

    def _embed_cells(self, x: torch.Tensor) -> torch.Tensor:
        pooled = x.amax(dim=2) + x.mean(dim=2)  # over time
        x = torch.cat([pooled, x.amin(dim=2)], dim=1) if self.time_min else pooled
        x = F.dropout(x, p=self.dropout * 2.5, training=self.training)
        return F.relu(self.fc1(x))

    def _classify(
        self, wave: torch.Tensor, embedding: torch.Tensor, wave_map: torch.Tensor | None = None
    ) -> torch.Tensor:
        h = F.dropout(embedding, p=self.dropout, training=self.training)
        if self.cues is not None:
            c = self.cue_norm(self.cues(wave))
            h = torch.cat([h, c, F.relu(self.cue_mix(c))], dim=1)
        if self.wave is not None:
            h = torch.cat([h, self.wave.pool(self.wave.steps(wave) if wave_map is None else wave_map)], dim=1)
        return self.head(h)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self._classify(wave, self.embed(wave))

    def forward_cells(self, wave: torch.Tensor) -> dict[str, torch.Tensor]:
        """What is in the segment and where, for training-time losses (``forward`` and exports skip
        the extra heads): ``logits`` ``(B, K)``; with ``frame_head``, ``cells``, per-cell class
        logits ``(B, K, T')``; with ``wave_frame_head``, ``wave_frames``, impulse logits per 10 ms."""
        wave_head = self.wave is not None and self.wave.frame_conv is not None
        if self.frame_head is None and not wave_head:
            raise ValueError(
                "forward_cells needs model.net.frame_head=true or model.net.wave_frame_head=true"
            )
        x = self.cells(wave)
        wave_map = self.wave.steps(wave) if self.wave is not None else None
        out = {"logits": self._classify(wave, self._embed_cells(x), wave_map)}
        if self.frame_head is not None:
            out["cells"] = self.frame_head(x)
        if wave_head:
            out["wave_frames"] = self.wave.frame_logits(wave_map)
        return out


def load_pann_weights(model: nn.Module, path: str | Path) -> list[str]:
    """Load a PANNs checkpoint (``{"model": state_dict}`` or a bare state dict) from a local file.

    Only tensors whose name and shape match are copied; the head and the feature extractor stay as
    they are. Returns the names that were loaded; raises if nothing matched.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model.pretrained_path: no such file: {path}")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    state = blob.get("model", blob.get("state_dict", blob)) if isinstance(blob, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: not a state dict or a PANNs checkpoint")
    state = {k.removeprefix("model.").removeprefix("net."): v for k, v in state.items()}
    own = model.state_dict()
    matched = {
        k: v for k, v in state.items() if k in own and own[k].shape == v.shape and k.split(".")[0] != "head"
    }
    if not matched:
        raise ValueError(
            f"{path}: no tensor matches this model (is it a PANNs {getattr(model, 'arch', '')} checkpoint?)"
        )
    model.load_state_dict(matched, strict=False)
    log.info("loaded %d/%d tensors from %s", len(matched), len(own), path)
    return sorted(matched)
