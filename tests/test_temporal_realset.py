"""The real-mechanism temporal set: labels vs what FFmpeg decodes, determinism, refusals, real_set eval."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from synth.media import MediaError, iter_video_frames, load_audio
from synth.video.temporal import NEAR_BLACK_MAX
from synth.video.temporal_realset import (
    DEFECTS,
    MECHANISMS,
    TemporalRealSetConfig,
    build_temporal_real_set,
    main,
    plan_clip,
    plan_tearing,
    presented,
    procedural_clips,
)
from tests.conftest import compose_cfg, tiny
from tests.mediagen import write_manifest, write_mp4
from vqa_train.evaluation import evaluate
from vqa_train.train import train

FPS = 25.0
FRAMES = 50  # 2 s
SIZE = {"clips": 4, "seconds": 2.0, "height": 48, "width": 64, "progress": False}
SEED = 0


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("temporal_real")
    return {d: build_temporal_real_set(root / d, d, seed=SEED, **SIZE) for d in DEFECTS}


@pytest.fixture(scope="module")
def sources() -> list[np.ndarray]:
    """The pristine clips the sets were made from (the content stream does not depend on the defect)."""
    content = procedural_clips(FRAMES, SIZE["height"], SIZE["width"], SEED)
    return [next(content)[0] for _ in range(SIZE["clips"])]


def _rows(root: Path) -> list[dict[str, str]]:
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _meta(root: Path) -> dict:
    return json.loads((root / "meta.json").read_text(encoding="utf-8"))


def _decode(path: Path) -> np.ndarray:
    return np.stack([frame for _, frame in iter_video_frames(path, fps=FPS)])


def _spans(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in part.split("-")) for part in text.split(";")] if text else []


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("defect", DEFECTS)
def test_manifest_layout_and_balance(sets, defect):
    root = sets[defect]
    rows = _rows(root)
    assert list(rows[0]) == ["path", "label", "spans", "mechanism"]
    assert [r["label"] for r in rows] == ["clean", defect] * 2
    meta = _meta(root)
    assert meta["kind"] == "temporal_real_set" and meta["arguments"]["fps"] == FPS
    for row, clip in zip(rows, meta["clips"]):
        assert (root / row["path"]).is_file() and clip["path"] == row["path"]
        assert bool(row["spans"]) == (row["label"] == defect)
        assert clip["checks"]["decoded_frames"] == FRAMES
    assert rows[1]["mechanism"] == MECHANISMS[defect]
    assert rows[0]["mechanism"] == "clean_roundtrip" and rows[2]["mechanism"] != "clean_roundtrip"


def _in_sync(decoded: np.ndarray, src: np.ndarray, t: int) -> bool:
    """Decoded frame ``t`` is (within codec noise) closest to source frame ``t`` among its neighbours."""
    others = [_mad(decoded[t], src[j]) for j in (t - 1, t + 1) if 0 <= j < len(src)]
    return _mad(decoded[t], src[t]) <= min(others) + 1.0


def test_stutter_labels_match_the_decode(sets, sources):
    root = sets["stutter"]
    for k, (row, clip) in enumerate(zip(_rows(root), _meta(root)["clips"])):
        decoded, src = _decode(root / row["path"]), sources[k]
        assert decoded.shape == (FRAMES, SIZE["height"], SIZE["width"], 3)
        shown = presented(clip["params"]["pts_ticks"], clip["params"]["end_tick"], FPS)
        repeats = {t for t in range(1, FRAMES) if shown[t] == shown[t - 1]}
        # Where the timestamps leave a gap, FFmpeg's sampling shows the same decoded picture again.
        # (x264 also makes some frames of slow clean content bit-exact copies: the converse is false.)
        assert all(np.array_equal(decoded[t], decoded[t - 1]) for t in repeats)
        if row["label"] == "clean":
            if row["mechanism"] == "pulldown_retime":
                assert len(repeats) == FRAMES // 5  # the 2:3 cadence: one repeat in five frames
            else:
                assert not repeats and all(_in_sync(decoded, src, t) for t in range(FRAMES))
            continue
        index = clip["params"]["index_map"]
        (start, end), *more = _spans(row["spans"])
        assert not more
        irregular = [t for t in range(1, FRAMES) if index[t] - index[t - 1] != 1]
        assert irregular[0] == start and irregular[-1] == end - 1  # the hull of the irregular frames
        assert repeats <= set(irregular) and clip["checks"]["dropped_frames"] > 0
        for t in irregular:
            if index[t] == index[t - 1]:  # a repeat: the previous decoded frame again
                assert np.array_equal(decoded[t], decoded[t - 1])
            else:  # a skip: closer to the frame it jumped to than to the expected next one
                assert _mad(decoded[t], src[index[t]]) < _mad(decoded[t], src[index[t - 1] + 1])
        assert all(_in_sync(decoded, src, t) for t in set(range(FRAMES)) - set(range(start, end)))


def test_freeze_span_is_held_not_bit_exact(sets):
    root = sets["freeze"]
    not_exact = 0
    for row, clip in zip(_rows(root), _meta(root)["clips"]):
        if row["label"] != "freeze":
            continue
        decoded = _decode(root / row["path"])
        diff = np.abs(np.diff(decoded.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))  # diff[t-1]: t vs t-1
        (start, end), *more = _spans(row["spans"])
        assert not more and [start, end] == [clip["params"]["start"], clip["params"]["end"]]
        held = diff[start : end - 1]  # frames start+1 .. end-1 against their predecessor
        outside = np.array([diff[t - 1] for t in range(1, FRAMES) if not start <= t <= end])
        assert held.mean() < 0.5 and outside.mean() > 10 * held.mean() + 1.0
        not_exact += int((held > 0).sum())
    assert not_exact > 0  # x264 re-codes some held frames: near-identical, not all bit-exact


@pytest.mark.parametrize("defect", ["freeze", "stutter"])
def test_a_freeze_or_stutter_on_content_that_does_not_move_is_invisible(sources, defect):
    """Same draws, two contents: moving content keeps its spans; a still picture (nothing to hold or
    skip) gets none, so the builder labels the clip clean, ``<mechanism>_invisible``."""
    config = TemporalRealSetConfig()
    still = np.repeat(sources[1][:1], FRAMES, axis=0)
    moving, unmoved = (
        plan_clip(defect, MECHANISMS[defect], frames, np.random.default_rng(5), FPS, config)
        for frames in (sources[1], still)
    )
    assert moving.spans and moving.params["span_change_levels"] >= config.min_change_levels
    assert unmoved.spans == [] and unmoved.params["span_change_levels"] == 0.0
    assert unmoved.params["index_map"] == moving.params["index_map"]  # the same defect was drawn
    loose = TemporalRealSetConfig(min_change_levels=0.0)
    assert plan_clip(defect, MECHANISMS[defect], still, np.random.default_rng(5), FPS, loose).spans
    with pytest.raises(ValueError, match="min_change_levels"):
        TemporalRealSetConfig(min_change_levels=-1.0)


def test_tearing_rows_follow_the_scanout_timing():
    num, height = 30, 40
    frames = np.stack(
        [np.full((height, 8, 3), 6 * t, np.uint8) for t in range(num)]
    )  # each frame its own level
    config = TemporalRealSetConfig(tearing_span_s_range=(0.8, 0.8), tearing_drift_range=(0.1, 0.1))
    pictures, sources, spans, params = plan_tearing(frames, np.random.default_rng(3), FPS, config)
    start, end = params["start"], params["end"]
    assert end - start == 20 and len(pictures) == num and len(params["rows"]) == 20
    torn = {t for a, b in spans for t in range(a, b)}
    for n, (fmt, picture) in enumerate(pictures):
        assert fmt == "rgb24" and picture.shape == frames[n].shape
        if not start <= n < end:  # vsync on: the frame whole
            assert sources[n] == n and np.array_equal(picture, frames[n])
            continue
        tear = params["rows"][n - start]
        late = (params["phase"] + params["drift"] * (n - start)) % 1.0
        assert tear["row"] == min(int(np.ceil(height * late / (1 - config.vblank_fraction) - 1e-9)), height)
        row = tear["row"]
        assert np.array_equal(picture[:row], frames[n - 1][:row]) and np.array_equal(
            picture[row:], frames[n][row:]
        )
        assert (n in torn) == (config.tear_min_rows <= row <= height - config.tear_min_rows)
    assert torn and abs(params["drift"]) == 0.1
    still = np.repeat(frames[:1], num, axis=0)  # nothing moves: nothing is torn visibly
    assert plan_tearing(still, np.random.default_rng(3), FPS, config)[2] == []


def test_tearing_set_labels_match_the_decode(sets):
    root = sets["tearing"]
    checked = 0
    for row, clip in zip(_rows(root), _meta(root)["clips"]):
        if row["label"] != "tearing":
            assert row["mechanism"] != MECHANISMS["tearing"]  # an invisible tear is labelled clean
            continue
        decoded = _decode(root / row["path"]).astype(np.int16)
        rows = {r["frame"]: r["row"] for r in clip["params"]["rows"]}
        for start, end in _spans(row["spans"]):
            for t in range(start, end):
                r = rows[t]  # above the tear the previous frame's rows, below the frame's own
                below_prev = _mad(decoded[t, r:], decoded[t - 1, r:])
                above_prev = _mad(decoded[t, :r], decoded[t - 1, :r])
                assert below_prev > above_prev
                checked += 1
    assert checked > 0


def _rms(audio: np.ndarray, start_s: float, end_s: float, sample_rate: int = 16000) -> float:
    return float(np.sqrt(np.mean(audio[int(start_s * sample_rate) : int(end_s * sample_rate)] ** 2)))


def test_black_span_is_black_and_silent(sets):
    root = sets["black"]
    for row in _rows(root):
        decoded = _decode(root / row["path"])
        audio = load_audio(root / row["path"], 16000)[0]
        assert _rms(audio, 0.0, FRAMES / FPS) > 0.01
        inside = np.zeros(FRAMES, bool)
        for start, end in _spans(row["spans"]):
            inside[start:end] = True
            assert decoded[start:end].max() <= NEAR_BLACK_MAX and decoded[start:end].mean() <= 20
            assert (
                _rms(audio, start / FPS + 0.03, end / FPS - 0.03) < 1e-3
            )  # digital silence, AAC edges aside
        if row["label"] == "black":
            assert inside.any() and decoded[~inside].mean() > decoded[inside].mean() + 10


def test_deterministic_for_a_seed(tmp_path, sets):
    again = build_temporal_real_set(tmp_path / "again", "freeze", seed=SEED, **SIZE)
    assert (again / "manifest.csv").read_text() == (sets["freeze"] / "manifest.csv").read_text()
    assert _meta(again) == _meta(sets["freeze"])
    for row in _rows(again):
        assert (again / row["path"]).read_bytes() == (sets["freeze"] / row["path"]).read_bytes()
    other = build_temporal_real_set(tmp_path / "other", "freeze", seed=SEED + 1, **SIZE)
    assert _meta(other)["clips"] != _meta(again)["clips"]


def test_refuses_a_non_empty_out_and_bad_arguments(tmp_path, capsys):
    small = {"clips": 2, "seconds": 0.4, "height": 32, "width": 32, "progress": False}
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="holds no temporal real set"):
        build_temporal_real_set(busy, "black", overwrite=True, **small)
    with pytest.raises(SystemExit) as exc:
        main(["--out", str(busy), "--defect", "black", "--no-progress"])
    assert exc.value.code == 2 and "holds no temporal real set" in capsys.readouterr().err
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]

    built = build_temporal_real_set(tmp_path / "set", "stutter", **small)
    with pytest.raises(FileExistsError, match="already there"):
        build_temporal_real_set(built, "stutter", **small)
    build_temporal_real_set(built, "black", overwrite=True, **small)
    assert _meta(built)["arguments"]["defect"] == "black"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind
    with pytest.raises(ValueError, match="height=33"):
        build_temporal_real_set(tmp_path / "odd", "black", **{**small, "height": 33})
    with pytest.raises(ValueError, match="defect='blur'"):
        build_temporal_real_set(tmp_path / "odd", "blur", **small)


def test_windows_of_your_own_videos(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    write_mp4(videos / "a.mp4", seconds=2.2, fps=25, size=(80, 60), audio=None)  # 55 frames: 2 windows of 25
    small = {"seconds": 1.0, "height": 32, "width": 48, "progress": False}
    out = build_temporal_real_set(tmp_path / "set", "freeze", clips=2, folder=videos, **small)
    clips = _meta(out)["clips"]
    assert [c["source"]["first_frame"] for c in clips] == [0, 25] and clips[0]["source"]["file"] == "a.mp4"
    assert _decode(out / clips[1]["path"]).shape == (25, 32, 48, 3)
    with pytest.raises(ValueError, match="only 2 windows"):
        build_temporal_real_set(tmp_path / "more", "freeze", clips=3, folder=videos, **small)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no video files"):
        build_temporal_real_set(tmp_path / "none", "freeze", clips=1, folder=tmp_path / "empty", **small)
    assert not (tmp_path / "none").exists()


def _write_manifest(root: Path, rows: list[list[str]]) -> Path:
    return write_manifest(root, ("path", "label", "spans", "mechanism"), rows)


def test_real_set_eval_end_to_end(tmp_path, sets):
    out = tmp_path / "train"
    cfg = compose_cfg("train", [*tiny("freeze"), "data.train_size=16"], out)
    metrics, _ = train(cfg)
    run = tmp_path / "eval"
    overrides = [
        "detector=freeze",
        f"ckpt_path={metrics['best_ckpt_path']}",
        "detector.height=24",
        "detector.width=32",
        "detector.num_frames=10",
        "data.val_size=4",
        "detector.operating_point_clips=4",
        f"real_set={sets['freeze']}",
    ]
    report = evaluate(compose_cfg("eval", overrides, run))
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["source"] == {"real_set": str(sets["freeze"])} and "simulated_split" not in saved
    assert saved["num_clips"] == 4 and saved["model"]["num_samples"] == 4 * FRAMES  # whole clips
    assert saved["model"]["balanced_accuracy"] == report["model"]["balanced_accuracy"]
    for level in ("model", "dsp_baseline"):
        assert {"balanced_accuracy", "clip_level", "events"} <= set(saved[level]), level
    assert saved["dsp_baseline"]["name"].startswith("ffmpeg freezedetect")
    per = saved["per_mechanism"]
    assert set(per) == {"clean_roundtrip", "static", "held_frame_x264"}
    assert per["held_frame_x264"]["defect_clips"] == 2
    for key in ("recall_frames", "recall_clips", "event_recall"):
        for name in ("model", "dsp_baseline"):
            assert 0.0 <= per["held_frame_x264"][f"{key}_{name}"] <= 1.0
    assert 0.0 <= per["static"]["fpr_frames_model"] <= 1.0 and "fpr_clips_dsp_baseline" in per["static"]
    assert (run / "timeline.png").stat().st_size > 0

    clip = sets["freeze"] / "clips" / "0001.mp4"
    no_baseline = [*overrides[:-1], "baseline=false"]
    bad_label = _write_manifest(
        tmp_path / "bad_label", [[str(clip), "freeze", "1-3", ""], [str(clip), "blur", "", ""]]
    )
    with pytest.raises(ValueError, match=r"manifest.csv:3: unknown label 'blur'"):
        evaluate(compose_cfg("eval", [*no_baseline, f"real_set={bad_label}"], tmp_path / "e1"))
    bad_spans = _write_manifest(tmp_path / "bad_spans", [[str(clip), "freeze", "4-x", "held"]])
    with pytest.raises(ValueError, match=r"manifest.csv:2: spans='4-x'"):
        evaluate(compose_cfg("eval", [*no_baseline, f"real_set={bad_spans}"], tmp_path / "e2"))
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all" * 10)
    junk = _write_manifest(
        tmp_path / "junk", [[str(clip), "freeze", "4-9", ""], [str(tmp_path / "junk.mp4"), "clean", "", ""]]
    )
    with pytest.raises(MediaError, match=r"manifest.csv:3: .*junk.mp4"):
        evaluate(compose_cfg("eval", [*no_baseline, f"real_set={junk}"], tmp_path / "e3"))
