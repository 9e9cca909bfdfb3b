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

    ``block`` > 1 shuffles runs of ``block`` consecutive indices instead of single indices (and
    deals whole runs to the ranks), so samples that share work (the codec loop's clip groups,
    ``data.codec.frames_per_clip``) arrive together; with a batch size divisible by ``block`` a run
    never straddles two batches, hence never two workers. ``block=1`` is the plain shuffle.

    ``epoch_offset`` k makes epoch e draw what epoch e + k would (order and, when ``fresh``, samples):
    a run fine-tuned from a checkpoint of k epochs (``init_ckpt_path``) then sees new samples instead
    of redrawing the first run's.
    """

    def __init__(
        self,
        size: int,
        seed: int,
        shuffle: bool = True,
        fresh: bool = False,
        block: int = 1,
        epoch_offset: int = 0,
    ) -> None:
        if size <= 0:
            raise ValueError(f"sampler size must be > 0, got {size}")
        if block < 1:
            raise ValueError(f"sampler block must be >= 1, got {block}")
        if epoch_offset < 0:
            raise ValueError(f"sampler epoch_offset must be >= 0, got {epoch_offset}")
        self.epoch_offset = int(epoch_offset)
        self.size, self.seed, self.shuffle, self.fresh = int(size), int(seed), shuffle, fresh
        self.block = int(block)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    @staticmethod
    def _rank_world() -> tuple[int, int]:
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1

    def _indices(self) -> np.ndarray:
        """This rank's indices: runs of ``block`` in (seed, epoch) order, the last run cut at ``size``
        (``block=1``: a plain permutation of the indices)."""
        rank, world = self._rank_world()
        epoch = self.epoch + self.epoch_offset
        runs = -(-self.size // self.block)
        run_order = np.arange(runs)
        if self.shuffle:
            run_order = np.random.default_rng([self.seed, epoch]).permutation(runs)
        order = (run_order[rank::world, None] * self.block + np.arange(self.block)).ravel()
        order = order[order < self.size]
        if self.fresh:  # whole runs per epoch, so runs stay aligned with the groups they serve
            order = order + epoch * runs * self.block
        return order

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices().tolist())

    def __len__(self) -> int:
        return len(self._indices())
