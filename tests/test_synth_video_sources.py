"""Frame sources, hard negatives, augmentation and the per-sample synthesiser, on small frames."""

from __future__ import annotations

import fractions
import json
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from synth.video import (
    NEGATIVES,
    BlockCorruption,
    BlockCorruptionSynth,
    FolderFrames,
    FrameAugment,
    HardNegatives,
    MixedFrames,
    ProceduralFrames,
    SkimageFrames,
    check_frame,
)
from synth.video.sources import CONTENTS, SKIMAGE_IMAGES

H, W = 64, 96


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


def _check_pair(previous: np.ndarray, frame: np.ndarray, info: dict) -> None:
    check_frame(previous)
    check_frame(frame)
    assert previous.shape == frame.shape == (H, W, 3)
    assert isinstance(info["content"], str) and info["source"]
    json.dumps(info)


# --------------------------------------------------------------------------------------- procedural


@pytest.fixture(scope="module")
def procedural() -> ProceduralFrames:
    return ProceduralFrames(bank_size=2)


def test_procedural_every_content_renders_deterministically(procedural: ProceduralFrames) -> None:
    fresh = ProceduralFrames(bank_size=2)
    for content in CONTENTS:
        source = ProceduralFrames(content_weights={content: 1.0}, bank_size=2)
        previous, frame, info = source.frames(_rng(3), "train", H, W)
        _check_pair(previous, frame, info)
        assert info["content"] == content
        assert frame.std() > 3, f"{content} renders a flat frame"
    a = procedural.frames(_rng(7), "val", H, W)
    b = fresh.frames(_rng(7), "val", H, W)  # a new instance (empty cache) gives the same pair
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2] == b[2]


def test_procedural_frames_differ_by_camera_motion(procedural: ProceduralFrames) -> None:
    moving, near, far = 0, [], []
    for seed in range(12):
        previous, frame, info = procedural.frames(_rng(seed), "train", H, W)
        _, other, _ = procedural.frames(_rng(1000 + seed), "train", H, W)
        moving += not np.array_equal(previous, frame)
        near.append(_mad(previous, frame))
        far.append(_mad(frame, other))
        if info["pan_px_per_frame"] == 0 and info["zoom_per_frame"] == 0:
            np.testing.assert_array_equal(previous, frame)  # a locked-off camera
    assert moving >= 8
    assert np.median(near) < 0.5 * np.median(far), "consecutive frames must look alike"


def test_procedural_clip_and_splits(procedural: ProceduralFrames) -> None:
    clip, info = procedural.clip(_rng(5), "test", 6, H, W)
    assert clip.shape == (6, H, W, 3) and clip.dtype == np.uint8 and clip.flags.c_contiguous
    again, _ = procedural.clip(_rng(5), "test", 6, H, W)
    np.testing.assert_array_equal(clip, again)
    steps = [_mad(clip[t], clip[t + 1]) for t in range(5)]
    assert max(steps) < 40
    # The same bank slot of the same content differs between splits: splits share no scene.
    for content in ("texture", "text"):
        train = procedural.scene("train", content, 0, H, W).levels[0]
        test = procedural.scene("test", content, 0, H, W).levels[0]
        assert _mad(train, test) > 5


def test_procedural_rejects_bad_config() -> None:
    with pytest.raises(ValueError, match="content_weights"):
        ProceduralFrames(content_weights={"sky": 1.0})
    with pytest.raises(ValueError, match="bank_size"):
        ProceduralFrames(bank_size=0)
    with pytest.raises(ValueError, match="split"):
        ProceduralFrames(bank_size=1).frames(_rng(0), "holdout", H, W)


# ---------------------------------------------------------------------------------------- skimage


def test_skimage_splits_are_disjoint_and_deterministic() -> None:
    source = SkimageFrames()
    names = [n for split in source.splits.values() for n in split]
    assert sorted(names) == sorted(SKIMAGE_IMAGES) and all(source.splits.values())
    assert SkimageFrames().splits == source.splits
    for split in ("train", "test"):
        previous, frame, info = source.frames(_rng(11), split, H, W)
        _check_pair(previous, frame, info)
        assert info["content"].removeprefix("photo:") in source.splits[split]
        again = SkimageFrames().frames(_rng(11), split, H, W)
        np.testing.assert_array_equal(frame, again[1])
    clip, info = source.clip(_rng(2), "val", 4, H, W)
    assert clip.shape == (4, H, W, 3) and info["content"].removeprefix("photo:") in source.splits["val"]


