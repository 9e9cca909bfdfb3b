"""Temporal detectors on tiny clips: synthesis, event metrics, fast_dev_run per preset, train -> eval (freeze)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from synth.video import (
    TEMPORAL_DEFECTS,
    BlackFrames,
    Freeze,
    ProceduralFrames,
    Stutter,
    Tearing,
    TemporalClipSynth,
    TemporalNegatives,
)
from tests.conftest import compose_cfg, tiny
from tests.mediagen import write_mp4
from vqa_train.deploy.detect import detect
from vqa_train.deploy.export import export
from vqa_train.evaluation import evaluate
from vqa_train.metrics import event_scores, spans_from_flags, sum_event_scores
from vqa_train.models.temporal import TemporalNet
from vqa_train.train import train

PRESETS = {"black_frames": "black", "freeze": "freeze", "stutter": "stutter", "tearing": "tearing"}
_SOURCE = ProceduralFrames(content_weights={"texture": 1.0, "shapes": 1.0}, bank_size=2)


def _synth(defect, negatives=True, seed=3) -> TemporalClipSynth:
    return TemporalClipSynth(
        _SOURCE,
        defect,
        TemporalNegatives(cut_prob=0.5, fade_prob=0.5) if negatives else None,
        num_frames=12,
        height=24,
        width=32,
        seed=seed,
        classes=("clean", defect.label),
    )


def test_every_temporal_defect_has_a_preset():
    assert sorted(PRESETS.values()) == sorted(TEMPORAL_DEFECTS)


@pytest.mark.parametrize("defect", [BlackFrames(), Freeze(), Stutter(), Tearing()], ids=lambda d: d.label)
def test_synth_balanced_labels_match_segments_and_deterministic(defect):
    synth = _synth(defect)
    labels = []
    for i in range(6):
        clip, frame_labels, target = synth.sample("train", i)
        assert clip.shape == (12, 24, 32, 3) and clip.dtype == np.uint8
        assert frame_labels.shape == (12,) and frame_labels.dtype == np.uint8
        labels.append(target.label)
        expected = np.zeros(12, np.uint8)
        for start, end in target.segments:
            expected[start:end] = 1
        np.testing.assert_array_equal(frame_labels, expected)
        assert frame_labels.any() == (target.label == defect.label)
        again, again_labels, _ = synth.sample("train", i)
        np.testing.assert_array_equal(clip, again)
        np.testing.assert_array_equal(frame_labels, again_labels)
    assert labels == ["clean", defect.label] * 3
    assert not np.array_equal(synth.sample("val", 0)[0], synth.sample("train", 0)[0])


def test_synth_defect_acts_on_the_clip_the_negatives_made():
    """Same (seed, split, index) with and without the defect: the same negatives, changed frames only in spans."""
    defect = Freeze()
    plain, with_defect = _synth(defect), _synth(defect)
    with_defect.classes = (defect.label, "clean")  # index 0 now carries the defect
    clean_clip, _, clean_t = plain.sample("train", 0)
    bad_clip, labels, bad_t = with_defect.sample("train", 0)
    assert clean_t.stats["negatives"] == bad_t.stats["negatives"]
    changed = (clean_clip != bad_clip).reshape(12, -1).any(axis=1)
    assert not changed[labels == 0].any() or bad_t.params["resume"] == "delayed"


def test_spans_from_flags():
    assert spans_from_flags([]) == []
    assert spans_from_flags([0, 1, 1, 0, 1]) == [(1, 3), (4, 5)]
    assert spans_from_flags(np.ones(4, bool)) == [(0, 4)]


def test_event_scores_tolerance_one_to_one_and_empty_cases():
    # A one-frame event flagged two frames late matches at tolerance 2, not at 1.
    assert event_scores([(7, 8)], [(5, 6)], 2)["tp"] == 1
    assert event_scores([(7, 8)], [(5, 6)], 1) == {
        "tp": 0,
        "fp": 1,
        "fn": 1,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    # One long prediction over two true events: one hit, one miss.
    s = event_scores([(0, 20)], [(2, 4), (10, 12)], 0)
    assert (s["tp"], s["fp"], s["fn"]) == (1, 0, 1) and s["precision"] == 1.0 and s["recall"] == 0.5
    assert event_scores([], [], 2)["f1"] == 1.0
    assert event_scores([], [(0, 3)], 2)["recall"] == 0.0
    pooled = sum_event_scores([event_scores([(1, 2)], [(1, 2)]), event_scores([(5, 6)], [])])
    assert (pooled["tp"], pooled["fp"], pooled["fn"]) == (1, 1, 0) and pooled["precision"] == 0.5
    with pytest.raises(ValueError, match="tolerance_frames"):
        event_scores([], [], -1)


@pytest.mark.parametrize("clip_context", [False, True], ids=["local", "clip_context"])
def test_temporal_net_any_size_and_onnx_parity(clip_context):
    torch.manual_seed(0)
    net = TemporalNet(width=4, row_width=4, embed_dim=8, clip_context=clip_context).eval()
    with torch.no_grad():
        assert net(torch.rand(2, 7, 3, 20, 30)).shape == (2, 7)
    buf = io.BytesIO()
    torch.onnx.export(
        net,
        (torch.rand(1, 8, 3, 24, 32),),
        buf,
        dynamo=False,
        input_names=["clip"],
        output_names=["logits"],
        dynamic_axes={"clip": {0: "b", 1: "t", 3: "h", 4: "w"}, "logits": {0: "b", 1: "t"}},
        opset_version=17,
    )
    import onnxruntime as ort

    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((2, 11, 3, 40, 50), np.float32)
    with torch.no_grad():
        ref = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(sess.run(None, {"clip": x})[0], ref, atol=1e-4)


def test_clip_context_lets_distant_frames_change_a_frame():
    """Dilations 1, 2, 4 reach 7 frames: frame 0 ignores frame 20, unless the clip context is on."""
    torch.manual_seed(0)
    clip = torch.rand(1, 24, 3, 16, 16)
    moved = clip.clone()
    moved[:, 20:] = torch.rand(1, 4, 3, 16, 16)
    for context, reaches in ((False, False), (True, True)):
        net = TemporalNet(width=4, row_width=4, embed_dim=8, clip_context=context).eval()
        with torch.no_grad():
            changed = (net(clip)[0, 0] - net(moved)[0, 0]).abs().item() > 1e-6
        assert changed == reaches


@pytest.mark.parametrize("detector", sorted(PRESETS))
def test_fast_dev_run(tmp_path, detector):
    cfg = compose_cfg("train", [*tiny(detector), "debug=fdr"], tmp_path)
    assert cfg.detector.kind == "temporal_segmenter" and cfg.detector.classes[1] == PRESETS[detector]
    _, objects = train(cfg)
    assert objects["trainer"].fast_dev_run


def ecfg_overrides(metrics: dict) -> list[str]:
    return [
        "detector=freeze",
        f"ckpt_path={metrics['best_ckpt_path']}",
        "detector.height=24",
        "detector.width=32",
        "detector.num_frames=10",
        "data.test_size=6",
        "data.val_size=4",
        "detector.operating_point_clips=5",  # one more val clip than the split holds
    ]


def test_detect_cadence_veto_zeroes_pulldown_windows(monkeypatch):
    """detect.py's temporal runner: with the sidecar's cadence_veto, windows of 3:2 pulldown score 0."""
    import synth.media
    from synth.video.temporal_negatives import pulldown_sources
    from vqa_train.deploy.runners import run_temporal_segments

    rng = np.random.default_rng(0)
    film = [rng.integers(0, 256, (16, 24, 3), dtype=np.uint8) for _ in range(40)]
    frames = [film[top] for top, _ in pulldown_sources(40, 2, "repeat")]
    monkeypatch.setattr(synth.media, "iter_video_frames", lambda path, fps=None: enumerate(frames))

    class AlwaysDefect:
        def run(self, _, feeds):
            return [np.ones(feeds["clips"].shape[:2], np.float32)]

    meta = {
        "fps": 25.0,
        "num_frames": 20,
        "height": 16,
        "width": 24,
        "classes": ["clean", "stutter"],
        "detector": "stutter",
        "kind": "temporal_segmenter",
    }
    flagged = run_temporal_segments(meta, AlwaysDefect(), Path("x.mp4"), 0.5, 1)
    assert flagged["num_units"] == 40 and len(flagged["events"]) == 1
    vetoed = run_temporal_segments({**meta, "cadence_veto": True}, AlwaysDefect(), Path("x.mp4"), 0.5, 1)
    assert vetoed["num_units"] == 40 and vetoed["events"] == []
    # The sidecar's motion floor: random frames move ~85 levels a frame, so 50 keeps them and 200 does not.
    moving = run_temporal_segments({**meta, "min_motion_levels": 50}, AlwaysDefect(), Path("x.mp4"), 0.5, 1)
    assert len(moving["events"]) == 1
    still = run_temporal_segments({**meta, "min_motion_levels": 200}, AlwaysDefect(), Path("x.mp4"), 0.5, 1)
    assert still["events"] == []


def test_still_windows_keep_the_previous_verdict():
    """``still_window_levels``: a window where nothing changes (one keyframe-like refresh allowed) takes
    the previous window's last probability, so a long hold stays flagged and a still shot stays clean."""
    from vqa_train.deploy.runners import DecisionRules, score_in_windows

    rng = np.random.default_rng(0)

    def moving(n):
        return [rng.integers(0, 256, (8, 12, 3), dtype=np.uint8) for _ in range(n)]

    def toy(window):
        """Flags frames equal to their predecessor, but only where the window also shows motion."""
        diff = np.r_[1.0, np.abs(np.diff(window.astype(np.int16), axis=0)).mean(axis=(1, 2, 3))]
        return (diff == 0).astype(np.float64) * float((diff > 1).any())

    held = moving(14)
    refreshed = np.clip(held[-1].astype(np.int16) + 1, 0, 255).astype(np.uint8)  # a keyframe refresh
    stream = [*held, *[held[-1]] * 30, *[refreshed] * 26, *moving(10)]  # a 56-frame hold from frame 14
    still = DecisionRules(still_window_levels=0.1)
    off = score_in_windows(stream, 16, DecisionRules().scorer(toy))
    on = score_in_windows(stream, 16, still.scorer(toy))
    assert len(on) == len(stream) == len(off)
    assert off[14:70].min() == 0.0  # windows inside the hold see no motion: the toy misses them
    assert on[14:70].min() == 1.0 and (on[:14] == 0).all()  # carried through them, refresh included
    assert (on[70:] == off[70:]).all()  # motion again: the model decides
    static = [held[0]] * 60
    assert score_in_windows(static, 16, still.scorer(toy)).max() == 0.0


