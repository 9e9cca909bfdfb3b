"""Does the distortion detector know clippers it was never trained on?

    python experiments/audio_artifacts/other_clippers.py CKPT [CKPT ...] --experiment audio_artifacts_bands4_cpu30

``synth.audio.Distortion`` draws three clipping curves (hard, ``tanh``, asymmetric ``tanh``). Real
gear and plug-ins saturate along other curves. This probe keeps every test-split distortion sample's
content, drive and ceiling as synthesised and swaps only the curve for each of FFmpeg's
``asoftclip`` types (hard, tanh, atan, cubic, exp, alg, quintic, sin, erf), run in-process through
PyAV's libavfilter. The implementation is FFmpeg's own, not this project's. For each curve it reports
how often the models still say ``distortion``, what they say instead, and how far the curve
reshapes the spectrum (:func:`synth.audio.functional.distortion_exposure_db`, the measure the
synthesiser's audibility rule uses; a gentler curve at the same drive reshapes it less), with the
recall again over the segments that reshape it by at least the rule's lowest margin (2 dB).

Writes ``results/<--out>.json`` (default ``other_clippers``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import av
import numpy as np
from av.filter import Graph
from errors_by_source import checkpoint_parser, command_line, defect_segments, predictions, test_synth

from synth.audio.functional import db_to_gain, distortion_exposure_db
from vqa_train.progress import track
from vqa_train.utils.atomic import write_json

RESULTS = Path(__file__).parent / "results"
AUDIBLE_DB = 2.0  # the lowest spectral exposure the synthesiser accepts as audible distortion
CURVES = ("hard", "tanh", "atan", "cubic", "exp", "alg", "quintic", "sin", "erf")


def ffmpeg_audio(sample_rate: int, name: str, args: str, audio: np.ndarray | None = None) -> np.ndarray:
    """Mono float64 ``(n,)`` out of FFmpeg's audio filter ``name=args``, run in-process through PyAV's
    libavfilter: fed ``audio`` (float64 mono ``(n,)``, same length out), or a source filter when None."""
    graph = Graph()
    node = graph.add(name, args)
    if audio is not None:
        source = graph.add_abuffer(format="dbl", sample_rate=sample_rate, layout="mono")
        source.link_to(node)
    sink = graph.add("abuffersink")
    node.link_to(sink)
    graph.configure()
    if audio is not None:
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(audio, np.float64)[None], format="dbl", layout="mono"
        )
        frame.sample_rate, frame.pts = sample_rate, 0
        graph.push(frame)
        graph.push(None)
    pieces = []
    while True:
        try:
            pieces.append(graph.pull().to_ndarray()[0].astype(np.float64))
        except (av.error.EOFError, av.error.BlockingIOError):
            break
    out = np.concatenate(pieces) if pieces else np.zeros(0)
    if audio is not None and out.shape != audio.shape:
        raise RuntimeError(f"{name}={args} returned {out.shape[0]} samples for {audio.shape[0]}")
    return out


def asoftclip(audio: np.ndarray, sample_rate: int, curve: str) -> np.ndarray:
    """``audio`` (float64 mono ``(n,)``) through FFmpeg's ``asoftclip=type=<curve>:threshold=1``."""
    return ffmpeg_audio(sample_rate, "asoftclip", f"type={curve}:threshold=1", audio)


def main(checkpoints: list[str], experiment: str, out_name: str) -> dict:
    synth, test_size = test_synth(experiment)
    sr = synth.sample_rate
    conditions: dict[str, list[np.ndarray]] = {"synthesised": [], **{c: [] for c in CURVES}}
    exposure: dict[str, list[float]] = {c: [] for c in conditions}
    modes = Counter()
    for _, clean, _, out, target in track(
        defect_segments(synth, test_size, "distortion"), "re-clipping", total=test_size // len(synth.classes)
    ):
        gain = db_to_gain(target.stats["gain_db"])
        ceiling = min(db_to_gain(target.params["ceiling_dbfs"]), 1.0)
        modes[target.params["mode"]] += 1
        conditions["synthesised"].append(out[0])
        exposure["synthesised"].append(float(target.stats["exposure_db"]))
        for curve in CURVES:
            y = (ceiling * asoftclip(clean[0].astype(np.float64) * gain, sr, curve)).astype(np.float32)[None]
            conditions[curve].append(y[0])
            exposure[curve].append(distortion_exposure_db(clean, y, sr))
    classes = list(synth.classes)
    rows = []
    for ckpt, predicted in predictions(checkpoints, conditions, classes):
        row: dict = {"ckpt_path": ckpt}
        for name, pred in predicted.items():
            called = Counter(pred)
            heard = np.asarray(exposure[name]) >= AUDIBLE_DB
            hit = np.asarray([p == "distortion" for p in pred])
            row[name] = {
                "distortion_recall": called["distortion"] / len(pred),
                "distortion_recall_exposed": float(hit[heard].mean()) if heard.any() else None,
                "called": dict(called),
            }
            print(
                f"{Path(ckpt).parent.parent.name:24} {name:12} distortion_recall={row[name]['distortion_recall']:.3f}"
                f" (exposure >= {AUDIBLE_DB:g} dB: {hit[heard].mean():.3f} of {int(heard.sum())})"
            )
        rows.append(row)
    result = {
        "command": command_line(__file__, checkpoints, experiment, out_name),
        "experiment": experiment,
        "segments": len(conditions["synthesised"]),
        "synthesised_modes": dict(modes),
        "exposure_db_median": {name: float(np.median(v)) for name, v in exposure.items()},
        "exposure_db_share_below_audible": {
            name: float(np.mean(np.asarray(v) < AUDIBLE_DB)) for name, v in exposure.items()
        },
        "rows": rows,
    }
    write_json(RESULTS / f"{out_name}.json", result)
    return result


if __name__ == "__main__":
    a = checkpoint_parser(__doc__, "other_clippers").parse_args()
    main(a.checkpoints, a.experiment, a.out)
