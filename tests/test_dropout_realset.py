"""The real-mechanism dropout set: labels vs the timeline decode, determinism, refusals, real_set eval."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import av
import numpy as np
import pytest

from synth.audio.dropout_realset import (
    build_dropout_real_set,
    decode_on_timeline,
    encode,
    main,
    packet_table,
    remux,
)
from synth.media import MediaError, load_audio
from tests.conftest import compose_cfg, tiny
from tests.mediagen import write_manifest
from vqa_train.evaluation import evaluate
from vqa_train.train import train

SR = 48000
SIZE = {"clips": 6, "seconds": 2.0, "progress": False}
SEED = 0
EDGE_S = 0.025  # AAC smears a muxed silence's edges over about one 21-ms frame


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_dropout_real_set(tmp_path_factory.mktemp("dropout_real") / "set", seed=SEED, **SIZE)


def _rows(root: Path) -> list[dict[str, str]]:
    with open(root / "manifest.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _meta(root: Path) -> dict:
    return json.loads((root / "meta.json").read_text(encoding="utf-8"))


def _spans(text: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in part.split("-")) for part in text.split(";")] if text else []


def _peak_db(audio: np.ndarray) -> float:
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else -np.inf


def test_manifest_layout_and_labels_match_the_decode(built):
    rows, meta = _rows(built), _meta(built)
    assert list(rows[0]) == ["path", "label", "spans_s", "mechanism"]
    assert [r["label"] for r in rows] == ["clean", "dropout"] * 3
    assert [r["mechanism"] for r in rows] == [
        "clean_roundtrip",
        "muxed_silence",
        "speech_pauses",
        "packet_loss",
        "quiet_passage",
        "muxed_silence",
    ]
    assert meta["kind"] == "dropout_real_set" and meta["codec"]["encoder"] == "aac"
    assert meta["clips"][2]["source"]["kind"] == "speech" and meta["clips"][4]["source"]["kind"] == "quiet"
    for row, clip in zip(rows, meta["clips"]):
        path = built / row["path"]
        assert path.suffix == ".m4a" and clip["path"] == row["path"]
        decoded = decode_on_timeline(path, SR)
        assert decoded.shape == (2 * SR,) and decoded.dtype == np.float32
        spans = _spans(row["spans_s"])
        assert bool(spans) == (row["label"] == "dropout")
        for (start, end), exact in zip(spans, clip["spans_samples"]):
            assert (start, end) == (round(exact[0] / SR, 3), round(exact[1] / SR, 3))
            inside = decoded[exact[0] : exact[1]]
            if row["mechanism"] == "packet_loss":
                assert not inside.any()  # the hole on the timeline: exact digital silence
            elif end - start > 2 * EDGE_S + 0.01:
                interior = decoded[round((start + EDGE_S) * SR) : round((end - EDGE_S) * SR)]
                assert _peak_db(interior) < -50.0, (row["path"], start, end)
        mask = np.ones(len(decoded), bool)
        for a, b in clip["spans_samples"]:
            mask[a:b] = False
        assert np.sqrt(np.mean(decoded[mask] ** 2)) > 1e-5  # programme outside the spans
        # At the detector's rate too: the middle of a lost-packet span stays exactly zero.
        if row["mechanism"] == "packet_loss":
            low = decode_on_timeline(path, 16000)
            assert low.shape == (32000,)
            for start, end in spans:
                assert not low[round(start * 16000) + 20 : round(end * 16000) - 20].any()


def test_packet_loss_spans_are_the_dropped_packets(built):
    clip = next(c for c in _meta(built)["clips"] if c["mechanism"] == "packet_loss")
    dropped = clip["params"]["dropped_packets"]
    assert len(dropped) >= 2
    # The written file holds every packet but the dropped ones, with their timestamps kept.
    with av.open(str(built / clip["path"])) as container:
        stream = container.streams.audio[0]
        kept = {int(p.pts) for p in container.demux(stream) if p.size}
    lost = {d["pts"] for d in dropped}
    assert not kept & lost and max(kept) > max(lost) and min(kept) < min(lost)
    runs: list[list[int]] = []
    for d in dropped:
        if runs and d["pts"] == runs[-1][1]:
            runs[-1][1] = d["pts"] + d["duration"]
        else:
            runs.append([d["pts"], d["pts"] + d["duration"]])
    assert runs == clip["spans_samples"] and all(len(r) == 2 for r in runs)
    # An ordinary decode closes the holes up: the file decodes shorter, so evaluation needs the timeline.
    closed = load_audio(built / clip["path"], SR)[0]
    assert len(closed) < 2 * SR


def test_decode_on_timeline_of_a_plain_remux_is_the_plain_decode(tmp_path):
    t = np.arange(SR) / SR
    audio = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    data = encode(audio, SR, "aac")
    table, origin = packet_table(data)
    assert origin == 0 and table[0][0] < 0  # AAC priming before the timeline's origin
    (tmp_path / "a.m4a").write_bytes(data)
    remux(data, tmp_path / "b.m4a", set())
    a, b = decode_on_timeline(tmp_path / "a.m4a", SR), decode_on_timeline(tmp_path / "b.m4a", SR)
    np.testing.assert_array_equal(a, b)
    plain = load_audio(tmp_path / "a.m4a", SR)[0]  # FFmpeg's decode, not trimmed to the declared end
    np.testing.assert_allclose(a, plain[:SR], atol=1e-6)
    lag = np.argmax([np.dot(audio[2000:40000], a[2000 + k : 40000 + k]) for k in range(-3, 4)]) - 3
    assert lag == 0  # the timeline starts where the programme did
    (tmp_path / "junk.m4a").write_bytes(b"not audio" * 20)
    with pytest.raises(MediaError, match="junk.m4a"):
        decode_on_timeline(tmp_path / "junk.m4a", 16000)
    np.testing.assert_array_equal(decode_on_timeline(data, SR), a)  # the same bytes, decoded in memory
    with pytest.raises(MediaError, match="in-memory container"):
        decode_on_timeline(b"not audio" * 20, 16000)


def test_deterministic_for_a_seed(tmp_path, built):
    again = build_dropout_real_set(tmp_path / "again", seed=SEED, **SIZE)
    assert (again / "manifest.csv").read_text() == (built / "manifest.csv").read_text()
    assert _meta(again) == _meta(built)
    for row in _rows(again):
        assert (again / row["path"]).read_bytes() == (built / row["path"]).read_bytes()
    other = build_dropout_real_set(tmp_path / "other", seed=SEED + 1, clips=2, seconds=1.0, progress=False)
    assert _meta(other)["clips"][1]["spans_samples"] != _meta(again)["clips"][1]["spans_samples"]


def test_refuses_a_non_empty_out_and_bad_arguments(tmp_path, capsys):
    small = {"clips": 2, "seconds": 1.0, "progress": False}
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="holds no dropout real set"):
        build_dropout_real_set(busy, overwrite=True, **small)
    with pytest.raises(SystemExit) as exc:
        main(["--out", str(busy), "--no-progress"])
    assert exc.value.code == 2 and "holds no dropout real set" in capsys.readouterr().err
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    built = build_dropout_real_set(tmp_path / "set", **small)
    with pytest.raises(FileExistsError, match="already there"):
        build_dropout_real_set(built, **small)
    build_dropout_real_set(built, overwrite=True, codec="opus", **small)
    assert _meta(built)["arguments"]["codec"] == "opus" and (built / "clips" / "0001.mp4").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind
    with pytest.raises(ValueError, match="codec='flac'"):
        build_dropout_real_set(tmp_path / "odd", codec="flac", **small)
    with pytest.raises(ValueError, match="seconds=0.1"):
        build_dropout_real_set(tmp_path / "odd", **{**small, "seconds": 0.1})


def test_windows_of_your_own_files(tmp_path):
    from tests.mediagen import write_wav

    media = tmp_path / "media"
    media.mkdir()
    rng = np.random.default_rng(0)
    write_wav(media / "a.wav", (0.1 * rng.standard_normal((1, 16000 * 3))).astype(np.float32), 16000)
    out = build_dropout_real_set(tmp_path / "set", clips=2, seconds=1.0, folder=media, progress=False)
    clips = _meta(out)["clips"]
    assert [c["source"]["start_s"] for c in clips] == [0.0, 1.0] and clips[0]["source"]["file"] == "a.wav"
    assert [c["mechanism"] for c in clips] == ["clean_roundtrip", "muxed_silence"]
    with pytest.raises(ValueError, match="only 3 usable windows"):
        build_dropout_real_set(tmp_path / "more", clips=4, seconds=1.0, folder=media, progress=False)


def _write_manifest(root: Path, rows: list[list[str]]) -> Path:
    return write_manifest(root, ("path", "label", "spans_s", "mechanism"), rows)


def test_real_set_eval_end_to_end(tmp_path, built):
    metrics, _ = train(
        compose_cfg("train", [*tiny("audio_dropout"), "data.train_size=16"], tmp_path / "train")
    )
    overrides = [
        "detector=audio_dropout",
        f"ckpt_path={metrics['best_ckpt_path']}",
        "data.val_size=6",
        f"real_set={built}",
    ]
    run = tmp_path / "eval"
    report = evaluate(compose_cfg("eval", overrides, run))
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["real_set"] == str(built) and "simulated_split" not in saved
    assert saved["baseline_fitted_on"] == "simulated val split"
    assert saved["num_segments"] == 6 and saved["model"]["num_samples"] == 6 * 200  # 2-s clips, 10-ms frames
    assert saved["model"]["balanced_accuracy"] == report["model"]["balanced_accuracy"]
    assert saved["model"]["clip_level"]["num_samples"] == 6
    for level in ("model", "dsp_baseline"):
        assert {"balanced_accuracy", "clip_level", "events", "recall_by_mode"} <= set(saved[level]), level
    assert set(saved["model"]["recall_by_mode"]) == {"muxed_silence", "packet_loss"}
    per = saved["per_mechanism"]
    assert set(per) == {"clean_roundtrip", "speech_pauses", "quiet_passage", "muxed_silence", "packet_loss"}
    assert per["muxed_silence"]["defect_clips"] == 2 and per["speech_pauses"]["clean_clips"] == 1
    for name in ("model", "dsp_baseline"):
        assert 0.0 <= per["packet_loss"][f"recall_frames_{name}"] <= 1.0
        assert 0.0 <= per["quiet_passage"][f"fpr_frames_{name}"] <= 1.0
    assert "clean_fpr_by_content" not in saved and (run / "timeline.png").stat().st_size > 0

    clip = built / "clips" / "0003.m4a"
    no_baseline = [*overrides[:-1], "baseline=false"]
    bad = _write_manifest(
        tmp_path / "bad_spans", [[str(clip), "dropout", "1.0-1.1", "x"], [str(clip), "dropout", "1.2-x", ""]]
    )
    with pytest.raises(ValueError, match=r"manifest.csv:3: spans_s='1.2-x'"):
        evaluate(compose_cfg("eval", [*no_baseline, f"real_set={bad}"], tmp_path / "e1"))
    clean_with_spans = _write_manifest(tmp_path / "clean_spans", [[str(clip), "clean", "0.5-0.6", ""]])
    with pytest.raises(ValueError, match=r"manifest.csv:2: a 'clean' clip has no spans"):
        evaluate(compose_cfg("eval", [*no_baseline, f"real_set={clean_with_spans}"], tmp_path / "e2"))
    (tmp_path / "junk.m4a").write_bytes(b"not audio at all" * 10)
    junk = _write_manifest(
        tmp_path / "junk",
        [[str(clip), "dropout", "1.0-1.1", ""], [str(tmp_path / "junk.m4a"), "clean", "", ""]],
    )
    with pytest.raises(MediaError, match=r"manifest.csv:3: .*junk.m4a"):
        evaluate(compose_cfg("eval", [*no_baseline, f"real_set={junk}"], tmp_path / "e3"))


def test_encode_is_a_real_lossy_round_trip():
    audio = np.random.default_rng(1).normal(0, 0.1, SR).astype(np.float32)
    data = encode(audio, SR, "aac")
    assert len(data) < audio.nbytes / 10  # 96 kbit/s, not PCM
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