def test_min_motion_zeroes_windows_that_hardly_move():
    """``min_motion_levels``: a window whose frames change by less than that on average scores 0 (a
    repeat or skip there cannot be seen); a window that moves keeps the model's scores."""
    from vqa_train.deploy.runners import DecisionRules, score_in_windows

    rng = np.random.default_rng(1)
    base = rng.integers(40, 200, (8, 12, 3)).astype(np.int16)
    creep = [np.clip(base + (i % 2), 0, 255).astype(np.uint8) for i in range(20)]  # moves 1 level/frame
    fast = [rng.integers(0, 256, (8, 12, 3), dtype=np.uint8) for _ in range(20)]

    def always(window):
        return np.ones(len(window))

    rules = DecisionRules(min_motion_levels=1.5)
    scored = score_in_windows([*creep, *fast], 10, rules.scorer(always))
    assert len(scored) == 40
    assert scored[:10].max() == 0.0  # the first window creeps by 1 level a frame: zeroed
    assert scored[-10:].min() == 1.0  # random frames move ~85 levels: kept
    assert score_in_windows(creep, 10, DecisionRules(min_motion_levels=0.5).scorer(always)).min() == 1.0


def test_decision_rules_from_a_detector_config():
    """Rules come from a preset or a sidecar; absent or null keys are off, bad values a one-line error."""
    from vqa_train.deploy.runners import DecisionRules

    assert DecisionRules.from_detector({}) == DecisionRules() == DecisionRules.from_detector(None)
    rules = DecisionRules.from_detector(
        {"cadence_veto": True, "min_motion_levels": 0.3, "still_window_levels": None}
    )
    assert rules.to_dict() == {"cadence_veto": True, "min_motion_levels": 0.3, "still_window_levels": None}
    assert DecisionRules.from_detector(rules.to_dict()) == rules  # a sidecar round trip
    for key in ("still_window_levels", "min_motion_levels"):
        for bad in (-1, 0, "x", 300):
            with pytest.raises(ValueError, match=f"detector.{key} must be null or in"):
                DecisionRules.from_detector({key: bad})


