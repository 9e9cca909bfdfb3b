"""Real block-corruption set: labels and masks follow the decoded difference, clean frames are exact,
the build is deterministic by seed and never leaves a half-written set."""

from __future__ import annotations

import csv
import hashlib
import json

import numpy as np
import pytest

from synth.media import read_image
from synth.video.realset import (
    MANIFEST_COLUMNS,
    RealSetConfig,
    apply_hits,
    build_real_set,
    corruption_mask,
    decode_h264,
    encode_h264,
    folder_clips,
    main,
    nal_units,
    sample_hits,
)
from tests.mediagen import write_mp4
from vqa_train.data.manifest import read_manifest

T, H, W = 24, 96, 160


def moving_clip(seed: int, num_frames: int = T, height: int = H, width: int = W) -> np.ndarray:
    """A panning colour texture with a bright square crossing it: uint8 ``(T, H, W, 3)``."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (height // 8 + num_frames, width // 8 + num_frames, 3)).astype(np.float32)
    texture = np.repeat(np.repeat(coarse, 8, axis=0), 8, axis=1)
    kernel = np.ones(9, np.float32) / 9  # soften the tiles so they look like content, not blocks
    texture = np.apply_along_axis(np.convolve, 0, texture, kernel, mode="same")
    texture = np.apply_along_axis(np.convolve, 1, texture, kernel, mode="same")
    clip = np.empty((num_frames, height, width, 3), np.uint8)
    for t in range(num_frames):
        frame = texture[2 * t : 2 * t + height, 3 * t : 3 * t + width].copy()
        x = (5 * t) % (width - 24)
        frame[30:54, x : x + 24] = 235
        clip[t] = np.clip(frame, 0, 255).astype(np.uint8)
    return clip


def clips(n: int = 2, seed: int = 0):
    return [(f"clip{k}", moving_clip(seed * 100 + k)) for k in range(n)]


def tree_digest(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("sets") / "real"
    summary = build_real_set(out, clips(), seed=3, progress=False)
    return out, summary


def test_manifest_is_readable_and_balanced(built):
    out, summary = built
    with open(out / "manifest.csv", newline="") as fh:
        assert tuple(next(csv.reader(fh))) == MANIFEST_COLUMNS
    _, rows = read_manifest(out, ["clean", "corrupted"])
    labels = [row.label for row in rows]
    counts = summary["counts"]
    assert counts["corrupted"] > 0 and labels.count("corrupted") == counts["corrupted"]
    assert labels.count("clean") == counts["clean"] == counts["corrupted"]  # one clean per corrupted
    assert counts["corrupted"] + counts["ambiguous_skipped"] + counts["unaffected_skipped"] == 2 * T
    assert json.loads((out / "summary.json").read_text())["counts"] == counts
    assert "ambiguous" in (out / "README.md").read_text()
    assert not list(out.parent.glob(".real.*"))  # no staging folder left behind


def test_labels_and_masks_follow_the_decoded_difference(built):
    out, summary = built
    config = RealSetConfig()
    _, rows = read_manifest(out, ["clean", "corrupted"])
    checked = {"clean": 0, "corrupted": 0}
    for stats, (name, clip) in zip(summary["clips"], clips()):
        packets = encode_h264(
            clip, config.fps, config.crf, config.preset, stats["slices"], stats["bframes"], stats["cabac"]
        )
        clean, counts = decode_h264(packets, T)
        assert len(clean) == T and counts["packet_errors"] == 0
        for row in (r for r in rows if dict(r.extra)["clip"] == name):
            extra = dict(row.extra)
            index = int(extra["frame_index"])
            checked[row.label] += 1
            frame = read_image(row.path)
            mask = read_image(out / extra["mask_path"])[..., 0]
            assert set(np.unique(mask)) <= {0, 255}
            if row.label == "clean":
                np.testing.assert_array_equal(frame, clean[index])  # exactly the intact decode
                assert not mask.any() and float(extra["area_ratio"]) == 0.0
                continue
            expected, ratio = corruption_mask(
                frame, clean[index], config.diff_threshold, config.open_kernel_px, config.tolerance_px
            )
            np.testing.assert_array_equal(mask > 0, expected)
            assert float(extra["area_ratio"]) == pytest.approx(ratio, abs=1e-6)
            assert ratio >= config.min_area_ratio
            # Every masked pixel really differs from the intact decode by more than the threshold.
            plain = np.abs(frame.astype(int) - clean[index].astype(int)).max(axis=2) > config.diff_threshold
            assert not (expected & ~plain).any()
    assert checked == {"clean": summary["counts"]["clean"], "corrupted": summary["counts"]["corrupted"]}


def test_same_seed_same_set_other_seed_other_damage(built, tmp_path):
    out, summary = built
    again = build_real_set(tmp_path / "again", clips(), seed=3, progress=False)
    assert again == summary
    assert tree_digest(tmp_path / "again") == tree_digest(out)
    other = build_real_set(tmp_path / "other", clips(), seed=4, progress=False)
    assert [c["attempts"] for c in other["clips"]] != [c["attempts"] for c in summary["clips"]]


def test_hits_stay_out_of_idr_frames_and_slice_headers():
    config = RealSetConfig(hits_range=(20, 20))
    packets = encode_h264(moving_clip(7), slices=2, bframes=2)
    before = [p.data for p in packets]
    hits = sample_hits(np.random.default_rng(0), packets, config)
    assert len(hits) == 20
    for hit in hits:
        packet = packets[hit.packet]
        assert not packet.keyframe
        start, end, nal_type, _ = next(u for u in nal_units(packet.data) if u[0] <= hit.offset < u[1])
        assert nal_type == 1 and hit.offset >= start + 1 + config.header_skip_bytes
        assert hit.offset + len(hit.values) <= end
    damaged = apply_hits(packets, hits)
    assert [p.data for p in packets] == before  # input untouched
    assert sum(a.data != b.data for a, b in zip(damaged, packets)) >= 1
    assert damaged[0].data == packets[0].data  # the IDR frame


def test_corruption_mask_rules():
    clean = np.zeros((32, 32, 3), np.uint8)
    clean[:, 16:] = 200
    damaged = clean.copy()
    damaged[4:12, 4:12] = 120  # a visible block
    damaged[20, 20] = 255  # a lone speck: removed by the opening
    mask, ratio = corruption_mask(damaged, clean, tolerance_px=0)
    assert mask[4:12, 4:12].all() and not mask[20, 20] and ratio == pytest.approx(64 / 1024)
    shifted = np.concatenate([clean[:, :2], clean[:, :-2]], axis=1)  # content moved by two pixels: not damage
    assert corruption_mask(shifted, clean, open_kernel_px=1)[1] == 0.0
    assert corruption_mask(shifted, clean, open_kernel_px=1, tolerance_px=0)[1] > 0


def test_failed_build_leaves_nothing_and_targets_are_checked(tmp_path):
    def broken():
        yield "ok", moving_clip(1)
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        build_real_set(tmp_path / "set", broken(), seed=0, progress=False)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="not empty"):
        build_real_set(tmp_path / "mine", clips(1), seed=0, progress=False)
    with pytest.raises(ValueError, match="not unique"):
        build_real_set(
            tmp_path / "dup", [("a", moving_clip(1)), ("a", moving_clip(2))], seed=0, progress=False
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_cli_on_a_folder_of_videos_and_overwrite(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    write_mp4(videos / "a.mp4", 1.0, size=(64, 48))  # 25 frames: three chunks of 8
    assert [name for name, _ in folder_clips(videos, 8, 32, 48)] == ["a_c000", "a_c001", "a_c002"]
    assert next(folder_clips(videos, 8, 32, 48))[1].shape == (8, 32, 48, 3)
    args = ["--out", str(tmp_path / "set"), "--folder", str(videos), "--clips", "2", "--frames", "8"]
    args += ["--width", "48", "--height", "32", "--no-progress"]
    summary = main(args)
    assert summary["counts"]["clips"] == 2 and summary["source"]["folder"] == str(videos)
    with pytest.raises(FileExistsError, match="overwrite"):
        main(args)
    assert main([*args, "--overwrite", "--seed", "5"])["seed"] == 5
    assert json.loads((tmp_path / "set" / "summary.json").read_text())["seed"] == 5
