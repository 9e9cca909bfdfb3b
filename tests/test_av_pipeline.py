"""Lip-sync pipeline: offset search, clip decisions, train -> eval (simulated and real) -> export -> detect."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import torch

from synth.av import AVMeta, AVOffset, AVSyncSynth
from synth.av.io import write_av_clip
from synth.media import MediaError
from tests.conftest import TINY_DETECTOR, compose_cfg, tiny
from tests.mediagen import write_mp4
from vqa_train.avsync.pipeline import (
    PipelineConfig,
    SyncPipeline,
    SyncScorer,
    TrackVerdict,
    decide,
    judge_curve,
    offset_curve,
)
from vqa_train.avsync.tracking import FaceTrack
from vqa_train.deploy.detect import detect
from vqa_train.deploy.export import export
from vqa_train.evaluation import evaluate
from vqa_train.models.syncnet import SyncNet, offset_distances
from vqa_train.train import train

SR, FPS = 16000, 25.0


def _unit_windows(signal: np.ndarray, window: int = 5) -> np.ndarray:
    """(D=window, W) z-normalised sliding windows of a per-frame signal, unit norm."""
    w = np.lib.stride_tricks.sliding_window_view(signal, window).T.astype(np.float64)
    w = w - w.mean(axis=0, keepdims=True)
    return (w / (np.linalg.norm(w, axis=0, keepdims=True) + 1e-9)).astype(np.float32)


def oracle_scorer() -> SyncScorer:
    """A hand-made sync 'network': mouth darkness of the crops vs voiced-band energy of the sound."""
    sos = scipy.signal.butter(4, [150, 1000], "bandpass", fs=SR, output="sos")

    def video(crops: np.ndarray) -> np.ndarray:
        h, w = crops.shape[1:]
        centre = crops[:, h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
        return _unit_windows((centre < 0.3).mean(axis=(1, 2)))

    def audio(wave: np.ndarray) -> np.ndarray:
        voiced = scipy.signal.sosfilt(sos, wave)
        hop = int(SR / FPS)
        n = len(wave) // hop
        energy = np.array(
            [np.sqrt(np.mean(voiced[max(0, k * hop - hop // 2) : k * hop + hop // 2] ** 2)) for k in range(n)]
        )
        return _unit_windows(energy)

    return SyncScorer(video=video, audio=audio)


@pytest.fixture(scope="module")
def in_sync_clip():
    """A single speaker rendered exactly in sync (offset 0)."""
    s = AVSyncSynth(
        AVOffset(in_sync_prob=1.0, tolerance_ms=(0.0, 0.0)),
        seed=4,
        height=240,
        width=426,
        seconds=4.0,
        kind_weights={"single": 1.0},
    )
    clip = s.clip("test", 2)
    assert clip.target.params["offset_ms"] == 0.0
    return clip


@pytest.mark.parametrize("offset_ms", [-200.0, 0.0, 120.0, 280.0])
def test_offset_search_recovers_a_known_shift(in_sync_clip, offset_ms: float) -> None:
    audio, target = AVOffset().apply(in_sync_clip.audio, {"offset_ms": offset_ms}, AVMeta(SR, 0))
    pipe = SyncPipeline(oracle_scorer(), PipelineConfig(min_confidence=0.05, min_track_frames=40))
    verdict = pipe(in_sync_clip.frames, audio)
    assert len(verdict.tracks) == 1, verdict.reasons
    assert abs(verdict.offset_ms - offset_ms) <= 40.0 + 1e-6, (verdict.offset_ms, offset_ms)
    assert verdict.label == target.label
    assert set(verdict.seconds) >= {"shots", "faces", "tracking", "crops", "syncnet", "total"}


def test_faceless_clip_is_inconclusive() -> None:
    s = AVSyncSynth(AVOffset(), seed=1, height=180, width=320, seconds=2.0, kind_weights={"no_face": 1.0})
    clip = s.clip("test", 0)
    verdict = SyncPipeline(oracle_scorer())(clip.frames, clip.audio)
    assert verdict.label == "inconclusive" and verdict.reasons[0].startswith("no face track")


def test_tiny_faces_are_inconclusive_with_a_reason() -> None:
    s = AVSyncSynth(
        AVOffset(),
        seed=1,
        height=360,
        width=640,
        seconds=2.0,
        kind_weights={"single": 1.0},
        face_height_range=(0.06, 0.07),
    )
    clip = s.clip("test", 0)
    verdict = SyncPipeline(oracle_scorer())(clip.frames, clip.audio)
    assert verdict.label == "inconclusive"
    assert "no face of at least ~48 px" in verdict.reasons[0]


def _verdict(vote, conf=0.5, offset=0.0) -> TrackVerdict:
    track = FaceTrack(0, 0, 0, 10, np.zeros((10, 4), np.float32), np.ones(10, bool))
    return TrackVerdict(track, 0, offset, 0.5, conf, vote, "")


def test_clip_decision_rules() -> None:
    assert decide([], any_tracks=False)[0] == "inconclusive"
    label, offset, _, reasons = decide([_verdict(None, 0.1, 120.0)], any_tracks=True)
    assert label == "inconclusive" and offset == 120.0 and "no confident" in reasons[0]
    assert decide([_verdict("in_sync"), _verdict("out_of_sync")], True)[3][0].startswith("tie")
    assert decide([_verdict("out_of_sync", 0.9, 200.0), _verdict("out_of_sync"), _verdict("in_sync")], True)[
        :2
    ] == (
        "out_of_sync",
        200.0,
    )


def test_offset_curve_and_confidence() -> None:
    rng = np.random.default_rng(0)
    audio = rng.standard_normal((8, 60)).astype(np.float32)
    audio /= np.linalg.norm(audio, axis=0, keepdims=True)
    start, lag = 10, 3  # sound 3 frames later than the picture
    video = audio[:, start + lag : start + lag + 30]
    curve = offset_curve(video, audio, start, 15)
    offset, low, conf = judge_curve(curve, 15)
    assert offset == lag and low == pytest.approx(0.0, abs=1e-5) and conf > 0.5
    # offsets reaching outside the sound are nan, not a fake minimum
    assert np.isnan(offset_curve(video, audio[:, :20], start, 15)).sum() > 0
    assert judge_curve(np.full(31, np.nan), 15) == (None, None, 0.0)
    # the torch training distances agree with the numpy search
    t_video, t_audio = torch.from_numpy(video)[None], torch.from_numpy(audio)[None]
    dist = offset_distances(t_video, t_audio, 15, audio_start=start)[0].mean(0).numpy()
    assert int(np.nanargmin(dist)) - 15 == lag


def test_pipeline_rejects_bad_input() -> None:
    pipe = SyncPipeline(oracle_scorer())
    with pytest.raises(ValueError, match="uint8"):
        pipe(np.zeros((10, 32, 32, 3), np.float32), np.zeros(100, np.float32))
    with pytest.raises(ValueError, match="mono"):
        pipe(np.zeros((10, 32, 32, 3), np.uint8), np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError, match="unknown keys"):
        PipelineConfig.from_dict({"min_confidance": 0.1})


def test_syncnet_any_length_and_rejects_other_rates() -> None:
    net = SyncNet(width=4, embed_dim=8).eval()
    v, a = net(torch.rand(2, 11, 32, 48), torch.randn(2, 11 * 640))
    assert v.shape == (2, 8, 7) and a.shape == (2, 8, 7)
    assert torch.allclose(v.norm(dim=1), torch.ones(2, 7), atol=1e-5)
    with pytest.raises(ValueError, match="25 fps"):
        SyncNet(fps=30.0)


def test_fast_dev_run(tmp_path):
    cfg = compose_cfg("train", [*tiny("av_sync"), "debug=fdr"], tmp_path)
    assert cfg.detector.kind == "av_sync_pipeline"
    _, objects = train(cfg)
    assert objects["trainer"].fast_dev_run


def _write_manifest(root: Path, rows: list[dict[str, str]], fields=("path", "label", "offset_ms")) -> None:
    with open(root / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fields))
        w.writeheader()
        w.writerows(rows)


def test_train_eval_export_detect(tmp_path):
    out = tmp_path / "train"
    cfg = compose_cfg("train", [*tiny("av_sync"), "data.train_size=16"], out)
    metrics, _ = train(cfg)
    for key in ("val/offset_acc", "val/offset_acc_best", "val/window_acc", "test/offset_acc"):
        assert key in metrics, key
    ckpt = metrics["best_ckpt_path"]

    # simulated clips through the whole pipeline
    run = tmp_path / "eval"
    ecfg = compose_cfg(
        "eval",
        ["detector=av_sync", f"ckpt_path={ckpt}", *TINY_DETECTOR["av_sync"][:3], "data.test_size=4"],
        run,
    )
    report = evaluate(ecfg)
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["model"]["balanced_accuracy"] == report["model"]["balanced_accuracy"]
    assert saved["model"]["num_samples"] == 4 and saved["model"]["classes"] == [
        "in_sync",
        "out_of_sync",
        "inconclusive",
    ]
    assert {"offset_accuracy", "faceless_inconclusive_rate", "per_kind", "seconds_mean"} <= set(saved)
    assert (run / "confusion_matrix.png").stat().st_size > 0

    # a real-offset folder: clips muxed with container-level offsets, labeled path,label,offset_ms
    real = tmp_path / "real"
    (real / "clips").mkdir(parents=True)
    s = AVSyncSynth(AVOffset(), seed=3, height=180, width=320, seconds=2.0, kind_weights={"single": 1.0})
    rows = []
    for i, offset in enumerate([0.0, 240.0]):
        clip = s.clip("test", i)
        write_av_clip(
            real / "clips" / f"{i}.mp4", clip.frames, FPS, clip.audio, SR, audio_delay_s=offset / 1000
        )
        rows.append(
            {
                "path": f"clips/{i}.mp4",
                "label": "in_sync" if offset == 0 else "out_of_sync",
                "offset_ms": offset,
            }
        )
    _write_manifest(real, rows)
    rcfg = compose_cfg(
        "eval",
        ["detector=av_sync", f"ckpt_path={ckpt}", f"real_set={real}", "detector.clip_s=2.0"],
        tmp_path / "r",
    )
    rep = evaluate(rcfg)
    assert rep["model"]["num_samples"] == 2 and rep["real_set"] == str(real)
    assert [c["row"] for c in rep["clips"]] == [2, 3]

    # bad rows name the manifest line
    _write_manifest(real, [{"path": "clips/0.mp4", "label": "late", "offset_ms": "0"}])
    with pytest.raises(ValueError, match=r"manifest.csv:2: unknown label 'late'"):
        evaluate(rcfg)
    _write_manifest(real, [{"path": "clips/0.mp4", "label": "in_sync"}], fields=("path", "label"))
    with pytest.raises(ValueError, match="offset_ms"):
        evaluate(rcfg)
    silent = write_mp4(real / "clips" / "video_only.mp4", seconds=1.0, size=(64, 48), audio=None)
    _write_manifest(real, [{"path": f"clips/{silent.name}", "label": "in_sync", "offset_ms": "0"}])
    with pytest.raises(MediaError, match=r"manifest.csv:2: .*video_only.mp4"):
        evaluate(rcfg)

    # export: three graphs with parity, then detect over a real file in clip_s windows
    xcfg = compose_cfg("export", ["detector=av_sync", f"ckpt_path={ckpt}"], tmp_path / "x")
    result = export(xcfg)
    sidecar = json.loads(Path(result["sidecar"]).read_text())
    assert sidecar["kind"] == "av_sync_pipeline" and set(sidecar["onnx_parts"]) == {
        "frontend",
        "audio",
        "video",
    }
    assert max(sidecar["parity_max_abs_diff_by_part"].values()) <= 1e-4
    assert sidecar["clip_s"] == 2.0 and sidecar["tolerance_ms"] == [40.0, 60.0]
    media = real / "clips" / "1.mp4"
    dcfg = compose_cfg(
        "detect", [f"input={media}", f"export_dir={tmp_path / 'x' / 'exports'}"], tmp_path / "d"
    )
    det = detect(dcfg)["detectors"]["av_sync"]
    assert det["num_units"] == 1 and det["windows"][0]["label"] in ("in_sync", "out_of_sync", "inconclusive")
    # a file with no sound is skipped with a reason, not a crash
    dcfg.input = str(silent)
    assert "no audio" in detect(dcfg)["detectors"]["av_sync"]["skipped"]


def test_train_on_a_folder_of_own_videos(tmp_path):
    from synth.folders import split_of

    folder = tmp_path / "videos"
    folder.mkdir()
    s = AVSyncSynth(
        AVOffset(in_sync_prob=1.0), seed=1, height=180, width=320, seconds=2.0, kind_weights={"single": 1.0}
    )
    names, k = {}, 0
    while len(names) < 3:  # one file per split (the split is a hash of the name)
        name = f"talk_{k}.mp4"
        names.setdefault(split_of(name, (0.34, 0.33, 0.33)), name)
        k += 1
    for i, name in enumerate(names.values()):
        clip = s.clip("test", i)
        write_av_clip(folder / name, clip.frames, FPS, clip.audio, SR)
    (folder / "notes.txt").write_text("not a video")
    overrides = [
        *tiny("av_sync"),
        "data=av_folder",
        f"data.synth.root={folder}",
        "data.synth.split_fractions=[0.34,0.33,0.33]",
        "data.synth.min_track_frames=10",
        "data.train_size=8",
        "data.val_size=4",
        "data.test_size=4",
    ]
    cfg = compose_cfg("train", overrides, tmp_path / "run")
    metrics, objects = train(cfg)
    dm = objects["datamodule"]
    item = dm.dataset("train")[0]
    assert item["crops"].shape == (6, 32, 48) and item["wave"].shape == ((6 + 30) * 640,)
    assert item["crops"].max() > item["crops"].min()  # real crops, not padding
    assert "val/offset_acc" in metrics
    # without procedural clips, eval needs a real set and says so
    ecfg = compose_cfg(
        "eval",
        [
            "detector=av_sync",
            "data=av_folder",
            f"data.synth.root={folder}",
            f"ckpt_path={metrics['best_ckpt_path']}",
        ],
        tmp_path / "e",
    )
    with pytest.raises(ValueError, match="give real_set=DIR"):
        evaluate(ecfg)


def test_short_tracks_do_not_vote(in_sync_clip) -> None:
    pipe = SyncPipeline(
        oracle_scorer(), PipelineConfig(min_confidence=0.05, min_track_frames=40, min_vote_frames=101)
    )
    verdict = pipe(in_sync_clip.frames, in_sync_clip.audio)
    assert verdict.label == "inconclusive" and verdict.offset_ms is not None
    assert "too short to judge" in verdict.tracks[0].reason