def test_detect_uses_the_sidecar_operating_point(monkeypatch):
    """A sidecar ``threshold`` (chosen on val by export.py) replaces detect.py's ``min_score``."""
    import synth.media
    from vqa_train.deploy.runners import run_temporal_segments

    rng = np.random.default_rng(1)
    frames = [rng.integers(0, 256, (16, 24, 3), dtype=np.uint8) for _ in range(30)]
    monkeypatch.setattr(synth.media, "iter_video_frames", lambda path, fps=None: enumerate(frames))

    class Fixed:
        def run(self, _, feeds):
            return [np.full(feeds["clips"].shape[:2], 0.8, np.float32)]

    meta = {"fps": 25.0, "num_frames": 20, "height": 16, "width": 24, "classes": ["clean", "freeze"]}
    meta |= {"detector": "freeze", "kind": "temporal_segmenter"}
    assert len(run_temporal_segments(meta, Fixed(), Path("x.mp4"), 0.5, 1)["events"]) == 1
    assert run_temporal_segments({**meta, "threshold": 0.9}, Fixed(), Path("x.mp4"), 0.5, 1)["events"] == []
    assert (
        len(run_temporal_segments({**meta, "threshold": 0.7}, Fixed(), Path("x.mp4"), 0.95, 1)["events"]) == 1
    )


