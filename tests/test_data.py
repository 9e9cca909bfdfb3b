"""Same seed, same samples: data never depends on worker count, order or epoch bookkeeping."""

from __future__ import annotations

import hydra
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from tests.conftest import TINY, tiny
from tests.mediagen import tone, write_wav
from vqa_train.data.samplers import EpochIndexSampler


def _batches(dm, workers: int) -> list[torch.Tensor]:
    dm.num_workers = workers
    return [b[0] for b in dm.train_dataloader()]


def test_same_batches_whatever_the_worker_count(compose_config):
    cfg = compose_config("train", [*TINY, "data.train_size=12", "data.batch_size=4"])
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    single = _batches(dm, 0)
    double = _batches(dm, 2)
    assert len(single) == len(double) == 3
    for a, b in zip(single, double):
        assert torch.equal(a, b)


def test_codec_clip_groups_give_the_same_batches_whatever_the_worker_count(compose_config):
    """frames_per_clip: workers cache a clip's encode, yet batches match a single process's."""
    codec = ["data.codec.prob=0.5", "data.codec.clip_frames=4", "data.codec.frames_per_clip=2"]
    cfg = compose_config(
        "train", [*tiny("block_corruption"), *codec, "data.train_size=16", "data.batch_size=4"]
    )
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    assert dm.sampler_block == 2
    single = _batches(dm, 0)
    double = _batches(dm, 2)
    assert len(single) == len(double) == 4
    for a, b in zip(single, double):
        assert torch.equal(a, b)
    cfg = compose_config("train", [*tiny("block_corruption"), *codec, "data.batch_size=3"])
    with pytest.raises(
        Exception, match="data.batch_size .3. must be a multiple of data.codec.frames_per_clip"
    ):
        hydra.utils.instantiate(cfg.data, _convert_="partial")


def test_audio_codec_share_is_reproducible_and_leaves_the_default_data_alone(compose_config):
    """data.codec_prob: a share of samples through AAC, drawn last, same whatever the worker count."""
    plain = hydra.utils.instantiate(compose_config("train", TINY).data, _convert_="partial").synth
    cfg = compose_config("train", [*TINY, "data.codec_prob=0.5", "data.train_size=8", "data.batch_size=4"])
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    coded = [i for i in range(8) if "codec" in dm.synth.sample("train", i)[1].stats]
    assert 0 < len(coded) < 8
    for i in range(8):
        a, b = plain.sample("train", i)[0], dm.synth.sample("train", i)[0]
        assert a.shape == b.shape == (1, plain.num_samples) and b.dtype == np.float32
        if i in coded:  # changed, yet still the same sound (time-aligned, the codec's error is small)
            assert not np.array_equal(a, b) and np.corrcoef(a[0], b[0])[0, 1] > 0.9
        else:  # the extra draw comes after everything else: uncoded samples are untouched
            assert np.array_equal(a, b)
    single, double = _batches(dm, 0), _batches(dm, 2)
    assert all(torch.equal(x, y) for x, y in zip(single, double))
    with pytest.raises(Exception, match="data.codec_prob must be in"):
        hydra.utils.instantiate(
            compose_config("train", [*TINY, "data.codec_prob=1.5"]).data, _convert_="partial"
        )


def test_audio_cheap_codec_share_draws_its_bit_rate_reproducibly(compose_config):
    """data.codec_fast + data.codec_kbps_range: the same samples are coded, each at its own drawn rate."""
    share = [*TINY, "data.codec_prob=0.5", "data.train_size=8", "data.batch_size=4"]
    full = hydra.utils.instantiate(compose_config("train", share).data, _convert_="partial").synth
    cheap_cfg = compose_config("train", [*share, "data.codec_fast=true", "data.codec_kbps_range=[48,96]"])
    cheap = hydra.utils.instantiate(cheap_cfg.data, _convert_="partial").synth
    rates = []
    for i in range(8):
        (a, ta), (b, tb) = full.sample("train", i), cheap.sample("train", i)
        assert ("codec" in ta.stats) == ("codec" in tb.stats)  # the share's draw is unchanged
        if "codec" not in ta.stats:
            assert np.array_equal(a, b)
            continue
        assert tb.stats["codec"].startswith("aac fast ")
        kbps = float(tb.stats["codec"].split()[-1].rstrip("k"))
        assert 48 <= kbps <= 96 and b.shape == a.shape and b.dtype == np.float32
        assert np.corrcoef(a[0], b[0])[0, 1] > 0.9 and not np.array_equal(a, b)
        np.testing.assert_array_equal(b, cheap.sample("train", i)[0])
        rates.append(kbps)
    assert len(set(rates)) == len(rates) > 0
    with pytest.raises(Exception, match="data.codec_kbps_range must be"):
        hydra.utils.instantiate(
            compose_config("train", [*TINY, "data.codec_kbps_range=[96,48]"]).data, _convert_="partial"
        )


