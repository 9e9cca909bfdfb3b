"""Block-corruption network: a ResNet18 trunk whose head is a 1x1 conv corruption map.

The map has one cell per 32x32 input pixels (``ceil(H/32) x ceil(W/32)``: 224x224 -> 7x7,
1080x1920 -> 34x60), so it works at any frame size. Two frame decisions read it:

- ``area_ratio`` (the reference system's v1): binarise the map and flag the frame when the
  corrupted area / total area exceeds a threshold (0.07 there; re-chosen on val here);
- ``learned`` (v2): a small frame-level head over the trunk's pooled features and the map's own
  statistics, trained jointly with the map.

The network takes RGB float32 in [0, 1]; the ImageNet normalisation is part of the graph, so an
exported model needs no preprocessing beyond decoding and scaling.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torchvision.models import resnet18

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MAP_STRIDE = 32


class BlockMapNet(nn.Module):
    """``(B, 3, H, W)`` RGB in [0, 1] -> ``(map_logits (B, 1, h, w), frame_logits (B,))``."""

    def __init__(
        self, head_hidden: int = 128, dropout: float = 0.1, pretrained_path: str | None = None
    ) -> None:
        super().__init__()
        trunk = resnet18(weights=None)
        self.stem = nn.Sequential(trunk.conv1, trunk.bn1, trunk.relu, trunk.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = (
            trunk.layer1,
            trunk.layer2,
            trunk.layer3,
            trunk.layer4,
        )
        self.map_head = nn.Conv2d(512, 1, kernel_size=1)
        # Frame head: mean- and max-pooled features (max keeps a few corrupted blocks in a 4K frame
        # from being averaged away) plus the map's mean and max probability.
        self.frame_head = nn.Sequential(
            nn.Linear(2 * 512 + 2, head_hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(head_hidden, 1),
        )
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        if pretrained_path:
            load_resnet_weights(self, pretrained_path)

    def features(self, image: torch.Tensor) -> torch.Tensor:
        x = (image - self.mean) / self.std
        return self.layer4(self.layer3(self.layer2(self.layer1(self.stem(x)))))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self.features(image)
        map_logits = self.map_head(feats)
        probs = torch.sigmoid(map_logits).flatten(1)
        pooled = torch.cat(
            [
                feats.mean(dim=(2, 3)),
                feats.amax(dim=(2, 3)),
                probs.mean(dim=1, keepdim=True),
                probs.amax(dim=1, keepdim=True),
            ],
            dim=1,
        )
        return map_logits, self.frame_head(pooled).squeeze(1)


def map_size(height: int, width: int) -> tuple[int, int]:
    """The map's cells for a frame size: ResNet's stride-2 stages round up, five times."""
    h, w = height, width
    for _ in range(5):
        h, w = (h + 1) // 2, (w + 1) // 2
    return h, w


_TRUNK_PREFIXES = {"conv1.": "stem.0.", "bn1.": "stem.1."}


def load_resnet_weights(net: BlockMapNet, path: str | Path) -> None:
    """Initialise the trunk from a local torchvision ResNet18 state dict (``fc.*`` ignored).

    Accepts a bare state dict or one nested under ``state_dict``/``model``. Nothing is downloaded.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model.net.pretrained_path: no such file: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
        raise ValueError(f"{path}: not a readable state dict ({type(exc).__name__})") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    mapped = {}
    for k, v in state.items():
        if k.startswith("fc."):
            continue
        for old, new in _TRUNK_PREFIXES.items():
            if k.startswith(old):
                k = new + k[len(old) :]
        mapped[k] = v
    own = {k for k in net.state_dict() if not k.startswith(("map_head.", "frame_head."))}
    missing = sorted(own - set(mapped))
    if missing:
        raise ValueError(f"{path}: not a ResNet18 state dict (missing {missing[:3]}...)")
    net.load_state_dict(mapped, strict=False)
