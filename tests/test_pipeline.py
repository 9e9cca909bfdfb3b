"""End to end on tiny data: train -> checkpoint -> eval (simulated and real folder) -> export -> detect."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import hydra
import lightning as L
import numpy as np
import pytest
import soundfile as sf
import torch

from synth.audio import Clicks, Hum, ProceduralAudio
from synth.core import AudioMeta, sample_rng
from tests.conftest import TINY, compose_cfg, run_entry
from tests.mediagen import write_mp4
from vqa_train.checkpoint import init_weights
from vqa_train.deploy.detect import detect
from vqa_train.deploy.export import export
from vqa_train.evaluation import evaluate
from vqa_train.train import train

SR = 32000


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("train")
    cfg = compose_cfg(
        "train", [*TINY, "trainer.max_epochs=2", "callbacks.last_checkpoint.every_n_train_steps=2"], out
    )
    metrics, objects = train(cfg)
    return {"out": out, "metrics": metrics, "cfg": cfg, "trainer": objects["trainer"]}


def test_fast_dev_run(compose_config):
    cfg = compose_config("train", [*TINY, "debug=fdr", "model.net.width=4", "logger=csv"])
    metrics, objects = train(cfg)
    assert objects["trainer"].fast_dev_run
    assert "train/loss" in metrics or "train/loss_step" in metrics


def test_train_writes_checkpoints_curves_and_confusion(trained):
    out, metrics = trained["out"], trained["metrics"]
    assert 0.0 <= metrics["val/bacc_best"] <= 1.0
    assert "test/bacc" in metrics
    ckpts = {p.name for p in (out / "checkpoints").glob("*.ckpt")}
    assert "last.ckpt" in ckpts and any(n.startswith("best") for n in ckpts)
    assert (out / "learning_curve.png").stat().st_size > 0
    curve = json.loads((out / "learning_curve.json").read_text())
    assert [r["epoch"] for r in curve] == [0, 1]
    assert (out / "confusion" / "test.png").is_file()
    assert not list(out.rglob("*.tmp")), "atomic writes left temporary files"


def test_last_checkpoint_holds_the_final_weights(tmp_path):
    """Saved every 3 steps, a 4-step run still ends with its step-4 weights in last.ckpt (Lightning's
    own ModelCheckpoint leaves step 3's there)."""
    overrides = ["trainer.max_epochs=1", "data.train_size=32", "test=false"]
    cfg = compose_cfg(
        "train", [*TINY, *overrides, "callbacks.last_checkpoint.every_n_train_steps=3"], tmp_path
    )
    _, objects = train(cfg)
    last = torch.load(tmp_path / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert objects["trainer"].global_step == last["global_step"] == 4
    final = objects["model"].state_dict()
    assert all(torch.equal(v.cpu(), final[k]) for k, v in last["state_dict"].items())


class CrashAtStep(L.Callback):
    """Stops training with an error at a given step, as a killed run would stop."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_train_batch_end(self, trainer, *args) -> None:
        if trainer.global_step == self.step:
            raise RuntimeError("simulated kill")


def test_resume_after_crash_mid_epoch(tmp_path):
    base = [
        *TINY,
        "trainer.max_epochs=2",
        "data.train_size=32",
        "callbacks.last_checkpoint.every_n_train_steps=2",
        "test=false",
    ]
    crash = ["+callbacks.crash._target_=tests.test_pipeline.CrashAtStep", "+callbacks.crash.step=5"]
    cfg = compose_cfg("train", [*base, *crash], tmp_path / "a")
    with pytest.raises(RuntimeError, match="simulated kill"):
        train(cfg)
    last = tmp_path / "a" / "checkpoints" / "last.ckpt"
    assert last.is_file()
    cfg2 = compose_cfg("train", [*base, f"ckpt_path={last}"], tmp_path / "b")
    _, objects = train(cfg2)
    trainer = objects["trainer"]
    assert trainer.current_epoch == 2
    assert trainer.global_step == 8  # 2 epochs x 4 batches: nothing repeated or lost beyond the last save


def test_init_ckpt_path_fine_tunes_from_the_weights(trained, tmp_path):
    best = next((trained["out"] / "checkpoints").glob("best*.ckpt"))
    saved = torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
    fresh = hydra.utils.instantiate(trained["cfg"].model, _convert_="partial")
    assert any(not torch.equal(v, saved[k]) for k, v in fresh.state_dict().items())
    init_weights(fresh, best)
    assert all(torch.equal(v, saved[k]) for k, v in fresh.state_dict().items())

    other = hydra.utils.instantiate(trained["cfg"].model, net={"width": 8}, _convert_="partial")
    with pytest.raises(ValueError, match="does not fit this model: other shape"):
        init_weights(other, best)
    missing = compose_cfg("train", [*TINY, f"init_ckpt_path={tmp_path / 'none.ckpt'}"], tmp_path / "a")
    with pytest.raises(FileNotFoundError, match="init_ckpt_path: no such checkpoint"):
        train(missing)
    both = compose_cfg("train", [*TINY, f"init_ckpt_path={best}", f"ckpt_path={best}"], tmp_path / "b")
    with pytest.raises(ValueError, match="not both"):
        train(both)
    offset = compose_cfg("train", [*TINY, "+data.train_epoch_offset=3"], tmp_path / "c")
    with pytest.raises(ValueError, match="train_epoch_offset=3 continues a run .* set init_ckpt_path"):
        train(offset)


def test_eval_simulated_writes_report(trained, tmp_path):
    ckpt = trained["metrics"]["best_ckpt_path"]
    cfg = compose_cfg("eval", [f"ckpt_path={ckpt}", "data.test_size=10", "data.val_size=10"], tmp_path)
    report = evaluate(cfg)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["model"]["num_samples"] == 10
    assert set(metrics["model"]["per_class"]) == {"none", "hum", "hiss", "distortion", "clicks"}
    assert np.array(metrics["model"]["confusion_matrix"]).sum() == 10
    assert "dsp_baseline" in metrics and "thresholds" in metrics["dsp_baseline"]
    assert (tmp_path / "confusion_matrix.png").is_file()
    assert report["model"]["balanced_accuracy"] == metrics["model"]["balanced_accuracy"]


def _labeled_folder(root: Path) -> Path:
    """Real-set layout: a few wav files made from pristine content with and without defects."""
    root.mkdir(parents=True, exist_ok=True)
    meta = AudioMeta(SR)
    src = ProceduralAudio()
    rows = []
    for i, (name, defect) in enumerate([("clean", None), ("hum", Hum()), ("clicks", Clicks())]):
        rng = sample_rng(7, "test", i)
        audio, _ = src.segment(rng, "test", int(2.5 * SR), SR)
        if defect is not None:
            audio, _ = defect(audio, rng, meta)
        sf.write(root / f"{name}.wav", audio[0], SR)
        rows.append({"path": f"{name}.wav", "label": "none" if defect is None else name})
    rows.append({"path": "hum.wav", "label": "hum", "start_s": "0.5", "end_s": "1.5"})
    with open(root / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["path", "label", "start_s", "end_s"])
        w.writeheader()
        w.writerows(rows)
    return root


def test_eval_real_set_entry_point(trained, tmp_path):
    real = _labeled_folder(tmp_path / "real")
    ckpt = trained["metrics"]["best_ckpt_path"]
    proc = run_entry(
        "eval.py",
        [f"ckpt_path={ckpt}", f"real_set={real}", "baseline=false", f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("balanced_accuracy=")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    # 2.5 s files -> 3 segments each (last one padded), plus 1 segment for the 0.5-1.5 s span.
    assert metrics["model"]["num_samples"] == 10
    assert metrics["model"]["per_class"]["hum"]["support"] == 4
    assert float(last.split("=")[1]) == pytest.approx(metrics["model"]["balanced_accuracy"], abs=1e-4)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"path": "clean.wav", "label": "crackle"}, "unknown label 'crackle'"),
        ({"path": "missing.wav", "label": "none"}, "file not found"),
        ({"path": "broken.wav", "label": "none"}, "broken.wav"),
    ],
)
def test_eval_real_set_bad_rows_name_the_row(trained, tmp_path, row, expected):
    real = _labeled_folder(tmp_path / "real")
    (real / "broken.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
    with open(real / "manifest.csv", "a", newline="") as fh:
        csv.DictWriter(fh, fieldnames=["path", "label", "start_s", "end_s"]).writerow(row)
    cfg = compose_cfg(
        "eval",
        [f"ckpt_path={trained['metrics']['best_ckpt_path']}", f"real_set={real}", "baseline=false"],
        tmp_path / "run",
    )
    with pytest.raises(Exception, match=expected) as exc:
        evaluate(cfg)
    assert "manifest.csv:6" in str(exc.value)
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_export_parity_then_detect_on_mp4(trained, tmp_path):
    ckpt = trained["metrics"]["best_ckpt_path"]
    cfg = compose_cfg("export", [f"ckpt_path={ckpt}"], tmp_path)
    result = export(cfg)
    sidecar = json.loads(Path(result["sidecar"]).read_text())
    assert sidecar["classes"] == ["none", "hum", "hiss", "distortion", "clicks"]
    assert sidecar["sample_rate"] == SR and sidecar["segment_s"] == 1.0
    assert sidecar["parity_max_abs_diff"] <= 1e-4
    assert sidecar["config"]["model"]["net"]["arch"] == "cnn6"

    # A real mp4 (H.264 + AAC at 48 kHz stereo) of 4.3 s: 5 one-second units, the last padded.
    t = np.arange(int(4.3 * 48000)) / 48000
    audio = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.3 * np.sin(2 * np.pi * 660 * t)]).astype(
        np.float32
    )
    media = write_mp4(tmp_path / "clip.mp4", seconds=4.3, audio=audio, sample_rate=48000)
    dcfg = compose_cfg(
        "detect", [f"input={media}", f"export_dir={tmp_path / 'exports'}"], tmp_path / "detect"
    )
    timeline = detect(dcfg)
    det = timeline["detectors"]["audio_artifacts"]
    assert det["num_units"] == 5
    assert len(det["scores"]) == 5 and all(abs(sum(r) - 1) < 1e-3 for r in det["scores"])
    on_disk = json.loads((tmp_path / "detect" / "timeline.json").read_text())
    assert on_disk["detectors"]["audio_artifacts"]["events"] == det["events"]
    assert (tmp_path / "detect" / "timeline.png").stat().st_size > 0

    # A file without an audio track: audio detectors are skipped, with the reason, not a crash.
    silent_video = write_mp4(tmp_path / "video_only.mp4", seconds=1.0, audio=None)
    vcfg = compose_cfg(
        "detect", [f"input={silent_video}", f"export_dir={tmp_path / 'exports'}"], tmp_path / "v"
    )
    assert detect(vcfg)["detectors"]["audio_artifacts"]["skipped"] == "no audio stream"


def test_detect_without_exports_is_one_clear_error(tmp_path):
    media = write_mp4(
        tmp_path / "clip.mp4", seconds=1.0, audio=np.zeros((1, 48000), np.float32), sample_rate=48000
    )
    proc = run_entry(
        "detect.py",
        [f"input={media}", f"export_dir={tmp_path / 'none'}", f"hydra.run.dir={tmp_path / 'run'}"],
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "run export.py first" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["corrupt", "empty"])
def test_detect_on_bad_media_names_the_file(tmp_path, kind):
    from synth.media import MediaError

    path = tmp_path / f"{kind}.mp4"
    path.write_bytes(np.random.default_rng(0).bytes(4096) if kind == "corrupt" else b"")
    (tmp_path / "exports").mkdir()
    cfg = compose_cfg("detect", [f"input={path}", f"export_dir={tmp_path / 'exports'}"], tmp_path / "run")
    with pytest.raises(MediaError) as exc:
        detect(cfg)
    assert path.name in str(exc.value)
    assert "\n" not in str(exc.value)


def test_frame_loss_trains_on_where_the_defect_is(compose_config):
    """experiment=audio_artifacts_frames_cpu30: batches carry per-frame flags, the loss a per-cell term."""
    from vqa_train.modules.segment_classifier import cell_targets

    frames = torch.zeros(2, 100, dtype=torch.bool)
    frames[0, 40] = True  # a click in cell 2 of sample 0 (16 frames a cell)
    frames[1] = True  # hum everywhere in sample 1
    got = cell_targets(frames, torch.tensor([4, 1]), cells=6, per_cell=16, clean=0)
    assert got.tolist() == [[0, 0, 4, 0, 0, 0], [1] * 6]
    assert cell_targets(frames[:, :50], torch.tensor([4, 1]), 6, 16, 0)[1].tolist() == [1, 1, 1, 1, 0, 0]

    recipe = ["experiment=audio_artifacts_frames_cpu30", *TINY, "debug=fdr"]
    cfg = compose_config("train", recipe)
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    wave, flags, label = dm.dataset("train")[4]
    assert label == 4 and flags.dtype == torch.bool and flags.shape == (100,) and 0 < flags.sum() < 100
    metrics, _ = train(cfg)
    assert "train/frame_loss" in metrics and "train/wave_frame_loss" not in metrics
    wave = ["model.net.wave_branch=4", "model.net.wave_frame_head=true", "model.wave_frame_loss_weight=1.0"]
    metrics, _ = train(compose_config("train", [*recipe, *wave]))
    assert "train/frame_loss" in metrics and "train/wave_frame_loss" in metrics
    with pytest.raises(Exception, match="wave_frame_classes .'pops'. are not among the classes"):
        train(compose_config("train", [*recipe, *wave, "model.wave_frame_classes=[pops]"]))
    with pytest.raises(Exception, match="data.frame_targets=true"):
        train(compose_config("train", [*recipe, "data.frame_targets=false"]))
    with pytest.raises(Exception, match="frame_head=true"):
        train(compose_config("train", [*recipe, "model.net.frame_head=false"]))
