"""The exportable log-mel front end equals torchaudio's; PANN variants and local weight loading."""

from __future__ import annotations

import pytest
import torch
import torchaudio

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