def test_skimage_images_load_offline() -> None:
    source = SkimageFrames()
    for name in SKIMAGE_IMAGES:
        image = source.picture(name).levels[0]
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    with pytest.raises(ValueError, match="names"):
        SkimageFrames(names=["astronaut", "lena"])


# ----------------------------------------------------------------------------------------- folder


def _write_video(path: Path, frames: int = 10, size: tuple[int, int] = (48, 64)) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.height, stream.width = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = fractions.Fraction(1, 25)
        y, x = np.mgrid[0 : size[0], 0 : size[1]]
        for t in range(frames):
            image = np.stack([(x * 4 + t * 6) % 256, (y * 5) % 256, ((x + y) * 3) % 256], axis=-1).astype(
                np.uint8
            )
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _write_png(path: Path, seed: int, size: tuple[int, int] = (80, 120)) -> None:
    image = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    cv2.imwrite(str(path), cv2.GaussianBlur(image, (5, 5), 0))


def test_folder_pictures_and_videos(tmp_path: Path) -> None:
    _write_png(tmp_path / "still.png", 0)
    (tmp_path / "clips").mkdir()
    _write_video(tmp_path / "clips" / "tiny.mp4")
    source = FolderFrames(tmp_path, split_fractions=(1.0, 0.0, 0.0))
    assert source.files["train"] == ["clips/tiny.mp4", "still.png"]
    seen = {}
    for seed in range(20):
        previous, frame, info = source.frames(_rng(seed), "train", H, W)
        _check_pair(previous, frame, info)
        seen.setdefault(info["content"], (previous, frame, info))
    assert set(seen) == {"folder:image", "folder:video"}
    previous, frame, info = seen["folder:video"]
    assert info["file"] == "clips/tiny.mp4" and not np.array_equal(previous, frame)  # the video's own motion
    again = FolderFrames(tmp_path, split_fractions=(1.0, 0.0, 0.0)).frames(_rng(3), "train", H, W)
    first = source.frames(_rng(3), "train", H, W)
    np.testing.assert_array_equal(first[1], again[1])
    for seed in range(6):  # a clip longer than the 10-frame video plays back and forth
        clip, info = source.clip(_rng(seed), "train", 14, H, W)
        assert clip.shape == (14, H, W, 3)
        if info["content"] == "folder:video":
            assert info["looped"]
    with pytest.raises(ValueError, match="no file in split 'val'"):
        source.frames(_rng(0), "val", H, W)


def test_folder_splits_by_file(tmp_path: Path) -> None:
    for k in range(30):
        _write_png(tmp_path / f"img{k:02d}.png", k, size=(24, 32))
    source = FolderFrames(tmp_path, split_fractions=(0.5, 0.25, 0.25))
    files = source.files
    assert sorted(sum(files.values(), [])) == sorted(p.name for p in tmp_path.iterdir())
    assert all(files.values()) and not set(files["train"]) & set(files["test"])
    assert FolderFrames(tmp_path, split_fractions=(0.5, 0.25, 0.25)).files == files
    for split in ("train", "val", "test"):
        for seed in range(5):
            assert source.frames(_rng(seed), split, H, W)[2]["file"] in files[split]


def test_folder_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no picture or video files under .*empty"):
        (tmp_path / "empty").mkdir()
        FolderFrames(tmp_path / "empty")
    with pytest.raises(ValueError, match="is not a folder"):
        FolderFrames(tmp_path / "missing")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"not a picture at all")
    (bad / "broken.mp4").write_bytes(b"\x00\x01 not a video")
    source = FolderFrames(bad, split_fractions=(1.0, 0.0, 0.0))
    for name in ("broken.png", "broken.mp4"):
        with pytest.raises(ValueError, match=f"cannot read .*{name}") as info:
            source.load(name)
        assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------------------- mixed


