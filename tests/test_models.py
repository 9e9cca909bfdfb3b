"""The exportable log-mel front end equals torchaudio's; PANN variants and local weight loading."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch
import torchaudio

from vqa_train.deploy.export import EXPORT_SPECS, parity, to_onnx
from vqa_train.models.logmel import LogMel
from vqa_train.models.pann import PannClassifier, load_pann_weights


def test_logmel_matches_torchaudio_at_pann_settings():
    x = torch.randn(3, 32000) * 0.2
    ref = torchaudio.transforms.MelSpectrogram(
        32000, n_fft=1024, hop_length=320, n_mels=64, f_min=50.0, f_max=14000.0, power=2.0
    )(x)
    ref = 10 * torch.log10(ref.clamp(min=1e-10)).transpose(1, 2)
    ours = LogMel()(x)[:, 0]
    assert ours.shape == (3, 101, 64)
    assert torch.allclose(ours, ref, atol=1e-3)


def test_logmel_rejects_bad_band():
    with pytest.raises(ValueError, match="f_max"):
        LogMel(sample_rate=16000, f_max=14000.0)


@pytest.mark.parametrize("arch", ["cnn6", "cnn10", "cnn14"])
def test_variants_take_any_length(arch):
    net = PannClassifier(5, arch=arch, width=4).eval()
    for n in (16000, 32000, 48123):
        assert net(torch.zeros(2, n)).shape == (2, 5)


def test_unknown_arch_lists_choices():
    with pytest.raises(ValueError, match="cnn10"):
        PannClassifier(5, arch="cnn99")


def test_pretrained_trunk_loads_from_a_local_panns_checkpoint(tmp_path):
    donor = PannClassifier(527, arch="cnn6", width=8)
    state = {k: v for k, v in donor.state_dict().items() if not k.startswith("head.")}
    state["fc_audioset.weight"] = torch.randn(527, 64)  # PANNs' head: never loaded
    path = tmp_path / "Cnn6.pth"
    torch.save({"model": state, "iteration": 1000}, path)

    net = PannClassifier(5, arch="cnn6", width=8)
    head_before = net.head.weight.clone()
    loaded = load_pann_weights(net, path)
    assert "conv_block1.conv1.weight" in loaded and "bn0.weight" in loaded
    assert not any(k.startswith("head.") for k in loaded)
    assert torch.equal(net.conv_block4.conv1.weight, donor.conv_block4.conv1.weight)
    assert torch.equal(net.head.weight, head_before)


def test_pretrained_mismatch_and_missing_file_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="pretrained_path"):
        load_pann_weights(PannClassifier(5, width=4), tmp_path / "nope.pth")
    other = tmp_path / "other.pth"
    torch.save({"model": {"something.weight": torch.zeros(3)}}, other)
    with pytest.raises(ValueError, match="no tensor matches"):
        load_pann_weights(PannClassifier(5, width=4), other)


def test_freq_bands_keep_where_in_frequency_and_export(tmp_path):
    plain = PannClassifier(5, width=4)
    banded = PannClassifier(5, width=4, freq_bands=4).eval()
    assert banded.fc1.in_features == 4 * plain.fc1.in_features
    # a feature that fires only in the top mel rows and one that fires only in the bottom rows:
    # the PANN mean cannot tell them apart, the bands can
    top, bottom = torch.zeros(2, 32, 6, 4), torch.zeros(2, 32, 6, 4)
    top[..., 3], bottom[..., 0] = 1.0, 1.0
    assert torch.equal(plain.pool_mel(top), plain.pool_mel(bottom))
    assert banded.pool_mel(top).shape == (2, 32 * 4, 6)
    assert not torch.equal(banded.pool_mel(top), banded.pool_mel(bottom))
    for n in (16000, 32000, 48123):
        assert banded(torch.randn(2, n) * 0.1).shape == (2, 5)
    with pytest.raises(ValueError, match="freq_bands must divide the last block's 4 mel rows"):
        PannClassifier(5, freq_bands=3)
    # one setting for every variant: CNN14 has 2 rows left, so 4 bands means one per row
    cnn14 = PannClassifier(5, arch="cnn14", width=4, freq_bands=4).eval()
    assert cnn14.freq_bands == 2 and cnn14(torch.zeros(1, 32000)).shape == (1, 5)
    info = {"detector": {"segment_s": 1.0, "sample_rate": 32000}, "model": {"net": {}}}
    spec = EXPORT_SPECS["audio_segment_classifier"](banded, info)
    path = tmp_path / "banded.onnx"
    to_onnx(spec, path, opset=18)
    assert parity(spec, path) < 1e-4
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 40000)).astype(np.float32)
    with torch.no_grad():
        ref = spec.model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(sess.run(None, {"waveform": x})[0], ref, atol=1e-4)


def test_last_pool_mel_off_keeps_twice_the_rows_for_the_bands():
    x = torch.randn(2, 32000) * 0.1
    for arch, rows in (("cnn6", 8), ("cnn14", 4)):
        net = PannClassifier(5, arch=arch, width=4, freq_bands=8, last_pool_mel=False).eval()
        assert net.freq_bands == rows
        seen = {}
        last = getattr(net, f"conv_block{net.num_blocks}")
        last.register_forward_hook(lambda m, i, o, seen=seen: seen.update(shape=o.shape))
        assert net(x).shape == (2, 5)
        assert seen["shape"][-1] == rows  # mel rows out of the last block
    with pytest.raises(ValueError, match="8 mel rows"):
        PannClassifier(5, freq_bands=3, last_pool_mel=False)


def test_wave_branch_sees_a_click_whatever_the_level_and_exports(tmp_path):
    from vqa_train.models.wave_branch import WaveBranch

    assert not any(k.startswith("wave.") for k in PannClassifier(5, width=4).state_dict())
    net = PannClassifier(5, width=4, wave_branch=4).eval()
    assert net.wave is not None and net.head.in_features == net.fc1.out_features + net.wave.dim
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(0, 0.01, (1, 32000)).astype(np.float32))
    x[0, 12345] += 0.3  # a one-sample tick in a noise bed
    branch = WaveBranch(32000)
    z = branch.normalised_difference(x)[0, 0]
    assert int(z.abs().argmax()) in (12344, 12345)  # the tick's two difference samples
    # normalised by the local level: a 20 dB louder clip gives the same input to the convolutions
    assert torch.allclose(branch.normalised_difference(10 * x), z.unsqueeze(0).unsqueeze(0), atol=1e-3)
    for n in (16000, 32000, 48123):
        assert net(torch.randn(2, n) * 0.1).shape == (2, 5)
    with pytest.raises(ValueError, match="wave_branch must be >= 0"):
        PannClassifier(5, wave_branch=-1)
    info = {"detector": {"segment_s": 1.0, "sample_rate": 32000}, "model": {"net": {}}}
    spec = EXPORT_SPECS["audio_segment_classifier"](net, info)
    path = tmp_path / "wave.onnx"
    to_onnx(spec, path, opset=18)
    assert parity(spec, path) < 1e-4


def test_time_min_pools_the_quietest_moments_too():
    plain = PannClassifier(5, width=4, freq_bands=4)
    net = PannClassifier(5, width=4, freq_bands=4, time_min=True).eval()
    assert net.fc1.in_features == 2 * plain.fc1.in_features
    seen = {}
    net.fc1.register_forward_hook(lambda m, i, o: seen.update(x=i[0]))
    assert net(torch.randn(2, 32000) * 0.1).shape == (2, 5)
    half = plain.fc1.in_features
    # the second half is the minimum over time, never above the first half (max + mean)
    assert torch.all(seen["x"][:, half:] <= seen["x"][:, :half] + 1e-6)


def test_frame_head_labels_time_cells_and_leaves_the_segment_head_alone(tmp_path):
    torch.manual_seed(0)
    plain = PannClassifier(5, width=4, freq_bands=4).eval()
    net = PannClassifier(5, width=4, freq_bands=4, frame_head=True).eval()
    assert plain.frame_head is None and net.cell_s == pytest.approx(0.16)  # 16 hops of 10 ms
    net.load_state_dict(plain.state_dict(), strict=False)  # everything but the frame head
    x = torch.randn(2, 32000) * 0.1
    out = net.forward_cells(x)
    logits, cells = out["logits"], out["cells"]
    assert (
        cells.shape == (2, 5, 6) and "wave_frames" not in out
    )  # 101 mel frames -> 6 cells after four 2x poolings
    assert torch.allclose(logits, plain(x)) and torch.allclose(net(x), plain(x))
    with pytest.raises(ValueError, match="frame_head=true or model.net.wave_frame_head=true"):
        plain.forward_cells(x)
    info = {"detector": {"segment_s": 1.0, "sample_rate": 32000}, "model": {"net": {}}}
    spec = EXPORT_SPECS["audio_segment_classifier"](net, info)
    path = tmp_path / "frames.onnx"
    to_onnx(spec, path, opset=18)
    assert parity(spec, path) < 1e-4
    assert [o.name for o in ort.InferenceSession(str(path)).get_outputs()] == ["probs"]


def test_wave_frame_head_points_at_the_click_and_is_not_exported(tmp_path):
    torch.manual_seed(0)
    net = PannClassifier(5, width=4, wave_branch=4, wave_frame_head=True).eval()
    plain = PannClassifier(5, width=4, wave_branch=4).eval()
    plain.load_state_dict(net.state_dict(), strict=False)
    x = torch.randn(2, 32000) * 0.01
    out = net.forward_cells(x)
    assert set(out) == {"logits", "wave_frames"} and out["wave_frames"].shape == (2, 99)
    assert torch.allclose(out["logits"], plain(x)) and torch.allclose(net(x), plain(x))
    # the frames are 10 ms of input each: a tick moves the map only in its own frame (and the edge of the next)
    ticked = x.clone()
    ticked[:, 12345] += 0.5
    changed = (net.forward_cells(ticked)["wave_frames"] - out["wave_frames"]).abs()[0] > 1e-6
    hits = set(torch.nonzero(changed).flatten().tolist())
    assert 38 in hits and hits <= {37, 38, 39}
    with pytest.raises(ValueError, match="wave_frame_head=true needs model.net.wave_branch"):
        PannClassifier(5, wave_frame_head=True)
    info = {"detector": {"segment_s": 1.0, "sample_rate": 32000}, "model": {"net": {}}}
    spec = EXPORT_SPECS["audio_segment_classifier"](net, info)
    to_onnx(spec, tmp_path / "wave_frames.onnx", opset=18)
    assert parity(spec, tmp_path / "wave_frames.onnx") < 1e-4