def test_best_threshold_caps_the_false_positive_rate_on_chosen_negatives():
    from vqa_train.metrics import best_threshold

    #                  hard negatives      easy negatives   positives
    scores = np.array([0.6, 0.7, 0.1, 0.2, 0.0, 0.1, 0.3, 0.55, 0.65, 0.8, 0.9])
    labels = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    hard = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    free, _ = best_threshold(scores, labels)
    assert 0.3 < free < 0.55  # unconstrained: the best balanced accuracy flags two hard negatives
    capped, bacc = best_threshold(scores, labels, max_fpr=0.25, fpr_mask=hard)
    assert np.mean(scores[hard] > capped) <= 0.25 and 0.6 <= capped < 0.65
    assert bacc == pytest.approx(((6 / 7) + 0.75) / 2)
    none, _ = best_threshold(scores, labels, max_fpr=0.0, fpr_mask=hard)
    assert not (scores[hard] > none).any() and none >= 0.7
    with pytest.raises(ValueError, match="fpr_mask"):
        best_threshold(scores, labels, max_fpr=0.1, fpr_mask=hard[:3])
    # One mask per kind: the cap holds for each. Pooled, 1 of 4 hard negatives (25 %) may be flagged;
    # as two kinds of two, flagging one is 50 % of its kind, so no hard negative may be flagged.
    kinds = np.stack([hard & (np.arange(11) < 2), hard & (np.arange(11) >= 2)])
    per_kind, _ = best_threshold(scores, labels, max_fpr=0.25, fpr_mask=np.vstack([hard, kinds]))
    assert per_kind >= 0.7 and per_kind == none
    with pytest.raises(ValueError, match="fpr_mask"):
        best_threshold(scores, labels, max_fpr=0.1, fpr_mask=kinds[:, :3])


