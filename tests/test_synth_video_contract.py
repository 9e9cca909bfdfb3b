"""One contract over every frame defect: determinism, purity, layout, exact masks, visibility, config errors."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil

import numpy as np
import pytest

import synth.video
from synth.core import FrameMeta
from synth.video import VIDEO_DEFECTS, BlockCorruption, ProceduralFrames, check_frame
from synth.video import functional as F
from synth.video.base import FrameDefect

H, W = 64, 96

# label -> a range field to break
CONTRACT = {"corrupted": "cluster_blocks_range"}


def _defect_classes() -> dict[str, type]:
    """Every concrete FrameDefect subclass defined anywhere under synth.video."""
    for module in pkgutil.walk_packages(synth.video.__path__, "synth.video."):
        importlib.import_module(module.name)
    found, stack = {}, [FrameDefect]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("synth.video") and not inspect.isabstract(sub):
                found[sub.label] = sub
    return found


_SOURCE = ProceduralFrames(content_weights={"texture": 1.0, "crowd": 1.0, "shapes": 1.0}, bank_size=2)


def _pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two consecutive textured frames (the camera moves between them), uint8 (H, W, 3)."""
    previous, frame, _ = _SOURCE.frames(np.random.default_rng(seed), "train", H, W)
    return previous, frame


