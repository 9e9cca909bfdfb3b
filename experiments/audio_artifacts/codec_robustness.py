"""Does a model trained on float32 synthetic audio keep its accuracy once the audio is delivered?

    python experiments/audio_artifacts/codec_robustness.py CKPT [CKPT ...] --experiment audio_artifacts_wave_cpu30
    python experiments/audio_artifacts/codec_robustness.py CKPT --codecs aac mp3 opus   # other deliveries too

Synthetic segments are float32 and never pass through a codec; real programme audio is 16-bit PCM
at best and usually AAC. A detector that leans on a property only the simulation has (exact
repeated samples, energy above a codec's low-pass) would lose accuracy there although every defect
is still in the signal. This script scores each checkpoint on the experiment's simulated test
split three ways, with the labels unchanged:

- ``float``: as synthesised (what ``eval.py`` reports);
- ``pcm16``: rounded to 16-bit PCM (the values a WAV or a decoder's integer output holds);
- ``aac``: each 1 s segment resampled to 48 kHz, encoded to AAC (96 kbit/s mono, PyAV's FFmpeg
  encoder), decoded and resampled back to 32 kHz (:func:`synth.audio.delivery.codec_round_trip`,
  what ``data.codec_prob`` does to training samples).
- ``mp3`` and ``opus`` (with ``--codecs``): the same round trip through MP3 (128 kbit/s, LAME) or
  Opus (64 kbit/s, libopus), the other two codecs streamed audio usually arrives in.

Prints balanced accuracy per checkpoint and condition and writes them, with per-class recall and
the confusion matrices, to ``results/<--out>.json`` (default ``codec_robustness``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from errors_by_source import checkpoint_parser, command_line, experiment_data, predictions

from synth.audio.delivery import CODEC_RATE, codec_round_trip
from synth.audio.dropout_realset import CODECS
from vqa_train.evaluation.audio_segments import simulated_split
from vqa_train.metrics import classification_report
from vqa_train.progress import track
from vqa_train.utils.atomic import write_json

RESULTS = Path(__file__).parent / "results"


def pcm16(segments: np.ndarray) -> np.ndarray:
    """Rounded to the nearest 16-bit PCM value (clipped to its range), back as float32."""
    return (np.clip(np.round(segments * 32768.0), -32768, 32767) / 32768.0).astype(np.float32)


def round_trip(segments: np.ndarray, sample_rate: int, codec: str = "aac") -> np.ndarray:
    """Every segment through :func:`synth.audio.delivery.codec_round_trip` (``codec``), same length."""
    out = np.zeros_like(segments)
    for i in track(range(len(segments)), f"{codec} round trip", total=len(segments)):
        out[i] = codec_round_trip(segments[i][None], sample_rate, codec)[0]
    return out


def main(checkpoints: list[str], experiment: str, out_name: str, codecs: tuple[str, ...] = ("aac",)) -> dict:
    # the test split as synthesised, whatever share of it the recipe's data passes through a codec
    cfg, dm = experiment_data(experiment, "data.codec_prob=0")
    classes = list(cfg.detector.classes)
    segments, labels = simulated_split(dm, "test")
    conditions = {"float": segments, "pcm16": pcm16(segments)}
    for codec in codecs:
        conditions[codec] = round_trip(segments, int(cfg.detector.sample_rate), codec)
    rows = []
    for ckpt, predicted in predictions(checkpoints, conditions, classes):
        row: dict = {"ckpt_path": ckpt}
        for name, pred in predicted.items():
            report = classification_report(labels, pred, classes)
            row[name] = report
            print(
                f"{Path(ckpt).parent.parent.name:28} {name:6} balanced_accuracy={report['balanced_accuracy']:.4f}"
            )
        rows.append(row)
    result = {
        "command": command_line(
            __file__,
            checkpoints,
            experiment,
            out_name,
            *(["--codecs", *codecs] if tuple(codecs) != ("aac",) else []),
        ),
        "experiment": experiment,
        "conditions": {
            "float": "as synthesised",
            "pcm16": "rounded to 16-bit PCM",
            **{
                codec: f"{codec} round trip ({CODECS[codec][0]}, {CODECS[codec][2]} kbit/s mono) at {CODEC_RATE} Hz"
                for codec in codecs
            },
        },
        "rows": rows,
    }
    write_json(RESULTS / f"{out_name}.json", result)
    return result


if __name__ == "__main__":
    ap = checkpoint_parser(__doc__, "codec_robustness")
    ap.add_argument(
        "--codecs", nargs="+", default=["aac"], choices=sorted(CODECS), help="delivery round trips"
    )
    a = ap.parse_args()
    main(a.checkpoints, a.experiment, a.out, tuple(a.codecs))