def test_mixed_frames_weights_and_info(procedural: ProceduralFrames) -> None:
    other = ProceduralFrames(content_weights={"text": 1.0}, bank_size=1)
    mixed = MixedFrames({"a": procedural, "b": other}, [0.5, 0.5])
    names = {mixed.frames(_rng(s), "train", H, W)[2]["mix"] for s in range(12)}
    assert names == {"a", "b"}
    only_b = MixedFrames({"a": procedural, "b": other}, {"a": 0.0, "b": 1.0})
    previous, frame, info = only_b.frames(_rng(0), "train", H, W)
    assert info["mix"] == "b" and info["content"] == "text"
    clip, info = only_b.clip(_rng(0), "train", 3, H, W)
    assert clip.shape == (3, H, W, 3) and info["mix"] == "b"
    with pytest.raises(ValueError, match="weights"):
        MixedFrames({"a": procedural}, [1.0, 2.0])
    with pytest.raises(ValueError, match="weights"):
        MixedFrames({"a": procedural}, {"b": 1.0})


# ------------------------------------------------------------------------------ negatives, augment


def test_hard_negatives_each_change_the_frame_deterministically(procedural: ProceduralFrames) -> None:
    previous, frame, _ = procedural.frames(_rng(1), "train", H + 1, W + 1)  # odd sizes: x264 pads
    before = frame.copy()
    for name in NEGATIVES:
        probs = {f"{n}_prob": float(n == name) for n in NEGATIVES}
        negatives = HardNegatives(**probs)
        params = negatives.sample_params(_rng(4), *frame.shape[:2])
        assert params["applied"] == [name]
        assert json.loads(json.dumps(params)) == params
        prev_out, out = negatives.apply_pair(previous, frame, params)
        again = negatives.apply_pair(previous, frame, params)
        np.testing.assert_array_equal(out, again[1])
        np.testing.assert_array_equal(prev_out, again[0])
        check_frame(out)
        check_frame(prev_out)
        assert out.shape == frame.shape
        assert not np.array_equal(out, frame), f"{name} changed nothing"
        np.testing.assert_array_equal(frame, before)
    assert HardNegatives(**{f"{n}_prob": 0.0 for n in NEGATIVES}).sample_params(_rng(0), H, W) == {
        "applied": []
    }
    with pytest.raises(ValueError, match="jpeg_prob"):
        HardNegatives(jpeg_prob=1.5)
    with pytest.raises(ValueError, match="jpeg_quality_range"):
        HardNegatives(jpeg_quality_range=(0, 200))


def test_augment_is_seeded_and_identical_on_both_frames(procedural: ProceduralFrames) -> None:
    _, frame, _ = procedural.frames(_rng(2), "train", H, W)
    augment = FrameAugment()
    outs = [augment(frame, frame.copy(), seed) for seed in (5, 6, 5)]
    for previous, current in outs:
        np.testing.assert_array_equal(previous, current)  # same transform on both frames
        check_frame(current)
    np.testing.assert_array_equal(outs[0][1], outs[2][1])
    assert len({augment(frame, frame, s)[1].tobytes() for s in range(12)}) > 6


# ------------------------------------------------------------------------------------ synthesiser


def _synth(source: ProceduralFrames, **kwargs) -> BlockCorruptionSynth:
    return BlockCorruptionSynth(source, BlockCorruption(), height=H, width=W, seed=9, **kwargs)


def test_synth_labels_masks_and_order_independence(procedural: ProceduralFrames) -> None:
    synth = _synth(procedural, negatives=HardNegatives(), augment=True)
    samples = {i: synth.sample("train", i) for i in range(8)}
    assert [samples[i][2].label for i in range(8)] == ["clean", "corrupted"] * 4
    for frame, mask, target in samples.values():
        check_frame(frame)
        assert mask.shape == (H, W) and mask.dtype == np.float32 and mask is target.mask
        assert isinstance(target.stats["negatives"], list) and target.stats["source"]["content"]
        if target.label == "clean":
            assert not mask.any()
        else:
            assert mask.mean() == pytest.approx(target.stats["area_ratio"]) and mask.mean() >= 0.005
        json.dumps(target.to_dict())
    other = _synth(ProceduralFrames(bank_size=2), negatives=HardNegatives(), augment=True)
    for i in (7, 2, 5, 0):  # another instance, another order: the same samples
        frame, mask, target = other.sample("train", i)
        np.testing.assert_array_equal(frame, samples[i][0])
        np.testing.assert_array_equal(mask, samples[i][1])
        assert target.to_dict() == samples[i][2].to_dict()


