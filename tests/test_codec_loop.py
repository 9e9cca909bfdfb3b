"""Codec in the loop: corrupted training frames are exactly what FFmpeg decodes from the damaged
stream, their masks follow the labeling rule of the real set, clean frames are intact decodes, and
the switch leaves every other sample unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from synth.core import sample_rng
from synth.video import BlockCorruption, BlockCorruptionSynth
from synth.video.codec_loop import CodecLoop, codec_loop
from synth.video.realset import Hit, apply_hits, corruption_mask, decode_h264, encode_h264
from tests.test_realset import moving_clip

T, H, W = 6, 64, 96


class ClipSource:
    """Moving texture clips; ``frames`` gives the last two frames of a clip."""

    def clip(self, rng, split, num_frames, height, width):
        return moving_clip(int(rng.integers(1 << 30)), num_frames, height, width), {"kind": "moving"}

    def frames(self, rng, split, height, width):
        clip, info = self.clip(rng, split, 2, height, width)
        return clip[0], clip[1], info


class FlatSource(ClipSource):
    """A still grey picture: concealment hides any damage to its (empty) P frames."""

    def clip(self, rng, split, num_frames, height, width):
        return np.full((num_frames, height, width, 3), 128, np.uint8), {"kind": "flat"}


def codec_synth(source: ClipSource, **codec) -> BlockCorruptionSynth:
    """Plain frames (no augmentation or negatives) at the test size, with the given codec settings."""
    return BlockCorruptionSynth(source, BlockCorruption(), augment=False, height=H, width=W, codec=codec)


def redecode(clip: np.ndarray, loop: CodecLoop, stats: dict) -> tuple[dict, dict]:
    packets = encode_h264(
        clip,
        loop.damage.fps,
        stats["crf"],
        stats["preset"],
        stats["slices"],
        stats["bframes"],
        stats["cabac"],
    )
    clean, _ = decode_h264(packets, len(clip))
    hits = [Hit(h["packet"], h["offset"], h["mode"], tuple(h["values"])) for h in stats.get("hits", [])]
    damaged, _ = decode_h264(apply_hits(packets, hits), len(clip))
    return clean, damaged


def test_corrupted_frames_are_the_damaged_decode_and_masks_follow_the_rule() -> None:
    loop = CodecLoop(prob=1.0, clip_frames=T)
    found = 0
    for seed in range(8):
        clip = moving_clip(seed, T, H, W)
        frame, (previous, current), target, stats = loop.sample(clip, True, np.random.default_rng(seed))
        clean, damaged = redecode(clip, loop, stats)
        index = stats["frame_index"]
        assert 1 <= index < T
        if target is None:  # the hand-written defect goes on an intact frame and its predecessor
            assert stats["fallback"] and frame is None
            np.testing.assert_array_equal(current, clean[index])
            np.testing.assert_array_equal(previous, clean[index - 1])
            continue
        found += 1
        np.testing.assert_array_equal(frame, damaged[index])
        mask, ratio = corruption_mask(
            damaged[index],
            clean[index],
            loop.damage.diff_threshold,
            loop.damage.open_kernel_px,
            loop.damage.tolerance_px,
        )
        np.testing.assert_array_equal(target.mask > 0, mask)
        assert target.mask.dtype == np.float32 and target.mask.shape == (H, W)
        assert ratio >= loop.damage.min_area_ratio and target.stats["area_ratio"] == pytest.approx(ratio)
        assert not stats["fallback"] and stats["hits"]
    assert found >= 4  # moving texture: most clips show the damage


def test_clean_frames_are_intact_decodes() -> None:
    loop = CodecLoop(prob=1.0, clip_frames=T)
    clip = moving_clip(3, T, H, W)
    frame, _, target, stats = loop.sample(clip, False, np.random.default_rng(0))
    clean, _ = redecode(clip, loop, stats)
    np.testing.assert_array_equal(frame, clean[stats["frame_index"]])
    assert target.label == "clean" and not target.mask.any()
    assert not np.array_equal(frame, clip[stats["frame_index"]])  # it went through the codec


def test_synth_share_determinism_and_untouched_other_samples() -> None:
    source = ClipSource()
    kwargs = dict(negatives=None, augment=False, height=H, width=W, seed=5)
    with_codec = BlockCorruptionSynth(
        source, BlockCorruption(), codec={"prob": 0.5, "clip_frames": T}, **kwargs
    )
    without = BlockCorruptionSynth(source, BlockCorruption(), **kwargs)
    through = 0
    for index in range(24):
        frame, mask, target = with_codec.sample("train", index)
        again, mask_again, _ = with_codec.sample("train", index)
        np.testing.assert_array_equal(frame, again)
        np.testing.assert_array_equal(mask, mask_again)
        assert target.label == with_codec.label_of(index)
        assert mask.shape == (H, W) and frame.shape == (H, W, 3) and frame.dtype == np.uint8
        if "codec" in target.stats:
            through += 1
            assert (target.label == "clean") == (not mask.any())
        else:  # the codec switch draws from its own stream: other samples do not move
            plain, plain_mask, _ = without.sample("train", index)
            np.testing.assert_array_equal(frame, plain)
            np.testing.assert_array_equal(mask, plain_mask)
    assert 5 <= through <= 19


def test_codec_only_in_the_named_splits() -> None:
    synth = codec_synth(ClipSource(), prob=1.0, clip_frames=T, splits=["train"])
    assert "codec" in synth.sample("train", 1)[2].stats
    assert "codec" not in synth.sample("val", 1)[2].stats


def test_invisible_damage_falls_back_to_the_written_defect() -> None:
    synth = codec_synth(FlatSource(), prob=1.0, clip_frames=4, max_attempts=1)
    fallbacks = 0
    for index in range(1, 12, 2):
        frame, mask, target = synth.sample("train", index)
        assert target.label == "corrupted" and mask.any()
        if target.stats["codec"]["fallback"]:
            fallbacks += 1
            assert target.stats["visible"]
    assert fallbacks >= 1


def test_bad_settings_name_the_key() -> None:
    with pytest.raises(ValueError, match="CodecLoop.prob"):
        CodecLoop(prob=1.5)
    with pytest.raises(ValueError, match="CodecLoop.crf_range"):
        CodecLoop(crf_range=(30, 20))
    with pytest.raises(ValueError, match="data.codec"):
        codec_loop({"probability": 0.5})
    with pytest.raises(ValueError, match="RealSetConfig.hits_range"):
        CodecLoop(damage={"hits_range": (0, 3)})
    with pytest.raises(ValueError, match="CodecLoop.frames_per_clip"):
        CodecLoop(frames_per_clip=0)
    with pytest.raises(ValueError, match="frames_per_clip .* below clip_frames"):
        BlockCorruptionSynth(
            ClipSource(), BlockCorruption(), codec={"prob": 0.5, "clip_frames": 4, "frames_per_clip": 4}
        )
    with pytest.raises(ValueError, match="even frame size"):
        BlockCorruptionSynth(ClipSource(), BlockCorruption(), height=63, width=96, codec={"prob": 0.5})
    assert codec_loop(None) is None and codec_loop({"prob": 0.0}).prob == 0.0


def test_clip_groups_share_one_encode_and_samples_do_not_depend_on_order() -> None:
    """frames_per_clip=4: a group's samples are frames of one decoded clip, each class on different
    frames, and a sample is the same whether its group was cached or not, in any order."""
    codec = {"prob": 1.0, "clip_frames": T, "frames_per_clip": 4}
    synth = codec_synth(ClipSource(), **codec)
    forward = {i: synth.sample("train", i) for i in range(12)}
    cold = codec_synth(ClipSource(), **codec)
    for index in reversed(range(12)):  # another order, and groups entered mid-way
        frame, mask, target = cold.sample("train", index)
        np.testing.assert_array_equal(frame, forward[index][0])
        np.testing.assert_array_equal(mask, forward[index][1])
        assert target.label == synth.label_of(index)
    for group in range(3):
        members = [forward[i] for i in range(4 * group, 4 * group + 4)]
        stats = [target.stats["codec"] for _, _, target in members]
        assert {s["group"] for s in stats} == {group} and len({s["crf"] for s in stats}) == 1
        clean_frames = [s["frame_index"] for (_, _, t), s in zip(members, stats) if t.label == "clean"]
        assert len(set(clean_frames)) == len(clean_frames) == 2  # two clean members, two frames
        for _, mask, target in members:
            assert (target.label == "clean") == (not mask.any())


def test_grouped_samples_are_the_decoded_clip() -> None:
    codec = {"prob": 1.0, "clip_frames": T, "frames_per_clip": 4}
    synth = codec_synth(ClipSource(), **codec)
    found = 0
    for group in range(4):
        rng = sample_rng(synth.seed, "train", group, stream=2)
        synth.codec.applies(rng, "train")
        clip, _ = ClipSource().clip(rng, "train", T, H, W)
        for index in range(4 * group, 4 * group + 4):
            frame, mask, target = synth.sample("train", index)
            stats = target.stats["codec"]
            clean, damaged = redecode(clip, synth.codec, stats)
            if target.label == "clean":
                np.testing.assert_array_equal(frame, clean[stats["frame_index"]])
            elif not stats["fallback"]:
                found += 1
                np.testing.assert_array_equal(frame, damaged[stats["frame_index"]])
                assert mask.any()
    assert found >= 3