def test_the_operating_point_can_cap_each_kind_of_hard_negative():
    from vqa_train.evaluation.temporal_clips import choose_threshold

    def row(label, prob, negatives):
        return {
            "label": label,
            "prob": np.array(prob),
            "frame_labels": np.array([int(label != "clean")] * 4),
            "negatives": negatives,
        }

    rows = [
        row("freeze", [0.9, 0.8, 0.7, 0.6], []),
        row("clean", [0.0, 0.0, 0.0, 0.0], ["cut"]),
        row("clean", [0.0, 0.0, 0.0, 0.0], ["cut"]),
        row("clean", [0.0, 0.0, 0.0, 0.0], ["cut"]),
        row("clean", [0.65, 0.0, 0.0, 0.0], ["static"]),  # 1 of 16 pooled frames, 1 of 4 still-shot frames
    ]
    pooled = choose_threshold(rows, "clean", 0.1)
    assert pooled["threshold"] < 0.6 and pooled["val_hard_negative_fpr"] == 1 / 16
    assert pooled["val_hard_negative_fpr_per_kind"] == {"cut": 0.0, "static": 0.25} and not pooled["per_kind"]
    strict = choose_threshold(rows, "clean", 0.1, per_kind=True)
    assert 0.65 <= strict["threshold"] < 0.7 and strict["val_hard_negative_fpr_per_kind"]["static"] == 0.0


def test_invisible_defects_are_drawn_again_and_other_samples_unchanged():
    plain = _synth(Freeze(), negatives=False, seed=6)
    strict = TemporalClipSynth(
        _SOURCE, Freeze(), None, 12, 24, 32, seed=6, classes=("clean", "freeze"), min_change_levels=1.0
    )
    redrawn = 0
    for index in range(16):
        a, labels_a, target_a = plain.sample("train", index)
        b, labels_b, target_b = strict.sample("train", index)
        np.testing.assert_array_equal(b, strict.sample("train", index)[0])  # deterministic
        if target_b.label == "clean":
            np.testing.assert_array_equal(a, b)  # clean clips never draw again
            continue
        draws = target_b.stats["draws"]
        assert target_b.stats["mean_change_levels"] >= 1.0 or draws == strict.max_draws
        if draws == 1:
            np.testing.assert_array_equal(a, b)  # a visible first draw is the old sample
        else:
            redrawn += 1
            assert target_a.stats["mean_change_levels"] < 1.0
    assert redrawn > 0  # this source holds still content: a freeze on it changes nothing
    with pytest.raises(ValueError, match="min_change_levels"):
        TemporalClipSynth(
            _SOURCE, Freeze(), None, 12, 24, 32, classes=("clean", "freeze"), min_change_levels=-1
        )


