"""Every detector config composes and instantiates; bad overrides fail with one clear line."""

from __future__ import annotations

import hydra
import pytest
import torch

from tests.conftest import run_entry, tiny
from vqa_train.utils.cli import check_overrides
from vqa_train.utils.config import CONF_DIR

DETECTORS = sorted(p.stem for p in (CONF_DIR / "detector").glob("*.yaml"))
MODELS = sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml"))
EXPERIMENTS = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))


def test_detector_table_is_not_empty():
    assert "audio_artifacts" in DETECTORS


@pytest.mark.parametrize("detector", DETECTORS)
@pytest.mark.parametrize("config_name", ["train", "eval", "export"])
def test_detector_composes(compose_config, detector, config_name):
    extra = ["ckpt_path=x.ckpt"] if config_name != "train" else []
    cfg = compose_config(config_name, [f"detector={detector}", *extra])
    assert cfg.detector.name == detector
    assert cfg.detector.classes and cfg.detector.kind


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_composes(compose_config, experiment):
    """Every recipe composes; a codec recipe's settings validate and keep a clip's samples in one batch."""
    cfg = compose_config("train", [f"experiment={experiment}"])
    assert cfg.detector.name and cfg.trainer.max_epochs >= 1
    codec = cfg.data.get("codec")
    if codec is not None and codec.prob > 0:
        from synth.video.codec_loop import codec_loop

        loop = codec_loop(dict(codec))
        assert cfg.data.batch_size % loop.frames_per_clip == 0
        assert loop.frames_per_clip < loop.clip_frames


@pytest.mark.parametrize("detector", DETECTORS)
def test_detector_instantiates(compose_config, detector):
    cfg = compose_config("train", tiny(detector))
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    module = hydra.utils.instantiate(cfg.model, _convert_="partial").eval()
    sample = dm.dataset("train")[1]
    if cfg.detector.kind == "av_sync_pipeline":  # crops + sound with context -> distances per offset
        dist = module(sample["crops"][None], sample["wave"][None])
        k = cfg.detector.max_offset_frames
        assert dist.shape == (1, cfg.data.num_frames - 4, 2 * k + 1) and not dist.isnan().any()
        return
    x, label = sample[0], sample[-1]
    out = module(x[None])
    if cfg.detector.kind == "audio_frame_segmenter":
        assert out.shape == (1, x.shape[-1] // 160)
    elif cfg.detector.kind == "frame_map_classifier":
        map_logits, frame_logits = out
        assert map_logits.shape == (1, 1, -(-cfg.detector.height // 32), -(-cfg.detector.width // 32))
        assert frame_logits.shape == (1,)
    elif cfg.detector.kind == "temporal_segmenter":
        assert x.shape == (cfg.detector.num_frames, 3, cfg.detector.height, cfg.detector.width)
        assert out.shape == (1, cfg.detector.num_frames)
    else:
        assert out.shape == (1, len(cfg.detector.classes))
    assert 0 <= label < len(cfg.detector.classes)


@pytest.mark.parametrize("model", [m for m in MODELS if m.startswith("pann")])
def test_every_model_variant_forwards(compose_config, model):
    cfg = compose_config("train", [f"model={model}", "model.net.width=4"])
    net = hydra.utils.instantiate(cfg.model.net)
    out = net.eval()(torch.zeros(2, 16000))
    assert out.shape == (2, 5)


@pytest.mark.parametrize("trainer", ["cpu", "gpu", "ddp"])
def test_trainer_configs_compose(compose_config, trainer):
    cfg = compose_config("train", [f"trainer={trainer}"])
    assert cfg.trainer.accelerator in ("cpu", "gpu")
    if trainer != "cpu":
        assert cfg.trainer.precision == "bf16-mixed"


def test_folder_data_config_requires_root(compose_config):
    cfg = compose_config("train", ["data=audio_folder"])
    assert cfg.data.source._target_.endswith("FolderAudio")


def test_unknown_detector_lists_choices(capsys):
    with pytest.raises(SystemExit) as exc:
        check_overrides("train", ["detector=no_such_detector"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no_such_detector" in err and "audio_artifacts" in err


def test_unknown_key_names_key_and_lists_valid_ones(capsys):
    with pytest.raises(SystemExit):
        check_overrides("train", ["model.net.widht=8"])
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "model.net.widht" in err and "width" in err


def test_train_entry_point_rejects_unknown_detector(tmp_path):
    proc = run_entry("train.py", ["detector=nope"], cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert "unknown detector 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("detector", "data"), [("block_corruption", "block_folder"), ("freeze", "clip_folder")]
)
def test_video_folder_data_configs_train_on_the_users_videos(compose_config, tmp_path, detector, data):
    from tests.mediagen import write_mp4

    media = tmp_path / "media"
    media.mkdir()
    for i in range(3):
        write_mp4(media / f"clip{i}.mp4", seconds=0.6, fps=25, size=(96, 64), audio=None)
    cfg = compose_config("train", [*tiny(detector), f"data={data}", f"data.source.root={media}"])
    assert cfg.data.source._target_.endswith("FolderFrames")
    dm = hydra.utils.instantiate(cfg.data, _convert_="partial")
    split = next(s for s in ("train", "val", "test") if dm.synth.source.files[s])  # split by file hash
    image, *_, label = dm.dataset(split)[1]
    assert image.dtype == torch.uint8 and label == 1
