"""Would a clipping cue find the clipped segments the models call clean? Yes, and pure tones too.

    python experiments/audio_artifacts/clip_cue_probe.py REPORT [REPORT ...] --experiment audio_artifacts_wide_cpu30

Two amplitude-histogram measures per polarity, on the test split of the experiment that produced the
eval reports: the *plateau*, the share of samples within 0.5 % of that side's peak (log10), and
the *spike*, that share over the share per 0.5 % in the band 0.5-1.5 % below the peak (log10; a hard
clip piles samples up at the ceiling, while a natural signal thins out toward its peak). For each,
the larger of the two sides. Reports their ROC AUC for distortion against clean segments, the
clean segments' 99th percentile and maximum, the values of every distortion segment a report calls
clean, and the same measures on pure and two-tone sine waves at 32 kHz (a 1 kHz line-up tone is a
whole number of samples per cycle, so its samples repeat the same few values). Writes
``results/clip_cue_probe.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from errors_by_source import command_line, report_parser, test_synth
from sklearn.metrics import roc_auc_score

from vqa_train.utils.atomic import write_json

OUT = Path(__file__).parent / "results" / "clip_cue_probe.json"
TOP = 0.005  # the plateau: within 0.5 % of the peak
FLOOR = 1e-4  # no side below -80 dBFS counts (digital silence is not clipped)


def side(x: np.ndarray) -> tuple[float, float]:
    """(plateau, spike) of the positive side of ``x``, log10."""
    peak = float(x.max())
    if peak <= FLOOR:
        return -6.0, 0.0
    top = float(np.mean(x >= (1 - TOP) * peak))
    below = float(np.mean((x >= (1 - 3 * TOP) * peak) & (x < (1 - TOP) * peak))) / 2
    return float(np.log10(top + 1e-6)), float(np.log10((top + 1e-4) / (below + 1e-4)))


def measures(x: np.ndarray) -> dict[str, float]:
    pos, neg = side(x), side(-x)
    return {"plateau": max(pos[0], neg[0]), "spike": max(pos[1], neg[1])}


def tones(rate: int) -> dict[str, dict[str, float]]:
    t = np.arange(rate) / rate
    out = {}
    for f in (50.0, 440.0, 997.0, 1000.0):
        out[f"sine {f:g} Hz"] = measures(0.5 * np.sin(2 * np.pi * f * t + 0.3))
    out["two tones 440 + 660 Hz"] = measures(
        0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 660 * t)
    )
    out["sine 100 Hz clipped at 77 %"] = measures(np.clip(0.65 * np.sin(2 * np.pi * 100 * t), -0.5, 0.5))
    return {k: {m: round(v, 3) for m, v in d.items()} for k, d in out.items()}


def main(reports: list[str], experiment: str) -> dict:
    called_clean = set()
    for path in reports:
        report = json.loads(Path(path).read_text())
        called_clean |= {
            e["index"] for e in report["errors"] if e["label"] == "distortion" and e["predicted"] == "none"
        }
    synth, test_size = test_synth(experiment)
    values: dict[str, list[dict[str, float]]] = {"none": [], "distortion": []}
    missed = []
    for index in range(test_size):
        label = synth.label_of(index)
        if label not in values:
            continue
        audio, target = synth.sample("test", index)
        m = measures(audio[0].astype(np.float64))
        values[label].append(m)
        if index in called_clean:
            missed.append(
                {"index": index, "mode": target.params["mode"], **{k: round(v, 3) for k, v in m.items()}}
            )
    summary = {}
    for name in ("plateau", "spike"):
        clean = np.array([v[name] for v in values["none"]])
        dist = np.array([v[name] for v in values["distortion"]])
        summary[name] = {
            "auc_distortion_vs_clean": round(
                float(roc_auc_score([0] * len(clean) + [1] * len(dist), np.r_[clean, dist])), 4
            ),
            "clean_p99": round(float(np.percentile(clean, 99)), 3),
            "clean_max": round(float(clean.max()), 3),
            "distortion_p10": round(float(np.percentile(dist, 10)), 3),
        }
    result = {
        "command": command_line(__file__, reports, experiment, OUT.stem),
        "summary": summary,
        "distortion_called_clean": missed,
        "tones": tones(synth.sample_rate),
    }
    print(json.dumps(result, indent=2))
    write_json(OUT, result)
    return result


if __name__ == "__main__":
    a = report_parser(__doc__, "audio_artifacts_wide_cpu30", many=True).parse_args()
    main(a.reports, a.experiment)