def test_freeze_train_then_eval_with_baseline(tmp_path):
    out = tmp_path / "train"
    cfg = compose_cfg("train", [*tiny("freeze"), "trainer.max_epochs=2", "data.train_size=16"], out)
    metrics, _ = train(cfg)
    for key in ("val/bacc", "val/bacc_best", "val/bacc_clip", "val/event_f1", "test/bacc"):
        assert key in metrics, key
    assert (out / "confusion" / "test.png").is_file()

    run = tmp_path / "eval"
    ecfg = compose_cfg("eval", ecfg_overrides(metrics), run)
    report = evaluate(ecfg)
    saved = json.loads((run / "metrics.json").read_text())
    assert saved["model"]["balanced_accuracy"] == report["model"]["balanced_accuracy"]
    assert saved["model"]["num_samples"] == 60 and saved["model"]["clip_level"]["num_samples"] == 6
    assert {"precision", "recall", "f1"} <= set(saved["model"]["events"])
    base = saved["dsp_baseline"]
    assert base["name"].startswith("ffmpeg freezedetect") and base["score"] == "freeze"
    assert 0.0 <= base["balanced_accuracy"] <= 1.0 and "ffmpeg_flags" in base
    assert {"clip_level", "events"} <= set(base)
    assert saved["event_tolerance_frames"] == 2
    assert all("fpr_frames_model" in v for v in saved["hard_negatives"].values())
    for png in ("confusion_matrix.png", "confusion_matrix_baseline.png", "timeline.png"):
        assert (run / png).stat().st_size > 0, png

    # The cadence and motion rules (off in this preset by default) are reported when on; a motion
    # floor no clip reaches zeroes every clip, val clips included.
    rules = ["detector.cadence_veto=true", "detector.min_motion_levels=254"]
    vetoed = evaluate(compose_cfg("eval", [*ecfg_overrides(metrics), *rules], tmp_path / "e2"))
    assert set(vetoed["cadence_veto"]) == {"clips_vetoed", "of_which_defective", "periods"}
    assert vetoed["min_motion"]["clips_zeroed"] == 6 and vetoed["decision_rules"]["min_motion_levels"] == 254
    assert sum(row[1] for row in vetoed["model"]["clip_level"]["confusion_matrix"]) == 0  # none flagged
    assert "cadence_veto" not in report and "min_motion" not in report

    # real_set=DIR reads DIR/manifest.csv (tests/test_temporal_realset.py builds and scores one).
    ecfg.real_set = str(tmp_path / "no_set")
    with pytest.raises(FileNotFoundError, match=r"no_set/manifest.csv not found"):
        evaluate(ecfg)

    # Export (parity at two clip shapes), then detect on a real 2.2-s mp4 at 25 fps: 55 frames,
    # scored in windows of 10 frames overlapping by 4, one probability per frame.
    xcfg = compose_cfg("export", ecfg_overrides(metrics), tmp_path / "x")
    result = export(xcfg)
    sidecar = json.loads(Path(result["sidecar"]).read_text())
    assert sidecar["kind"] == "temporal_segmenter" and sidecar["parity_max_abs_diff"] <= 1e-4
    assert sidecar["num_frames"] == 10 and sidecar["fps"] == 25.0 and sidecar["cadence_veto"] is False
    assert sidecar["still_window_levels"] == 0.1  # the preset's still-window rule travels to detect.py
    assert sidecar["min_motion_levels"] is None
    # The preset caps the hard-negative FPR: eval and export choose the same threshold on the val split.
    op = report["operating_point"]
    assert op["max_hard_negative_fpr"] == 0.015 and report["threshold"] == op["threshold"]
    assert op["per_kind"] and set(op["val_hard_negative_fpr_per_kind"]) <= {
        "cut",
        "fade",
        "pulldown",
        "slow_pan",
        "static",
        "x264",
    }
    assert op["chosen_on"] == "simulated val split (5 clips)"
    assert sidecar["threshold"] == pytest.approx(op["threshold"], abs=1e-3)
    assert "hard_negatives" in report["model_at_0.5"]
    media = write_mp4(tmp_path / "clip.mp4", seconds=2.2, fps=25, size=(48, 32), audio=None)
    dcfg = compose_cfg(
        "detect", [f"input={media}", f"export_dir={tmp_path / 'x' / 'exports'}"], tmp_path / "d"
    )
    det = detect(dcfg)["detectors"]["freeze"]
    assert det["num_units"] == 55
    assert all(0.0 <= p <= 1.0 for _, p in det["scores"])
    for ev in det["events"]:
        assert ev["label"] == "freeze" and ev["end_s"] > ev["start_s"]


def test_exact_static_shots_only_on_clean_clips_and_other_draws_unchanged():
    def synth(exact: float) -> TemporalClipSynth:
        still = TemporalNegatives(
            static_prob=1.0, static_exact_prob=exact, slow_pan_prob=0.0, cut_prob=0.0, pulldown_prob=0.0
        )
        return TemporalClipSynth(_SOURCE, Stutter(), still, 12, 24, 32, seed=4, classes=("clean", "stutter"))

    exact, half = synth(1.0), synth(0.5)
    for index in range(4):
        clip, labels, target = exact.sample("train", index)
        moved = np.abs(np.diff(clip.astype(np.int16), axis=0)).reshape(11, -1).max(axis=1)
        if target.label == "clean":
            assert not moved.any() and not labels.any()  # bit-exact: every frame is the first
        else:  # a defect clip keeps its grain, so its repeats stay visible
            assert moved.any() and labels.any()
            other, _, other_target = half.sample("train", index)
            np.testing.assert_array_equal(clip, other)  # the exact share never changes a defect clip
            assert other_target.params == target.params
    with pytest.raises(ValueError, match="static_exact_prob"):
        TemporalNegatives(static_exact_prob=1.5)


