"""Index samplers that keep every sample a pure function of (seed, split, index)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch.distributed as dist
from torch.utils.data import Sampler


class EpochIndexSampler(Sampler[int]):
    """Indices ``0..size-1`` (shuffled per epoch), offset by ``epoch * size`` when ``fresh``.

    With ``fresh=True`` every epoch sees new synthetic samples; the shuffle order depends on
    (seed, epoch) only. Under DDP each rank takes every ``world``-th index, so no
    DistributedSampler is needed (set ``use_distributed_sampler: false``).
    """

    def __init__(self, size: int, seed: int, shuffle: bool = True, fresh: bool = False) -> None:
        if size <= 0:
            raise ValueError(f"sampler size must be > 0, got {size}")
        self.size, self.seed, self.shuffle, self.fresh = int(size), int(seed), shuffle, fresh
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    @staticmethod
    def _rank_world() -> tuple[int, int]:
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1

    def __iter__(self) -> Iterator[int]:
        order = np.arange(self.size)
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.size)
        if self.fresh:
            order = order + self.epoch * self.size
        rank, world = self._rank_world()
        return iter(order[rank::world].tolist())

    def __len__(self) -> int:
        rank, world = self._rank_world()
        return len(range(rank, self.size, world))