def _changed(frame: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.abs(out.astype(np.int16) - frame.astype(np.int16)).max(axis=-1) > 0


def test_table_lists_every_defect() -> None:
    found = _defect_classes()
    assert set(found) == set(VIDEO_DEFECTS), "VIDEO_DEFECTS must list every FrameDefect subclass"
    assert set(VIDEO_DEFECTS) == set(CONTRACT), "every defect needs a row in this contract table"
    for label, cls in VIDEO_DEFECTS.items():
        assert cls.label == label and found[label] is cls


@pytest.fixture(params=sorted(VIDEO_DEFECTS), ids=str)
def label(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.parametrize("seed", range(3))
def test_deterministic_pure_and_layout_kept(label: str, seed: int) -> None:
    defect = VIDEO_DEFECTS[label]()
    previous, frame = _pair(seed)
    before, before_prev = frame.copy(), previous.copy()
    out1, target1 = defect(frame, np.random.default_rng(seed), FrameMeta(previous=previous))
    out2, target2 = defect(frame, np.random.default_rng(seed), FrameMeta(previous=previous))
    np.testing.assert_array_equal(frame, before)  # input untouched
    np.testing.assert_array_equal(previous, before_prev)
    np.testing.assert_array_equal(out1, out2)
    np.testing.assert_array_equal(target1.mask, target2.mask)
    assert target1.to_dict() == target2.to_dict()
    check_frame(out1)
    assert out1.shape == frame.shape and out1.dtype == np.uint8
    assert target1.label == label
    assert target1.mask.shape == (H, W) and target1.mask.dtype == np.float32


@pytest.mark.parametrize("seed", range(6))
def test_params_reproduce_and_mask_is_exactly_the_change(label: str, seed: int) -> None:
    defect = VIDEO_DEFECTS[label]()
    previous, frame = _pair(seed)
    meta = FrameMeta(previous=previous)
    out, target = defect(frame, np.random.default_rng(100 + seed), meta)
    params = target.params
    assert json.loads(json.dumps(params)) == params  # plain JSON types, round-trips exactly
    json.dumps(target.to_dict())
    again, target2 = defect.apply(frame, json.loads(json.dumps(params)), meta)
    np.testing.assert_array_equal(out, again)
    np.testing.assert_array_equal(target.mask, target2.mask)
    mask = target.mask
    assert set(np.unique(mask)) <= {0.0, 1.0}
    np.testing.assert_array_equal(mask > 0, _changed(frame, out))
    assert target.stats["area_ratio"] == pytest.approx(float(mask.mean()))
    assert target.to_dict()["mask_area_ratio"] == pytest.approx(float(mask.mean()))
    assert target.stats["visible"] and target.stats["area_ratio"] >= defect.min_area_ratio
    assert target.stats["mean_change_levels"] >= defect.min_mean_change_levels


@pytest.mark.parametrize("seed", range(8))
def test_hits_are_grid_aligned_and_contain_the_change(seed: int) -> None:
    defect = BlockCorruption()
    previous, frame = _pair(seed)
    out, target = defect(frame, np.random.default_rng(seed), FrameMeta(previous=previous))
    block = target.params["block_px"]
    assert block in (8, 16) and target.stats["block_px"] == block
    inside = np.zeros((H, W), dtype=bool)
    for hit_boxes in target.stats["boxes"]:
        for y0, x0, y1, x1 in hit_boxes:
            assert y0 % block == 0 and x0 % block == 0, "a hit starts off the block grid"
            assert (y1 % block == 0 or y1 == H) and (x1 % block == 0 or x1 == W), "a hit ends off the grid"
            assert 0 <= y0 < y1 <= H and 0 <= x0 < x1 <= W
            inside[y0:y1, x0:x1] = True
    assert not (target.mask > 0)[~inside].any(), "pixels outside every hit box changed"


MODE_VARIANTS = [
    ("displaced", {}),
    ("previous", {"previous_colocated_prob": 0.0}),
    ("previous", {"previous_colocated_prob": 1.0}),
    *[("constant", {"colour_choices": (c,)}) for c in F.COLOURS],
    *[("smear", {"smear_style_choices": (s,)}) for s in F.SMEAR_STYLES],
    *[("dct", {"dct_pattern_choices": (p,)}) for p in F.DCT_PATTERNS],
    *[("dct", {"dct_plane_choices": (p,)}) for p in F.DCT_PLANES],
    *[
        ("border", {"border_chroma_choices": (c,), "border_side_prob": s})
        for c in F.BORDER_CHROMAS
        for s in (0, 1)
    ],
    *[("chroma", {"chroma_style_choices": (c,)}) for c in F.CHROMA_STYLES],
    *[("chroma", {"chroma_style_choices": (c,), "border_hit_prob": 1.0}) for c in F.CHROMA_STYLES],
    ("misaligned", {"misaligned_previous_prob": 0.0}),
    ("misaligned", {"misaligned_previous_prob": 1.0}),
    ("garbage", {"garbage_run_prob": 0.0}),
    ("garbage", {"garbage_run_prob": 1.0}),
]


@pytest.mark.parametrize(("mode", "extra"), MODE_VARIANTS, ids=lambda v: str(v))
def test_every_mode_is_reachable_and_visible(mode: str, extra: dict) -> None:
    defect = BlockCorruption(mode_choices=(mode,), max_attempts=20, **extra)
    for seed in range(3):
        _, frame = _pair(seed)
        previous = np.ascontiguousarray(np.roll(frame, (2, 3), axis=(0, 1)))  # a camera that surely moved
        out, target = defect(frame, np.random.default_rng(seed), FrameMeta(previous=previous))
        assert target.stats["attempts"] <= defect.max_attempts, f"{mode} {extra} needed the fallback"
        assert set(target.stats["modes"]) == {mode}
        assert target.stats["visible"]
        assert _changed(frame, out).mean() >= defect.min_area_ratio


@pytest.mark.parametrize("mode", F.MODES)
@pytest.mark.parametrize("border_hit_prob", [0.0, 1.0])
def test_every_mode_is_grid_aligned_and_border_hits_touch_the_edge(mode: str, border_hit_prob: float) -> None:
    defect = BlockCorruption(mode_choices=(mode,), border_hit_prob=border_hit_prob)
    for seed in range(4):
        previous, frame = _pair(seed)
        out, target = defect(frame, np.random.default_rng(seed), FrameMeta(previous=previous))
        if target.stats["attempts"] > defect.max_attempts:
            continue  # the flat fallback cluster, checked elsewhere
        block = target.params["block_px"]
        inside = np.zeros((H, W), dtype=bool)
        for hit, boxes in zip(target.params["hits"], target.stats["boxes"], strict=True):
            for y0, x0, y1, x1 in boxes:
                assert y0 % block == 0 and x0 % block == 0, f"{mode} starts off the block grid"
                assert (y1 % block == 0 or y1 == H) and (x1 % block == 0 or x1 == W), (
                    f"{mode} ends off the grid"
                )
                assert 0 <= y0 < y1 <= H and 0 <= x0 < x1 <= W
                inside[y0:y1, x0:x1] = True
            slice_run = mode == "smear" or hit.get("run")
            should_touch = mode == "border" or (border_hit_prob == 1.0 and not slice_run)
            assert ("edge" in hit) == should_touch, f"{mode}: edge placement {hit}"
            if "edge" in hit:
                y0, x0, y1, x1 = boxes[0]
                touches = {"left": x0 == 0, "right": x1 == W, "top": y0 == 0, "bottom": y1 == H}
                assert touches[hit["edge"]], f"{mode} hit at the {hit['edge']} edge has box {boxes[0]}"
        assert not (target.mask > 0)[~inside].any(), "pixels outside every hit box changed"
        np.testing.assert_array_equal(target.mask > 0, _changed(frame, out))


def test_border_placement_fraction_and_sides() -> None:
    defect = BlockCorruption()
    meta = FrameMeta(previous=np.zeros((H, W, 3), dtype=np.uint8))
    placed, clusters, sides = 0, 0, []
    for seed in range(400):
        for hit in defect.sample_params(np.random.default_rng(seed), meta)["hits"]:
            if "edge" in hit:
                sides.append(hit["edge"] in ("left", "right"))
            if hit["mode"] not in ("smear", "border") and not hit.get("run"):
                clusters += 1
                placed += "edge" in hit
    assert 0.25 < placed / clusters < 0.35  # border_hit_prob 0.3
    assert 0.68 < np.mean(sides) < 0.82  # border_side_prob 0.75
    for side in ("left", "right", "top", "bottom"):
        hit = {
            "mode": "constant",
            "row": 0.5,
            "col": 0.5,
            "rows": 2,
            "cols": 3,
            "colour": "green",
            "edge": side,
        }
        _, target = BlockCorruption().apply(_pair(0)[1], {"block_px": 16, "hits": [hit]}, meta)
        mask = target.mask > 0
        edge_pixels = {"left": mask[:, 0], "right": mask[:, -1], "top": mask[0], "bottom": mask[-1]}[side]
        assert edge_pixels.any(), f"a {side} hit does not reach the {side} edge"
    with pytest.raises(ValueError, match="edge"):
        BlockCorruption().apply(_pair(0)[1], {"block_px": 16, "hits": [{**hit, "edge": "middle"}]}, meta)


def test_new_mode_looks() -> None:
    previous, frame = _pair(4)
    meta = FrameMeta(previous=previous)
    base = {"row": 0.3, "col": 0.0, "rows": 2, "cols": 2}

    def run(hit: dict) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
        out, target = BlockCorruption().apply(frame, {"block_px": 16, "hits": [hit]}, meta)
        return out, target.mask, tuple(target.stats["boxes"][0][0])

    # border: every row of the box repeats the reference's edge pixel (horizontal streaks)
    out, mask, (y0, x0, y1, x1) = run({**base, "mode": "border", "edge": "right", "chroma": "edge"})
    assert x1 == W and mask.sum() > 0
    streak = np.broadcast_to(previous[y0:y1, W - 1 : W], (y1 - y0, x1 - x0, 3)).astype(np.int16)
    assert np.abs(out[y0:y1, x0:x1].astype(np.int16) - streak).max() < 3
    stripes = {**base, "mode": "border", "edge": "left", "chroma": "stripes", "level": 60.0, "stripe_px": 2}
    out, mask, (y0, x0, y1, x1) = run({**stripes, "seed": 3})
    colours = out[y0:y1, x0 + 1].astype(np.int16)
    assert len({tuple(c) for c in colours[::2]}) > (y1 - y0) // 4, "stripes should differ in colour"
    # chroma: the luma stays (up to rounding and clipping), the colour moves
    grey = np.ascontiguousarray(np.clip(frame.astype(np.int16) // 2 + 64, 0, 255).astype(np.uint8))
    luma = np.array([0.299, 0.587, 0.114])
    for hit in (
        {**base, "mode": "chroma", "style": "shift", "du": 30.0, "dv": -20.0},
        {**base, "mode": "chroma", "style": "displaced", "dy": 5, "dx": 17},
    ):
        out, target = BlockCorruption().apply(grey, {"block_px": 16, "hits": [hit]}, FrameMeta())
        y0, x0, y1, x1 = target.stats["boxes"][0][0]
        assert target.mask.sum() > 0
        delta_y = (out[y0:y1, x0:x1].astype(np.float64) - grey[y0:y1, x0:x1]) @ luma
        assert np.abs(delta_y).max() < 2.0
    # misaligned: the previous frame a few pixels off
    out, mask, (y0, x0, y1, x1) = run(
        {**base, "mode": "misaligned", "source": "previous", "dy": 2, "dx": -3, "blend": 1.0}
    )
    ys, xs = np.clip(np.arange(y0, y1) + 2, 0, H - 1), np.clip(np.arange(x0, x1) - 3, 0, W - 1)
    assert np.abs(out[y0:y1, x0:x1].astype(np.int16) - previous[ys[:, None], xs]).max() < 3
    with pytest.raises(ValueError, match="previous"):
        hit = {**base, "mode": "misaligned", "source": "previous", "dy": 1, "dx": 0, "blend": 1.0}
        BlockCorruption().apply(frame, {"block_px": 16, "hits": [hit]}, FrameMeta())
    # garbage: each 8x8 block gets its own colour; a run reaches the end of the slice row and beyond
    out, mask, (y0, x0, y1, x1) = run({**base, "mode": "garbage", "level": 100.0, "seed": 5})
    means = out[y0:y1, x0:x1].reshape(4, 8, 4, 8, 3).mean(axis=(1, 3)).reshape(16, 3).round()
    assert len({tuple(m) for m in means}) == 16
    hit = {
        "mode": "garbage",
        "row": 0.3,
        "col": 0.5,
        "run": True,
        "rest_ratio": 1.0,
        "level": 80.0,
        "seed": 5,
    }
    _, target = BlockCorruption().apply(frame, {"block_px": 8, "hits": [hit]}, meta)
    (y0, x0, _, x1), (_, bx0, by1, bx1) = target.stats["boxes"][0]
    assert x1 == W and (bx0, bx1, by1) == (0, W, H)
    assert target.mask[y0 + 8 :].mean() > 0.5


def test_misaligned_without_previous_copies_the_current_frame() -> None:
    defect = BlockCorruption(mode_choices=("misaligned",), misaligned_previous_prob=1.0)
    _, frame = _pair(1)
    for seed in range(5):
        params = defect.sample_params(np.random.default_rng(seed), FrameMeta(previous=None))
        assert {hit["source"] for hit in params["hits"]} == {"current"}
        assert all((hit["dy"], hit["dx"]) != (0, 0) for hit in params["hits"])
        defect.apply(frame, params, FrameMeta(previous=None))


def test_default_draws_every_mode_block_size_and_several_hits() -> None:
    defect = BlockCorruption()
    meta = FrameMeta(previous=np.zeros((H, W, 3), dtype=np.uint8))
    modes, sizes, counts = set(), set(), set()
    for seed in range(60):
        params = defect.sample_params(np.random.default_rng(seed), meta)
        modes |= {hit["mode"] for hit in params["hits"]}
        sizes.add(params["block_px"])
        counts.add(len(params["hits"]))
    assert modes == set(F.MODES)
    assert sizes == {8, 16}
    assert counts == {1, 2, 3, 4}


def test_previous_none_falls_back_to_displaced() -> None:
    defect = BlockCorruption(mode_choices=("previous",))
    _, frame = _pair(1)
    for seed in range(5):
        out, target = defect(frame, np.random.default_rng(seed), FrameMeta(previous=None))
        assert set(target.stats["modes"]) <= {"displaced", "constant"}  # constant only as the last resort
        assert target.stats["visible"]
    params = {
        "block_px": 8,
        "hits": [
            {"mode": "previous", "row": 0.1, "col": 0.1, "rows": 1, "cols": 1, "dy": 0, "dx": 0, "blend": 1.0}
        ],
    }
    with pytest.raises(ValueError, match="previous"):
        defect.apply(frame, params, FrameMeta(previous=None))


def test_invisible_draws_fall_back_to_a_visible_flat_cluster() -> None:
    # Copying co-located blocks from an identical previous frame changes nothing: every draw fails.
    defect = BlockCorruption(mode_choices=("previous",), previous_colocated_prob=1.0, max_attempts=3)
    _, frame = _pair(2)
    out, target = defect(frame, np.random.default_rng(0), FrameMeta(previous=frame.copy()))
    assert target.stats["attempts"] == 4
    assert target.stats["modes"] == ["constant"]
    assert target.stats["visible"] and target.stats["mean_change_levels"] >= 32
    again, _ = defect.apply(frame, target.params, FrameMeta(previous=frame))
    np.testing.assert_array_equal(out, again)


def test_mode_looks() -> None:
    _, frame = _pair(3)
    meta = FrameMeta(previous=None)
    green = {"mode": "constant", "row": 0.0, "col": 0.0, "rows": 2, "cols": 2, "colour": "green"}
    out, _ = BlockCorruption().apply(frame, {"block_px": 16, "hits": [green]}, meta)
    changed = _changed(frame, out)[:32, :32]
    assert (out[:32, :32][changed] == (0, 135, 0)).all()
    smear = {"mode": "smear", "row": 0.3, "col": 0.0, "rest_ratio": 1.0, "style": "rows", "stretch_rows": 1}
    out, target = BlockCorruption().apply(frame, {"block_px": 16, "hits": [smear]}, meta)
    y0 = target.stats["boxes"][0][0][0]
    repeated = np.broadcast_to(frame[y0 - 1], out[y0:].shape).astype(np.int16)  # the last good row, repeated
    assert np.abs(out[y0:].astype(np.int16) - repeated).max() < 3  # up to the restored invisible changes
    assert target.mask[y0:].mean() > 0.5 and target.mask[:y0].sum() == 0
    dct = {
        "mode": "dct",
        "row": 0.0,
        "col": 0.0,
        "rows": 1,
        "cols": 1,
        "pattern": "checker",
        "plane": "luma",
        "level": 100.0,
        "seed": 1,
    }
    out, target = BlockCorruption().apply(frame, {"block_px": 8, "hits": [dct]}, meta)
    assert target.mask[:8, :8].mean() > 0.5 and target.mask[8:, 8:].sum() == 0


def test_check_frame_names_the_place() -> None:
    good = np.zeros((4, 5, 3), dtype=np.uint8)
    check_frame(good)
    bad = [
        good.astype(np.float32),
        good[..., :2],
        good[:, ::-1],
        good[..., 0],
        np.zeros((0, 5, 3), np.uint8),
        good.tolist(),
    ]
    for frame in bad:
        with pytest.raises(ValueError, match="previous frame.*uint8"):
            check_frame(frame, "previous frame")
    with pytest.raises(ValueError, match="frame"):
        BlockCorruption().apply(good.astype(np.float32), {"block_px": 8, "hits": []}, FrameMeta())


def test_invalid_ranges_name_the_field(label: str) -> None:
    cls = VIDEO_DEFECTS[label]
    field = CONTRACT[label]
    with pytest.raises(ValueError, match=field):
        cls(**{field: (5, 1)})  # low > high
    with pytest.raises(ValueError, match=field):
        cls(**{field: (1,)})  # not a pair
    lo, hi = cls.bounds[field]
    with pytest.raises(ValueError, match=field):
        cls(**{field: (lo - 1, hi)})  # outside the bounds
    for f in dataclasses.fields(cls):
        if f.name.endswith("_choices"):
            with pytest.raises(ValueError, match=f.name):
                cls(**{f.name: ()})
            with pytest.raises(ValueError, match=f.name):
                cls(**{f.name: ("no-such-option",)} if isinstance(f.default[0], str) else {f.name: (7,)})
    for name, value in [("min_area_ratio", 0.9), ("previous_colocated_prob", 1.5), ("max_attempts", 0)]:
        with pytest.raises(ValueError, match=name):
            cls(**{name: value})


def test_every_range_is_bounded_documented_and_yaml_lists_coerce(label: str) -> None:
    cls = VIDEO_DEFECTS[label]
    ranges = [f.name for f in dataclasses.fields(cls) if f.name.endswith("_range")]
    assert ranges and all(name in cls.bounds for name in ranges), "give every range bounds"
    defect = cls(**{name: list(getattr(cls(), name)) for name in ranges})
    assert all(isinstance(getattr(defect, name), tuple) for name in ranges)
    fields = [f.name for f in dataclasses.fields(cls)]
    assert cls.__doc__ and all(name in cls.__doc__ for name in fields), "document every field"