def test_x264_keyframes_inside_the_clip_refresh_a_still_picture():
    """With ``keyint`` a keyframe every k frames re-codes a still picture from scratch: one step of
    change at each keyframe, between P frames that barely change it (streamed video's 2 s GOPs)."""
    from synth.video.negatives import x264_roundtrip

    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (48, 64, 3)).astype(np.int16)
    frames = [np.clip(base + rng.normal(0, 1.5, base.shape), 0, 255).astype(np.uint8) for _ in range(24)]

    def changes(out):
        return np.abs(np.diff(np.stack(out).astype(np.int16), axis=0)).mean(axis=(1, 2, 3))

    one_key, every_8 = changes(x264_roundtrip(frames, 30)), changes(x264_roundtrip(frames, 30, keyint=8))
    assert (every_8[[7, 15]] > 1.0).all() and one_key[15] < 0.5  # diff[t-1]: frame t against t-1
    assert np.median(every_8[8:15]) < 0.1  # between keyframes the still picture is (nearly) left alone
    with pytest.raises(ValueError, match="x264 preset"):
        x264_roundtrip(frames[:2], 30, preset="slowest")


def test_codec_keyint_and_preset_draws_only_when_configured():
    def synth(**codec):
        return TemporalClipSynth(
            _SOURCE, Freeze(), None, 12, 24, 32, seed=5, classes=("clean", "freeze"), codec_prob=1.0, **codec
        )

    plain = synth()
    drawn = synth(
        codec_keyint_range=(4, 6), codec_presets=("ultrafast", "veryfast"), codec_crf_range=(20, 22)
    )
    stats = [drawn.sample("train", i)[2].stats for i in range(6)]
    assert all(4 <= st["codec_keyint"] <= 6 and 20 <= st["codec_crf"] <= 22 for st in stats)
    assert {st["codec_preset"] for st in stats} <= {"ultrafast", "veryfast"}
    assert plain.sample("train", 0)[2].stats["codec_keyint"] is None
    assert np.array_equal(drawn.sample("train", 3)[0], drawn.sample("train", 3)[0])
    for bad, match in (
        ({"codec_keyint_range": (0, 4)}, "codec_keyint_range"),
        ({"codec_presets": ("x",)}, "codec_presets"),
    ):
        with pytest.raises(ValueError, match=match):
            synth(**bad)


def test_codec_round_trip_keeps_labels_and_is_deterministic():
    plain = _synth(Freeze(), negatives=False, seed=5)
    coded = TemporalClipSynth(
        _SOURCE,
        Freeze(),
        None,
        num_frames=12,
        height=24,
        width=32,
        seed=5,
        classes=("clean", "freeze"),
        codec_prob=1.0,
    )
    for index in (0, 1):
        a, labels_a, target_a = plain.sample("train", index)
        b, labels_b, target_b = coded.sample("train", index)
        again = coded.sample("train", index)[0]
        assert np.array_equal(labels_a, labels_b) and np.array_equal(b, again)
        assert "x264" in target_b.stats["negatives"] and 18 <= target_b.stats["codec_crf"] <= 36
        assert not np.array_equal(a, b) and np.abs(a.astype(int) - b.astype(int)).mean() < 12
    with pytest.raises(ValueError, match="codec_prob"):
        TemporalClipSynth(_SOURCE, Freeze(), None, 12, 24, 32, classes=("clean", "freeze"), codec_prob=2.0)
