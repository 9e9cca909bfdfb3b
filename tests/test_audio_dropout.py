"""Audio dropout detector: frame network, frame labels, fast_dev_run, train -> eval -> export -> detect."""

from __future__ import annotations

import io
import json
from pathlib import Path

import hydra
import numpy as np
import onnxruntime as ort
import pytest
import torch

from synth.audio import AudioArtifactSynth, Dropout, FolderAudio, ProceduralAudio
from synth.media import load_audio
from tests.conftest import compose_cfg, tiny
from tests.mediagen import tone, write_mp4, write_wav
from vqa_train.data.audio_frames import DropoutSegmentSynth, frame_labels, longest_zero_run
from vqa_train.deploy.detect import detect
from vqa_train.deploy.export import export, read_sidecar
from vqa_train.deploy.runners import RUNNERS, run_audio_frames
from vqa_train.evaluation import EVALUATORS, evaluate
from vqa_train.models.audio_frames import AudioFrameNet
from vqa_train.train import train

SR = 16000


def _tiny_net() -> AudioFrameNet:
    return AudioFrameNet(
        n_mels=8, sub_channels=4, channels=8, dilations=(1, 2), level_context_frames=5
    ).eval()


def _programme(seconds: float, silence_s: tuple[float, float], seed: int = 0) -> np.ndarray:
    """A tone over noise (float32 ``(1, n)`` at 16 kHz) with exact digital silence in ``silence_s``."""
    audio = tone(440.0, seconds, SR, 0.3) + np.random.default_rng(seed).normal(
        0, 0.02, (1, round(seconds * SR))
    )
    audio[:, round(silence_s[0] * SR) : round(silence_s[1] * SR)] = 0.0
    return audio.astype(np.float32)