def test_synth_lists_negatives_and_checks_classes(procedural: ProceduralFrames) -> None:
    every = HardNegatives(**{f"{n}_prob": 1.0 for n in NEGATIVES})
    _, _, target = _synth(procedural, negatives=every, augment=False).sample("val", 1)
    assert target.stats["negatives"] == list(NEGATIVES)
    _, mask, target = _synth(procedural, negatives=None, augment=False).sample("val", 0)
    assert target.stats["negatives"] == [] and target.label == "clean" and not mask.any()
    synth = _synth(procedural, classes=("clean", "clean", "corrupted"), augment=False)
    assert [synth.label_of(i) for i in range(6)] == ["clean", "clean", "corrupted"] * 2
    with pytest.raises(ValueError, match="classes"):
        _synth(procedural, classes=("clean", "hum"))


def _crowd_one_person_at_a_time(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """scene_crowd as first written: one random_colour and one ellipse call per shape, in order."""
    from synth.video.sources import procedural as P

    image = P.to_uint8(P.colorize(P.fractal(rng, h, w, 1.8), P.palette_lut(rng, 3, val=(0.1, 0.5))))
    r_top, r_bottom = rng.uniform(2.0, 4.0), rng.uniform(7.0, 14.0)
    y = -r_top
    tones = np.array(P.SKIN_TONES, dtype=np.float32)
    while y < h + 3 * r_bottom:
        r = r_top + (r_bottom - r_top) * max(y, 0) / h
        x = rng.uniform(-r, r)
        while x < w + r:
            cx, cy, rr = int(x), int(y + rng.uniform(-0.4, 0.4) * r), max(1, int(r * rng.uniform(0.85, 1.15)))
            body = P.colour_tuple(P.random_colour(rng, (0.1, 1.0), (0.1, 0.95)))
            cv2.ellipse(image, (cx, cy + int(2.6 * rr)), (int(1.6 * rr), int(2.0 * rr)), 0, 0, 360, body, -1)
            skin = P.colour_tuple(tones[int(rng.integers(len(tones)))] * rng.uniform(0.75, 1.05))
            cv2.ellipse(image, (cx, cy), (rr, int(rr * 1.25)), 0, 0, 360, skin, -1, cv2.LINE_AA)
            if rng.random() < 0.7:
                hair = P.colour_tuple(P.random_colour(rng, (0.2, 0.8), (0.05, 0.45)))
                cv2.ellipse(image, (cx, cy - rr // 3), (rr, int(rr * 0.9)), 0, 180, 360, hair, -1)
            x += r * rng.uniform(1.6, 2.4)
        y += r * rng.uniform(1.3, 1.9)
    return image


@pytest.mark.parametrize("seed", range(4))
def test_batched_crowd_scene_is_the_one_at_a_time_scene(seed):
    # scene_crowd converts all its colours in one cvtColor call; OpenCV rounds some colours 1 off when
    # it vectorises along a row, so this pins the one-pixel-per-row layout that keeps it identical.
    from synth.video.sources.procedural import scene_crowd

    h, w = (180, 320) if seed % 2 else (224, 224)
    expected = _crowd_one_person_at_a_time(np.random.default_rng([5, seed]), h, w)
    np.testing.assert_array_equal(scene_crowd(np.random.default_rng([5, seed]), h, w), expected)


def test_colour_tuple_clips_and_truncates_like_numpy():
    from synth.video.sources.procedural import colour_tuple

    rng = np.random.default_rng(0)
    for colour in rng.normal(100, 150, (2000, 3)):
        for c in (colour, colour.astype(np.float32)):
            assert colour_tuple(c) == tuple(int(v) for v in np.clip(c, 0, 255))
