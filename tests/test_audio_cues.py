"""The hand-designed audio cues see what they are built for; PANN with cues trains, exports, composes."""

from __future__ import annotations

import logging

import hydra
import numpy as np
import onnxruntime as ort
import pytest
import torch
from omegaconf import OmegaConf

from synth.audio import AudioMeta, Clicks, Hum, ProceduralAudio
from vqa_train.deploy.export import EXPORT_SPECS, parity, to_onnx
from vqa_train.models.audio_cues import CUE_NAMES, AudioCues
from vqa_train.models.pann import PannClassifier

SR = 32000
META = AudioMeta(sample_rate=SR)


@pytest.fixture(scope="module")
def cues() -> AudioCues:
    return AudioCues(SR).eval()


def _cues(module: AudioCues, clips: list[np.ndarray], name: str) -> np.ndarray:
    """One named cue for each ``(1, samples)`` clip."""
    with torch.no_grad():
        out = module(torch.from_numpy(np.concatenate(clips)))
    return out[:, CUE_NAMES.index(name)].numpy()


def _drone(f0: float, seed: int = 0) -> np.ndarray:
    """A sustained organ-like note (8 harmonics, 3 dB down each) over a -80 dBFS noise floor."""
    rng = np.random.default_rng(seed)
    t = np.arange(SR) / SR
    wave = sum(
        0.7 ** (k - 1) * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi)) for k in range(1, 9)
    )
    wave = 0.3 * wave / np.max(np.abs(wave)) + 1e-4 * rng.standard_normal(SR)
    return wave[None].astype(np.float32)


