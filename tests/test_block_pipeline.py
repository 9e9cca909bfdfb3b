"""Block corruption end to end on tiny data: train -> eval (simulated, real folder) -> export -> detect."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import compose_cfg, run_entry, tiny
from tests.mediagen import write_mp4
from vqa_train.deploy.detect import detect
from vqa_train.deploy.export import export
from vqa_train.evaluation import evaluate
from vqa_train.train import train

TINY_BLOCK = tiny("block_corruption")


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("block_train")
    cfg = compose_cfg("train", [*TINY_BLOCK, "trainer.max_epochs=2", "data.train_size=16"], out)
    metrics, objects = train(cfg)
    return {"out": out, "metrics": metrics, "ckpt": metrics["best_ckpt_path"]}


def test_fast_dev_run(tmp_path):
    cfg = compose_cfg("train", [*TINY_BLOCK, "debug=fdr"], tmp_path)
    _, objects = train(cfg)
    assert objects["trainer"].fast_dev_run


def test_training_logs_both_decisions_and_checkpoints_the_val_threshold(trained):
    m = trained["metrics"]
    for key in (
        "val/bacc",
        "val/bacc_best",
        "val/bacc_learned",
        "val/bacc_area",
        "val/area_threshold",
        "val/map_iou",
    ):
        assert key in m, key
    assert "test/bacc" in m
    # The best checkpoint carries the area threshold chosen on val in its own epoch.
    state = torch.load(trained["ckpt"], map_location="cpu", weights_only=True)
    assert float(state["state_dict"]["area_threshold"]) == pytest.approx(_val_threshold_of(trained), abs=1e-6)
    assert (trained["out"] / "confusion" / "test.png").is_file()
    assert (trained["out"] / "learning_curve.json").is_file()


def _val_threshold_of(trained: dict) -> float:
    """``val/area_threshold`` logged in the epoch of the best checkpoint (from the CSV log)."""
    epoch = int(torch.load(trained["ckpt"], map_location="cpu", weights_only=True)["epoch"])
    with open(trained["out"] / "csv" / "metrics.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("val/area_threshold") and int(r["epoch"]) == epoch]
    return float(rows[-1]["val/area_threshold"])


def test_eval_simulated_reports_decisions_baseline_iou_and_overlays(trained, tmp_path):
    cfg = compose_cfg(
        "eval",
        ["detector=block_corruption", f"ckpt_path={trained['ckpt']}", "data.test_size=8", "data.val_size=6"],
        tmp_path,
    )
    report = evaluate(cfg)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["model"]["num_samples"] == 8
    assert set(metrics["decisions"]) == {"learned", "area_ratio", "area_ratio_fixed", "learned_capped"}
    assert metrics["decisions"]["area_ratio_fixed"]["area_threshold"] == pytest.approx(0.07)
    capped = metrics["decisions"]["learned_capped"]
    assert capped["max_hard_negative_fpr"] == pytest.approx(0.02) and metrics["device"] == "cpu"
    assert capped["val_hard_negative_fpr"] is None or capped["val_hard_negative_fpr"] <= 0.02
    assert 0.0 <= metrics["map_iou"] <= 1.0 and metrics["map_iou_frames"] == 8
    assert metrics["dsp_baseline"]["name"] == "ffmpeg blockdetect"
    assert metrics["dsp_baseline"]["num_samples"] == 8
    assert "hard_negatives" in metrics
    assert len(metrics["frames"]) == 8 and {"frame_prob", "area", "blockdetect"} <= set(metrics["frames"][0])
    assert set(metrics["roc_auc"]) == {"learned", "area_ratio", "blockdetect"}
    assert (tmp_path / "overlays.png").stat().st_size > 0
    assert (tmp_path / "confusion_matrix_blockdetect.png").is_file()
    assert report["model"]["balanced_accuracy"] == metrics["model"]["balanced_accuracy"]


def test_capped_decision_holds_its_cap_on_val(trained, tmp_path):
    """A zero cap flags none of the val hard negatives; a cap outside [0, 1) names the key."""
    base = [
        "detector=block_corruption",
        f"ckpt_path={trained['ckpt']}",
        "data.test_size=4",
        "data.val_size=16",
    ]
    evaluate(compose_cfg("eval", [*base, "detector.max_hard_negative_fpr=0.0"], tmp_path))
    capped = json.loads((tmp_path / "metrics.json").read_text())["decisions"]["learned_capped"]
    assert capped["val_hard_negative_fpr"] == 0.0 and "hard negatives" in capped["chosen_on"]
    with pytest.raises(ValueError, match="detector.max_hard_negative_fpr"):
        evaluate(compose_cfg("eval", [*base, "detector.max_hard_negative_fpr=1.5"], tmp_path / "bad"))
    with pytest.raises(ValueError, match="device: expected cpu, cuda or auto"):
        evaluate(compose_cfg("eval", [*base, "device=tpu"], tmp_path / "dev"))


def test_capped_export_writes_evals_threshold_and_detect_applies_it(trained, tmp_path):
    """export_threshold=capped: the sidecar's score_threshold is the learned_capped threshold eval
    reports on the same val split, and detect.py flags exactly the frames whose score reaches it."""
    small = ["data.val_size=16", "detector.max_hard_negative_fpr=0.0"]
    ckpt = f"ckpt_path={trained['ckpt']}"
    evaluate(
        compose_cfg("eval", ["detector=block_corruption", ckpt, "data.test_size=4", *small], tmp_path / "e")
    )
    capped = json.loads((tmp_path / "e" / "metrics.json").read_text())["decisions"]["learned_capped"]
    cfg = compose_cfg(
        "export",
        ["detector=block_corruption", ckpt, "detector.export_threshold=capped", *small],
        tmp_path / "x",
    )
    sidecar = json.loads(Path(export(cfg)["sidecar"]).read_text())
    assert sidecar["score_threshold"] == pytest.approx(capped["threshold"], abs=1e-6)
    assert sidecar["operating_point"]["val_hard_negative_fpr"] == capped["val_hard_negative_fpr"]
    media = write_mp4(tmp_path / "clip.mp4", seconds=1.0, fps=25, size=(96, 64), audio=None)
    dcfg = compose_cfg(
        "detect", [f"input={media}", f"export_dir={tmp_path / 'x' / 'exports'}"], tmp_path / "d"
    )
    det = detect(dcfg)["detectors"]["block_corruption"]
    flagged = sum(e["frames"] for e in det["events"])
    assert flagged == sum(s >= sidecar["score_threshold"] for _, s in det["scores"])
    bad = compose_cfg(
        "export", ["detector=block_corruption", ckpt, "detector.export_threshold=best"], tmp_path / "b"
    )
    with pytest.raises(ValueError, match="detector.export_threshold: expected fixed or capped"):
        export(bad)


def _frame_folder(root: Path) -> Path:
    """A labeled folder of frames: a clean ramp, the same frame with grey blocks, and its mask."""
    root.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:90, 0:130]
    clean = np.stack([(xx * 2) % 256, (yy * 3) % 256, (xx + yy) % 256], axis=-1).astype(np.uint8)
    bad = clean.copy()
    bad[16:48, 32:80] = 128
    mask = np.zeros(clean.shape[:2], np.uint8)
    mask[16:48, 32:80] = 255
    for name, img in (("clean.png", clean), ("bad.png", bad), ("bad_mask.png", mask)):
        cv2.imwrite(str(root / name), img[..., ::-1] if img.ndim == 3 else img)
    with open(root / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["path", "label", "mask_path"])
        w.writeheader()
        w.writerow({"path": "clean.png", "label": "clean", "mask_path": ""})
        w.writerow({"path": "bad.png", "label": "corrupted", "mask_path": "bad_mask.png"})
    return root


def test_eval_real_set_entry_point(trained, tmp_path):
    real = _frame_folder(tmp_path / "real")
    proc = run_entry(
        "eval.py",
        [
            "detector=block_corruption",
            f"ckpt_path={trained['ckpt']}",
            f"real_set={real}",
            "data.val_size=4",
            f"hydra.run.dir={tmp_path / 'run'}",
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("balanced_accuracy=")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["model"]["num_samples"] == 2
    assert metrics["map_iou_frames"] == 2  # the clean row counts as an all-clean mask


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"path": "clean.png", "label": "broken"}, "unknown label 'broken'"),
        ({"path": "clean.png", "label": "corrupted", "mask_path": "nope.png"}, "mask_path not found"),
        ({"path": "junk.png", "label": "clean"}, "junk.png"),
    ],
)
def test_eval_real_set_bad_rows_name_the_row(trained, tmp_path, row, expected):
    real = _frame_folder(tmp_path / "real")
    (real / "junk.png").write_bytes(b"\x89PNG garbage" * 8)
    with open(real / "manifest.csv", "a", newline="") as fh:
        csv.DictWriter(fh, fieldnames=["path", "label", "mask_path"]).writerow(row)
    cfg = compose_cfg(
        "eval",
        ["detector=block_corruption", f"ckpt_path={trained['ckpt']}", f"real_set={real}", "data.val_size=4"],
        tmp_path / "run",
    )
    with pytest.raises(Exception, match=expected) as exc:
        evaluate(cfg)
    assert "manifest.csv:4" in str(exc.value)
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_export_parity_at_two_resolutions_then_detect_on_mp4(trained, tmp_path):
    cfg = compose_cfg("export", ["detector=block_corruption", f"ckpt_path={trained['ckpt']}"], tmp_path)
    result = export(cfg)
    sidecar = json.loads(Path(result["sidecar"]).read_text())
    assert sidecar["kind"] == "frame_map_classifier" and sidecar["map_stride"] == 32
    assert sidecar["parity_max_abs_diff"] <= 1e-4
    assert len(sidecar["parity_shapes"]) == 2 and sidecar["parity_shapes"][0] != sidecar["parity_shapes"][1]
    assert sidecar["decision"] == "learned"
    assert sidecar["area_threshold"] == pytest.approx(_val_threshold_of(trained), abs=1e-6)
    assert sidecar["input"]["normalisation"]["in_graph"] is True

    import onnxruntime as ort

    sess = ort.InferenceSession(result["onnx"], providers=["CPUExecutionProvider"])
    maps, score, area = sess.run(
        None, {"frames": np.random.default_rng(0).random((1, 3, 100, 70), np.float32)}
    )
    assert maps.shape == (1, 1, 4, 3) and score.shape == (1,) and area.shape == (1,)

    media = write_mp4(tmp_path / "clip.mp4", seconds=2.0, fps=25, size=(96, 64), audio=None)
    dcfg = compose_cfg(
        "detect",
        [f"input={media}", f"export_dir={tmp_path / 'exports'}", "frame_rate=4"],
        tmp_path / "detect",
    )
    timeline = detect(dcfg)
    det = timeline["detectors"]["block_corruption"]
    assert det["num_units"] == 8
    assert det["times_s"] == sorted(det["times_s"]) and det["times_s"][0] == pytest.approx(0.0)
    assert all(0.0 <= a <= 1.0 for a in det["area_ratio"])
    for ev in det["events"]:
        assert {"start_s", "end_s", "peak_score", "peak_area_ratio"} <= set(ev)
    assert (tmp_path / "detect" / "timeline.png").stat().st_size > 0

    # Odd sizes: portrait and not a multiple of 32, and a tiny frame (one map cell).
    for name, size in (("portrait", (54, 96)), ("tiny", (16, 16))):
        clip = write_mp4(tmp_path / f"{name}.mp4", seconds=1.0, fps=25, size=size, audio=None)
        ocfg = compose_cfg(
            "detect", [f"input={clip}", f"export_dir={tmp_path / 'exports'}", "frame_rate=2"], tmp_path / name
        )
        res = detect(ocfg)["detectors"]["block_corruption"]
        assert res["num_units"] == 2, name
        assert all(0.0 <= s[1] <= 1.0 for s in res["scores"])

    audio_only = write_mp4(
        tmp_path / "a.m4a", seconds=1.0, audio=np.zeros((1, 48000), np.float32), video=False
    )
    acfg = compose_cfg(
        "detect", [f"input={audio_only}", f"export_dir={tmp_path / 'exports'}"], tmp_path / "a"
    )
    assert detect(acfg)["detectors"]["block_corruption"]["skipped"] == "no video stream"