def test_fresh_epochs_draw_new_indices_reproducibly():
    s = EpochIndexSampler(6, seed=3, shuffle=True, fresh=True)
    s.set_epoch(0)
    e0 = list(s)
    s.set_epoch(1)
    e1 = list(s)
    assert sorted(e0) == list(range(6)) and sorted(e1) == list(range(6, 12))
    s.set_epoch(1)
    assert list(s) == e1
    fixed = EpochIndexSampler(5, seed=3, shuffle=False)
    fixed.set_epoch(4)
    assert list(fixed) == [0, 1, 2, 3, 4]


def test_val_split_differs_from_train_and_is_stable(compose_config):
    cfg = compose_config("train", TINY)
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    a_train = dm.dataset("train")[3][0]
    a_val = dm.dataset("val")[3][0]
    b_val = hydra.utils.instantiate(cfg.data, _convert_="partial").dataset("val")[3][0]
    assert not torch.equal(a_train, a_val)
    assert torch.equal(a_val, b_val)


def test_folder_datamodule_from_config(compose_config, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    for i in range(10):
        write_wav(media / f"take{i}.wav", tone(200 + 50 * i, 1.5, 44100, amplitude=0.3), 44100)
    cfg = compose_config("train", [*TINY, "data=audio_folder", f"data.source.root={media}"])
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    wave, *_, label = dm.dataset("train")[0]  # the default also returns its frame flags
    assert wave.shape == (32000,) and wave.dtype == torch.float32 and label == 0
    assert np.isfinite(wave.numpy()).all()
    loader = DataLoader(dm.dataset("train"), batch_size=5)
    assert next(iter(loader))[0].shape == (5, 32000)


def test_block_sampler_keeps_runs_together_and_is_reproducible():
    s = EpochIndexSampler(12, seed=3, shuffle=True, fresh=True, block=4)
    for epoch in (0, 1):
        s.set_epoch(epoch)
        order = list(s)
        assert sorted(order) == list(range(12 * epoch, 12 * epoch + 12)) and len(s) == 12
        runs = [order[i : i + 4] for i in range(0, 12, 4)]
        assert all(r == list(range(r[0], r[0] + 4)) and r[0] % 4 == 0 for r in runs)
        s.set_epoch(epoch)
        assert list(s) == order
    ragged = EpochIndexSampler(10, seed=1, shuffle=True, fresh=True, block=4)
    ragged.set_epoch(1)  # epochs start on a run boundary: 12, not 10
    assert sorted(ragged) == list(range(12, 22)) and len(ragged) == 10
    plain = EpochIndexSampler(12, seed=3, shuffle=True, fresh=True)
    assert list(plain) == list(EpochIndexSampler(12, seed=3, shuffle=True, fresh=True, block=1))
    with pytest.raises(ValueError, match="block"):
        EpochIndexSampler(12, seed=3, block=0)


def test_epoch_offset_continues_where_a_run_of_that_many_epochs_stopped(compose_config):
    for block in (1, 4):
        first = EpochIndexSampler(12, seed=3, shuffle=True, fresh=True, block=block)
        later = EpochIndexSampler(12, seed=3, shuffle=True, fresh=True, block=block, epoch_offset=5)
        for epoch in (0, 2):
            first.set_epoch(epoch + 5)
            later.set_epoch(epoch)
            assert list(later) == list(first)
        later.set_epoch(0)
        assert min(later) == 60  # none of the first 5 epochs' samples
    with pytest.raises(ValueError, match="epoch_offset"):
        EpochIndexSampler(12, seed=3, epoch_offset=-1)
    cfg = compose_config("train", [*tiny("block_corruption"), "data.train_epoch_offset=3"])
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    assert min(dm.train_dataloader().sampler) == 3 * cfg.data.train_size


def test_block_batches_carry_the_synth_mask_as_uint8(compose_config):
    cfg = compose_config("train", [*tiny("block_corruption"), "data.train_size=4", "data.batch_size=4"])
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    dataset = dm.dataset("train")
    for index in range(4):
        image, mask, label = dataset[index]
        frame, expected, target = dm.synth.sample("train", index)
        assert mask.dtype == torch.uint8 and image.dtype == torch.uint8
        np.testing.assert_array_equal(mask.numpy(), (expected * 255).astype(np.uint8))
        assert label == dm.classes.index(target.label)
