"""The block-corruption network and its training logic, without the synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.models import resnet18

from vqa_train.metrics import balanced_accuracy, best_threshold
from vqa_train.models.block_map import BlockMapNet, load_resnet_weights, map_size
from vqa_train.modules.block_corruption import BlockCorruptionModule, area_ratio, cell_targets


@pytest.fixture(scope="module")
def net() -> BlockMapNet:
    torch.manual_seed(0)
    return BlockMapNet(head_hidden=8).eval()


@pytest.mark.parametrize(
    ("height", "width", "cells"),
    [(224, 224, (7, 7)), (1080, 1920, (34, 60)), (360, 640, (12, 20)), (65, 33, (3, 2)), (20, 12, (1, 1))],
)
def test_map_size_rule(net, height, width, cells):
    assert map_size(height, width) == cells
    if height * width > 500_000:
        return  # the full-HD forward is covered below once; the rule is what matters here
    with torch.inference_mode():
        map_logits, frame_logits = net(torch.rand(1, 3, height, width))
    assert map_logits.shape == (1, 1, *cells)
    assert frame_logits.shape == (1,)


def test_full_hd_frame_gives_34x60_map(net):
    with torch.inference_mode():
        map_logits, _ = net(torch.rand(1, 3, 1080, 1920))
    assert tuple(map_logits.shape[-2:]) == (34, 60)


def test_pretrained_trunk_loads_from_a_local_torchvision_state_dict(tmp_path):
    ref = resnet18(weights=None)
    path = tmp_path / "resnet18.pth"
    torch.save(ref.state_dict(), path)
    net = BlockMapNet(pretrained_path=str(path))
    assert torch.equal(net.stem[0].weight, ref.conv1.weight)
    assert torch.equal(net.layer4[1].bn2.running_var, ref.layer4[1].bn2.running_var)


def test_pretrained_path_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        BlockMapNet(pretrained_path=str(tmp_path / "missing.pth"))
    bad = tmp_path / "bad.pth"
    torch.save({"conv1.weight": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="bad.pth"):
        load_resnet_weights(BlockMapNet(), bad)


def test_cell_targets_pool_the_mask_to_map_cells():
    mask = torch.zeros(1, 64, 64)
    mask[0, :32, :32] = 1.0  # one full cell
    mask[0, 32:36, 32:64] = 1.0  # 1/8 of another
    frac = cell_targets(mask, (2, 2), "fraction", 0.1)
    assert frac[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.125]]
    binary = cell_targets(mask, (2, 2), "binary", 0.2)
    assert binary[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert area_ratio(frac, 0.5).tolist() == [0.25]
    # The data module sends masks as uint8 (255 = corrupted): the same cell targets.
    mask8 = (mask * 255).to(torch.uint8)
    for mode, threshold in (("fraction", 0.1), ("binary", 0.2)):
        assert torch.equal(
            cell_targets(mask8, (2, 2), mode, threshold), cell_targets(mask, (2, 2), mode, threshold)
        )


def test_best_threshold_separates_and_balanced_accuracy_averages_recalls():
    scores = np.array([0.0, 0.01, 0.02, 0.3, 0.5, 0.9])
    labels = np.array([0, 0, 0, 1, 1, 1])
    thr, bacc = best_threshold(scores, labels)
    assert 0.02 < thr < 0.3 and bacc == 1.0
    assert balanced_accuracy([0, 0, 0, 1], [0, 0, 1, 1]) == pytest.approx((2 / 3 + 1) / 2)


def test_module_loss_falls_on_a_learnable_toy_problem():
    """Bright squares are 'corrupted': map and frame losses must both go down."""
    torch.manual_seed(0)
    module = BlockCorruptionModule(
        BlockMapNet(head_hidden=8), optimizer=lambda params: torch.optim.Adam(params, lr=1e-3)
    )
    images = torch.zeros(8, 3, 64, 64, dtype=torch.uint8)
    masks = torch.zeros(8, 64, 64)
    labels = torch.tensor([0, 1] * 4)
    for i in range(1, 8, 2):
        images[i, :, 0:32, 32:64] = 255
        masks[i, 0:32, 32:64] = 1.0
    opt = module.optimizer_factory(module.parameters())
    module.train()
    losses = []
    for _ in range(15):
        map_logits, frame_logits = module(images)
        target = cell_targets(masks, map_logits.shape[-2:], "binary", 0.1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(map_logits, target)
        loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(frame_logits, labels.float())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0]


def test_module_rejects_unknown_decision():
    with pytest.raises(ValueError, match="decision"):
        BlockCorruptionModule(BlockMapNet(), optimizer=torch.optim.Adam, decision="vote")