def test_shape_names_and_any_batch_or_length(cues):
    assert cues.dim == len(CUE_NAMES) == len(set(CUE_NAMES)) == 33
    with torch.no_grad():
        for batch, n in ((1, SR), (3, SR // 2), (2, 48123), (1, cues.min_samples)):
            out = cues(torch.randn(batch, n) * 0.1)
            assert out.shape == (batch, cues.dim) and torch.isfinite(out).all()
        assert cues(torch.zeros(2, 1, SR)).shape == (2, cues.dim)  # (B, 1, N) as the data module gives


def test_finite_for_silence_and_full_scale(cues):
    rng = np.random.default_rng(0)
    clips = [
        np.zeros(SR, np.float32),
        rng.uniform(-1, 1, SR).astype(np.float32),
        np.clip(rng.standard_normal(SR) * 2, -1, 1).astype(np.float32),
        np.sign(np.sin(2 * np.pi * 50 * np.arange(SR) / SR)).astype(np.float32),  # full-scale square
    ]
    with torch.no_grad():
        out = cues(torch.from_numpy(np.stack(clips)))
    assert torch.isfinite(out).all()
    assert out[0].abs().max() < 14.01  # digital silence sits on the -140 dB floor, not at -inf


@pytest.mark.parametrize("mains", [50, 60])
def test_comb_separates_mains_hum_from_drones(cues, mains):
    drones = [_drone(f) for f in (73.0, 110.0, mains - 1.0, mains + 1.5)]  # off the comb, some by 1 Hz
    hum = Hum(mains_hz_choices=(float(mains),))
    hummed = [
        hum(_drone(f, seed), np.random.default_rng(seed), META)[0] for f in (73.0, 110.0) for seed in range(3)
    ]
    for stat, gap in (("count", 0.5), ("odd", 3.0)):
        name = f"comb{mains}_{stat}"
        assert _cues(cues, hummed, name).min() > _cues(cues, drones, name).max() + gap, name
    other = 60 if mains == 50 else 50  # 50 Hz hum is not a 60 Hz comb, nor the reverse
    assert _cues(cues, hummed, f"comb{other}_count").max() < 0.5


def test_impulse_cue_rises_with_one_click(cues):
    source = ProceduralAudio()
    clean = [source.segment(np.random.default_rng(seed), "test", SR, SR)[0] for seed in range(6)]
    click = Clicks(single_click_prob=1.0)
    clicked = [click(x, np.random.default_rng(100 + i), META)[0] for i, x in enumerate(clean)]
    peak = [
        np.maximum(_cues(cues, x, "click1_peak"), _cues(cues, x, "click2_peak")) for x in (clean, clicked)
    ]
    assert (peak[1] > peak[0] + 0.3).all(), peak
    spike = np.array(clean[0])  # a single-sample spike 20 dB over a steady tone stands out by far more
    spike[0, SR // 2] += 10 * np.sqrt(np.mean(spike**2))
    assert _cues(cues, [spike], "click2_peak")[0] > _cues(cues, [clean[0]], "click2_peak")[0] + 1.0


def test_flatness_and_stationarity_tell_hiss_from_tones_and_fluctuating_beds(cues):
    rng = np.random.default_rng(0)
    t = np.arange(SR) / SR
    noise = (0.05 * rng.standard_normal(SR)).astype(np.float32)[None]
    tones = (0.2 * np.sin(2 * np.pi * np.outer(t, [2500.0, 6000.0, 9000.0])).sum(1)).astype(np.float32)[None]
    gusty = (noise * (1 + 0.9 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)  # a fluctuating bed
    for band in ("mid", "high"):
        assert (
            _cues(cues, [noise], f"{band}_flat_mean")[0] > _cues(cues, [tones], f"{band}_flat_mean")[0] + 1.0
        )
        assert (
            _cues(cues, [noise], f"{band}_level_std")[0] < _cues(cues, [gusty], f"{band}_level_std")[0] - 0.2
        )
    white = _cues(cues, [noise], "high_flat_mean")[0]
    assert -0.4 < white < -0.1  # log10 flatness of a white periodogram is about -0.25


def _lowpassed(noise: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """``noise`` with everything above ``cutoff_hz`` removed (brick wall): a bed that rolls off."""
    spectrum = np.fft.rfft(noise, axis=-1)
    spectrum[..., np.fft.rfftfreq(noise.shape[-1], 1 / SR) > cutoff_hz] = 0
    return np.fft.irfft(spectrum, n=noise.shape[-1], axis=-1).astype(np.float32)


def test_top_band_step_tells_hiss_from_a_rolled_off_bed_and_leaves_the_default_cues_alone(cues):
    top = AudioCues(SR, top_band=True).eval()
    assert top.names[: cues.dim] == list(CUE_NAMES)
    assert top.dim == cues.dim + 6 and top.names[-1] == "top_floor_level"
    rng = np.random.default_rng(3)
    hiss = (0.03 * rng.standard_normal((1, SR))).astype(np.float32)
    bed = _lowpassed(hiss, 12500.0) + (0.0003 * rng.standard_normal((1, SR))).astype(np.float32)
    x = torch.from_numpy(np.concatenate([hiss, bed]))
    with torch.no_grad():
        out, base = top(x), cues(x)
    torch.testing.assert_close(out[:, : cues.dim], base)  # the 33 cues are the same with the option on
    step = out[:, top.names.index("top_step_floor")]
    assert abs(float(step[0])) < 0.15  # white hiss: the same level per bin on both sides of 14 kHz
    assert float(step[1]) < float(step[0]) - 1.0  # a bed rolled off at 12.5 kHz is 10+ dB lower above 14
    with pytest.raises(ValueError, match="top_band=True needs about 32 kHz"):
        AudioCues(16000, top_band=True)
    with pytest.raises(ValueError, match="cue_top_band=true needs model.net.cues=true"):
        PannClassifier(5, width=4, cue_top_band=True)


def _busy(seed: int, n: int = SR // 4) -> np.ndarray:
    """Speech-like busy sound: noise through a 2-pole resonance at ~1 kHz, about -20 dBFS."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = np.zeros(n)
    a1, a2 = 2 * 0.98 * np.cos(2 * np.pi * 1000 / SR), -(0.98**2)
    for i in range(2, n):
        y[i] = x[i] + a1 * y[i - 1] + a2 * y[i - 2]
    return (0.1 * y / np.std(y)).astype(np.float32)


def test_dropout_cues_find_a_held_span_in_sound_and_nothing_in_clean_look_alikes(cues):
    dips = AudioCues(SR, dips=True).eval()
    assert dips.names[: cues.dim] == list(CUE_NAMES)
    assert dips.names[cues.dim :] == ["dip_depth", "dip_count30", "dip_count45"]
    busy = _busy(0)
    held = busy.copy()
    held[4000:4030] = held[4000]  # a 30-sample (0.9 ms) stuck converter in the middle of sound
    long_held = busy.copy()
    long_held[5000:5060] = 0.05  # 1.9 ms replaced by a constant
    onset = np.concatenate([np.zeros(SR // 8, np.float32), busy[: SR // 8]])  # silence, then sound
    t = np.arange(SR // 4) / SR
    low = 0.03 * np.sin(2 * np.pi * 50 * t)  # a quiet 50 Hz tone, in 16-bit PCM: values repeat
    low16 = (np.round(low * 32767) / 32767).astype(np.float32)
    clipped = np.clip(busy * 3, -0.2, 0.2)  # hard clipping: plateaus everywhere
    x = torch.from_numpy(np.stack([busy, held, long_held, onset, low16, clipped]))
    with torch.no_grad():
        out, base = dips(x), cues(x)
    torch.testing.assert_close(out[:, : cues.dim], base)  # the other cues are the same with the option on
    depth, count45 = out[:, -3].numpy(), np.round(np.expm1(out[:, -1].numpy()), 3)
    assert depth[0] > -3.0 and count45[0] == 0  # busy sound alone
    assert depth[1] == pytest.approx(-5.0) and count45[1] == 1  # the held span: one dropout, at the cap
    assert depth[2] == pytest.approx(-5.0) and count45[2] == 1  # 1.9 ms: the 1 ms sides reach both edges
    assert depth[3] > -3.0 and depth[4] > -3.0  # sound on one side only; a slowly changing 16-bit tone
    assert depth[5] == pytest.approx(-5.0) and count45[5] == 8  # clipping: held spans, many (capped)
    with pytest.raises(ValueError, match="cue_dips=true needs model.net.cues=true"):
        PannClassifier(5, width=4, cue_dips=True)


def _trained_net(cues: bool, top_band: bool = False, dips: bool = False) -> PannClassifier:
    """A tiny PANN after a few train-mode steps, so its BatchNorm statistics are not the identity."""
    torch.manual_seed(0)
    net = PannClassifier(5, width=4, cues=cues, cue_top_band=top_band, cue_dips=dips)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    for _ in range(2):
        loss = torch.nn.functional.cross_entropy(net(torch.randn(4, SR) * 0.1), torch.tensor([0, 1, 2, 3]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def test_pann_default_is_unchanged_and_cues_add_only_new_tensors():
    plain, with_cues = PannClassifier(5, width=4), PannClassifier(5, width=4, cues=True)
    assert plain.cues is None
    assert not any(k.startswith("cue") for k in plain.state_dict())
    extra = set(with_cues.state_dict()) - set(plain.state_dict())
    assert extra and all(k.startswith(("cue_norm.", "cue_mix.")) for k in extra)  # AudioCues has no state
    assert (
        with_cues.head.in_features
        == plain.head.in_features + with_cues.cues.dim + with_cues.cue_mix.out_features
    )


@pytest.mark.parametrize(("top_band", "dips"), [(False, False), (True, False), (False, True)])
def test_pann_with_cues_forwards_and_exports_with_onnx_runtime_parity(tmp_path, caplog, top_band, dips):
    net = _trained_net(cues=True, top_band=top_band, dips=dips)
    with torch.no_grad():
        for n in (16000, SR, 48123):
            assert net(torch.randn(2, n) * 0.1).shape == (2, 5)
    info = {"detector": {"segment_s": 1.0, "sample_rate": SR}, "model": {"net": {}}}
    spec = EXPORT_SPECS["audio_segment_classifier"](net, info)
    path = tmp_path / "audio_artifacts.onnx"
    with caplog.at_level(logging.INFO, logger="vqa_train.deploy.export"):
        to_onnx(spec, path, opset=18)
    assert "exporter failed" not in caplog.text  # the TorchScript exporter took it: no FFT op, no fallback
    assert parity(spec, path) < 1e-4  # export.yaml's parity_atol
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.zeros((2, 20011), np.float32)  # another length, digital silence included
    x[1] = np.random.default_rng(1).uniform(-1, 1, x.shape[1])
    with torch.no_grad():
        ref = spec.model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(sess.run(None, {"waveform": x})[0], ref, atol=1e-4)


def test_cues_experiment_composes_with_cues_on(compose_config):
    base = compose_config("train", ["experiment=audio_artifacts_cpu30"])
    cfg = compose_config("train", ["experiment=audio_artifacts_cues_cpu30"])
    assert cfg.model.net.cues is True and base.model.net.cues is False
    assert "cues" in cfg.tags
    for key in ("seed", "trainer", "detector", "model.optimizer", "model.scheduler"):
        assert OmegaConf.select(cfg, key) == OmegaConf.select(base, key), key  # the frozen CPU recipe
    # Only the epoch size differs (7,500 segments: the cues cost ~7 % per segment of a 30-min budget).
    assert cfg.data.train_size == 7500 and base.data.train_size == 8000
    cfg.data.train_size = base.data.train_size
    assert cfg.data == base.data
    net_cfg, base_net = OmegaConf.to_container(cfg.model.net), OmegaConf.to_container(base.model.net)
    assert {k: v for k, v in net_cfg.items() if k != "cues"} == {
        k: v for k, v in base_net.items() if k != "cues"
    }
    small = compose_config("train", ["experiment=audio_artifacts_cues_cpu30", "model.net.width=4"])
    net = hydra.utils.instantiate(small.model.net).eval()
    assert isinstance(net.cues, AudioCues)
    with torch.no_grad():
        assert net(torch.zeros(2, SR)).shape == (2, 5)


@pytest.mark.parametrize(
    ("experiment", "key", "value", "base_value"),
    [
        ("audio_artifacts_top_cpu30", "model.net.cue_top_band", True, False),
        ("audio_artifacts_cues16k_e12_cpu30", "trainer.max_epochs", 12, 8),
    ],
)
def test_16k_variants_change_one_key_of_the_frozen_16k_recipe(
    compose_config, experiment, key, value, base_value
):
    base = compose_config("train", ["experiment=audio_artifacts_cues16k_cpu30"])
    cfg = compose_config("train", [f"experiment={experiment}"])
    assert OmegaConf.select(cfg, key) == value and OmegaConf.select(base, key) == base_value
    assert set(base.tags) < set(cfg.tags)
    OmegaConf.update(cfg, key, base_value)
    cfg.tags = base.tags
    assert cfg == base  # the frozen 16 kHz recipe, nothing else changed


def test_default_recipe_is_the_best_measured_one_held_to_the_30_minute_budget(compose_config):
    """`python train.py` (what `make train` runs) trains the best measured CPU recipe, time-boxed."""
    default = compose_config("train", [])
    recipe = compose_config("train", ["experiment=audio_artifacts_dips_fill_cpu30"])
    assert default.model.net.cues is True and default.model.net.cue_dips is True
    assert default.model.net.f_max == 16000.0
    assert default.model.net.dropout == 0.0 and default.model.net.freq_bands == 4
    assert default.model.frame_loss_weight == 1.0 and default.data.frame_targets is True
    budget = default.callbacks.fit_to_time
    assert 0 < budget.budget_s * budget.safety < 28 * 60 and budget.max_epochs_cap == 30  # fills 28 min
    for key in ("seed", "data", "defect", "model", "trainer", "detector", "callbacks.fit_to_time"):
        assert OmegaConf.select(default, key) == OmegaConf.select(recipe, key), key
    frames = compose_config("train", ["experiment=audio_artifacts_frames_cpu30"])
    assert frames.callbacks.fit_to_time.budget_s is None  # the frozen recipes keep their 12 epochs
    # Each step from the clicks recipe changed one thing: dropout, the frequency bands, the frame loss.
    clicks = compose_config("train", ["experiment=audio_artifacts_clicks_e12_cpu30"])
    dropout0 = compose_config("train", ["experiment=audio_artifacts_dropout0_cpu30"])
    assert clicks.model.net.dropout == 0.2 and clicks.model.net.freq_bands == 1
    clicks.model.net.dropout = 0.0
    clicks.tags = dropout0.tags
    assert clicks == dropout0
    dropout0.model.net.freq_bands = 4
    bands4 = compose_config("train", ["experiment=audio_artifacts_bands4_cpu30"])
    dropout0.tags = bands4.tags
    assert dropout0 == bands4
    assert bands4.data.frame_targets is False and bands4.model.frame_loss_weight == 0.0
    bands4.data.frame_targets, bands4.model.net.frame_head, bands4.model.frame_loss_weight = True, True, 1.0
    bands4.tags = frames.tags
    assert bands4 == frames
    old = compose_config("train", ["experiment=audio_artifacts_cpu30"])  # frozen before the change
    assert old.model.net.cues is False and old.model.net.f_max == 14000.0 and old.model.net.dropout == 0.2
    assert old.model.net.freq_bands == 1
    assert old.callbacks.fit_to_time.budget_s is None and old.trainer.max_epochs == 8


def test_wide_recipe_is_the_frame_loss_recipe_wider_in_channels_last_with_the_whole_budget(compose_config):
    frames = compose_config("train", ["experiment=audio_artifacts_frames_cpu30"])
    wide = compose_config("train", ["experiment=audio_artifacts_wide_cpu30"])
    assert frames.callbacks.channels_last.enabled is False and wide.callbacks.channels_last.enabled is True
    assert (frames.model.net.width, wide.model.net.width) == (32, 48)
    assert wide.callbacks.fit_to_time.budget_s == 1680 and wide.callbacks.fit_to_time.max_epochs_cap == 30
    assert set(frames.tags) - {"epochs12"} < set(wide.tags)
    wide.model.net.width = 32
    wide.callbacks.channels_last.enabled = False
    wide.callbacks.fit_to_time.budget_s, wide.callbacks.fit_to_time.max_epochs_cap = None, None
    wide.tags = frames.tags
    assert wide == frames


def test_dips_recipes_are_the_frame_loss_recipe_with_the_dropout_cues_then_the_whole_budget(compose_config):
    frames = compose_config("train", ["experiment=audio_artifacts_frames_cpu30"])
    dips = compose_config("train", ["experiment=audio_artifacts_dips_cpu30"])
    fill = compose_config("train", ["experiment=audio_artifacts_dips_fill_cpu30"])
    assert fill.callbacks.fit_to_time.budget_s == 1680 and fill.callbacks.fit_to_time.max_epochs_cap == 30
    fill.callbacks.fit_to_time.budget_s, fill.callbacks.fit_to_time.max_epochs_cap = None, None
    fill.tags = dips.tags
    assert fill == dips
    assert frames.model.net.cue_dips is False and dips.model.net.cue_dips is True
    assert set(frames.tags) < set(dips.tags)
    dips.model.net.cue_dips = False
    dips.tags = frames.tags
    assert dips == frames