def test_net_one_logit_per_10ms_frame_any_length_and_onnx_parity():
    net = _tiny_net()
    assert net.hop == 160 and net.context_frames == 1 + 5 + 3
    with torch.no_grad():
        for n in (net.min_samples, 1000, 32000, 32123):
            assert net(torch.randn(2, n) * 0.1).shape == (2, n // 160)
    buf = io.BytesIO()
    torch.onnx.export(
        net,
        (torch.randn(1, 32000) * 0.1,),
        buf,
        dynamo=False,
        input_names=["waveform"],
        output_names=["logits"],
        dynamic_axes={"waveform": {0: "b", 1: "n"}, "logits": {0: "b", 1: "f"}},
        opset_version=18,
    )
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for shape in ((1, 32000), (3, 20077)):
        x = (rng.standard_normal(shape) * 0.1).astype(np.float32)
        x[:, 4000:6000] = 0.0  # exact zeros and a -70 dB mute exercise every cue
        x[:, 9000:11000] *= np.float32(10 ** (-70 / 20))
        with torch.no_grad():
            ref = net(torch.from_numpy(x)).numpy()
        got = sess.run(None, {"waveform": x})[0]
        assert got.shape == (shape[0], shape[1] // 160)
        np.testing.assert_allclose(got, ref, atol=1e-4)


def test_net_context_is_exact():
    """Changing a sample moves only outputs within context_frames of its frame."""
    net = _tiny_net()
    x = torch.randn(1, 16000) * 0.1
    y = x.clone()
    y[0, 8000:8040] = 0.0  # frame 50
    with torch.no_grad():
        changed = (net(x) - net(y)).abs()[0] > 1e-6
    idx = np.flatnonzero(changed.numpy())
    assert idx.size and idx.min() >= 50 - net.context_frames and idx.max() <= 50 + net.context_frames


def test_frame_labels_half_frame_rule():
    np.testing.assert_array_equal(frame_labels([(80, 240)], 480, 160), [1, 1, 0])
    np.testing.assert_array_equal(frame_labels([(81, 240)], 480, 160), [0, 1, 0])
    np.testing.assert_array_equal(frame_labels([(0, 100), (400, 530)], 530, 160), [1, 0, 1])
    assert frame_labels([], 479, 160).shape == (2,)


def test_data_labels_match_the_defect_spans_and_are_deterministic():
    source, defect = ProceduralAudio(), Dropout()
    synth = DropoutSegmentSynth(source, defect, ["clean", "dropout"], SR, 2.0, 0.01, seed=5)
    reference = AudioArtifactSynth(source, {"dropout": defect}, ["clean", "dropout"], SR, 2.0, 5, "clean")
    swapped = DropoutSegmentSynth(source, defect, ["dropout", "clean"], SR, 2.0, 0.01, seed=5)
    for i in range(6):
        audio, labels, target = synth.sample("train", i)
        assert audio.shape == (1, 32000) and audio.dtype == np.float32
        assert labels.shape == (200,) and labels.dtype == np.uint8
        assert target.label == ("clean", "dropout")[i % 2]
        assert target.stats["source"]["kind"] in ("music", "speech", "ambience", "mixture", "quiet")
        np.testing.assert_array_equal(labels, frame_labels(target.segments, 32000, 160))
        assert labels.any() == (target.label == "dropout")
        ref_audio, ref_target = reference.sample("train", i)  # same generator, same segment
        np.testing.assert_array_equal(audio, ref_audio)
        assert ref_target.segments == target.segments
        again, again_labels, _ = synth.sample("train", i)
        np.testing.assert_array_equal(audio, again)
        np.testing.assert_array_equal(labels, again_labels)
        # The other label on the same index: the same programme, changed only inside the spans.
        other, _, other_target = swapped.sample("train", i)
        with_defect, clean = (audio, other) if target.label == "dropout" else (other, audio)
        spans = target.segments or other_target.segments
        changed = np.flatnonzero(with_defect[0] != clean[0])
        inside = np.zeros(32000, bool)
        for start, end in spans:
            inside[start:end] = True
        assert changed.size and inside[changed].all()
    assert not np.array_equal(synth.sample("val", 1)[0], synth.sample("train", 1)[0])


def test_folder_content_with_digital_silence_is_redrawn(tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    write_wav(root / "short.wav", _programme(0.5, (0.0, 0.0)), SR)  # zero-padded to 2 s: silent
    write_wav(root / "long.wav", _programme(6.0, (0.0, 0.0), seed=1), SR)
    source = FolderAudio(root, SR, split_fractions=(1.0, 0.0, 0.0))
    synth = DropoutSegmentSynth(source, Dropout(), ["clean", "dropout"], SR, 2.0, 0.01, seed=0)
    redraws = []
    for i in range(8):
        audio, _, target = synth.sample("train", 2 * i)  # clean
        redraws.append(target.stats["redraws"])
        assert target.stats["source"]["file"] == "long.wav" and longest_zero_run(audio) < 160
    assert max(redraws) > 0
    keep_all = DropoutSegmentSynth(
        source, Dropout(), ["clean", "dropout"], SR, 2.0, 0.01, seed=0, content_silence_ms=None
    )
    assert any(keep_all.sample("train", 2 * i)[2].stats["source"]["file"] == "short.wav" for i in range(8))


def test_folder_data_config(tmp_path):
    root = tmp_path / "media"
    root.mkdir()
    write_wav(root / "a.wav", _programme(3.0, (0.0, 0.0)), SR)
    cfg = compose_cfg(
        "train",
        [
            *tiny("audio_dropout"),
            "data=audio_dropout_folder",
            f"data.source.root={root}",
            "+data.source.split_fractions=[1.0,0.0,0.0]",
        ],
        tmp_path / "run",
    )
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    wave, labels, label = dm.dataset("train")[1]
    assert wave.shape == (32000,) and labels.shape == (200,) and label == 1 and labels.sum() > 0


def test_fast_dev_run(tmp_path):
    cfg = compose_cfg("train", [*tiny("audio_dropout"), "debug=fdr"], tmp_path)
    assert cfg.detector.kind == "audio_frame_segmenter" and cfg.model.net.sample_rate == SR
    assert "audio_frame_segmenter" in EVALUATORS and "audio_frame_segmenter" in RUNNERS
    _, objects = train(cfg)
    assert objects["trainer"].fast_dev_run
    wave, labels, y = next(iter(objects["datamodule"].train_dataloader()))
    assert wave.dtype == torch.float32 and wave.shape[1:] == (32000,)
    assert labels.dtype == torch.float32 and labels.shape == (len(wave), 200) and y.dtype == torch.long


def test_train_eval_export_detect(tmp_path):
    out = tmp_path / "train"
    metrics, _ = train(compose_cfg("train", [*tiny("audio_dropout"), "data.train_size=16"], out))
    for key in ("val/bacc", "val/bacc_best", "val/bacc_clip", "val/event_f1", "test/bacc"):
        assert key in metrics, key
    ckpt = metrics["best_ckpt_path"]

    run = tmp_path / "eval"
    ecfg = compose_cfg(
        "eval", ["detector=audio_dropout", f"ckpt_path={ckpt}", "data.test_size=6", "data.val_size=6"], run
    )
    report = evaluate(ecfg)
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["model"]["balanced_accuracy"] == report["model"]["balanced_accuracy"]
    assert saved["model"]["num_samples"] == 6 * 200 and saved["model"]["clip_level"]["num_samples"] == 6
    assert {"precision", "recall", "f1"} <= set(saved["model"]["events"])
    assert set(saved["model"]["recall_by_mode"]) <= {"zero", "mute"}
    base = saved["dsp_baseline"]
    assert base["name"].startswith("ffmpeg silencedetect") and base["noise_db"] < 0
    assert base["min_duration_s"] in (0.0, 0.005, 0.01, 0.02, 0.05)
    assert 0.0 <= base["balanced_accuracy"] <= 1.0 and {"clip_level", "events", "peak_level"} <= set(base)
    assert base["peak_level"]["score"] == "silence" and "balanced_accuracy" in base["peak_level"]
    fpr = saved["clean_fpr_by_content"]
    assert fpr["all"]["segments"] == 3 and any(k.startswith("content:") for k in fpr)
    assert all({"fpr_frames_model", "fpr_segments_dsp_baseline"} <= set(v) for v in fpr.values())
    for png in ("confusion_matrix.png", "confusion_matrix_segment.png", "confusion_matrix_baseline.png"):
        assert (run / png).stat().st_size > 0, png
    ecfg.real_set = str(tmp_path)
    with pytest.raises(FileNotFoundError, match="manifest.csv not found"):  # see test_dropout_realset.py
        evaluate(ecfg)

    # Export: waveform -> per-frame probabilities, parity at two lengths.
    result = export(compose_cfg("export", ["detector=audio_dropout", f"ckpt_path={ckpt}"], tmp_path / "x"))
    sidecar = json.loads(Path(result["sidecar"]).read_text())
    assert sidecar["kind"] == "audio_frame_segmenter" and sidecar["parity_max_abs_diff"] <= 1e-4
    assert sidecar["frame_samples"] == 160 and sidecar["context_frames"] == 9 and sidecar["sample_rate"] == SR
    exports = tmp_path / "x" / "exports"

    # Detect on a 16-kHz wav with 0.3 s of digital silence: one score per 10 ms.
    wav = write_wav(tmp_path / "prog.wav", _programme(3.3, (1.2, 1.5)), SR)
    det = detect(compose_cfg("detect", [f"input={wav}", f"export_dir={exports}"], tmp_path / "d1"))
    found = det["detectors"]["audio_dropout"]
    assert found["num_units"] == 330 and found["unit_s"] == 0.01
    assert all(0.0 <= p <= 1.0 for _, p in found["scores"])
    for ev in found["events"]:
        assert ev["label"] == "dropout" and ev["end_s"] > ev["start_s"]

    # Streaming in 1-s windows (overlapping by the context) equals scoring the whole file at once.
    meta = {**read_sidecar(Path(result["sidecar"])), "chunk_s": 1.0}
    session = ort.InferenceSession(str(exports / meta["onnx"]), providers=["CPUExecutionProvider"])
    streamed = run_audio_frames(meta, session, wav, min_score=0.5, batch_size=1)
    whole = session.run(None, {"waveform": load_audio(wav, SR)})[0][0]
    np.testing.assert_allclose([p for _, p in streamed["scores"]], whole, atol=1e-4)
    tiny_file = write_wav(tmp_path / "blip.wav", _programme(0.015, (0.0, 0.0)), SR)
    assert run_audio_frames(meta, session, tiny_file, min_score=0.5, batch_size=1)["num_units"] == 1

    # An mp4 with AAC audio at 48 kHz, then one without audio (skipped with a reason).
    audio48 = np.repeat(_programme(2.5, (1.0, 1.2)), 3, axis=1)  # 48 kHz, sample-and-hold
    mp4 = write_mp4(tmp_path / "av.mp4", seconds=2.5, fps=25, size=(48, 32), audio=audio48, sample_rate=48000)
    det = detect(compose_cfg("detect", [f"input={mp4}", f"export_dir={exports}"], tmp_path / "d2"))
    assert det["detectors"]["audio_dropout"]["num_units"] >= 250
    silent = write_mp4(tmp_path / "video.mp4", seconds=1.0, fps=25, size=(48, 32), audio=None)
    det = detect(compose_cfg("detect", [f"input={silent}", f"export_dir={exports}"], tmp_path / "d3"))
    assert det["detectors"]["audio_dropout"]["skipped"] == "no audio stream"
