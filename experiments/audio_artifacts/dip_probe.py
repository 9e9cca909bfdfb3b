"""Do the dropout cues tell a held span from clean sound? Per class, and for the clicks a report misses.

    python experiments/audio_artifacts/dip_probe.py REPORT [REPORT ...] --experiment audio_artifacts_frames_cpu30

Computes :class:`vqa_train.models.audio_cues.AudioCues`'s dropout cues (``dips=True``: the deepest
dip of the first difference's power in 0.25 ms against the quieter of the 1 ms on either side, here
before its 5-bel cap, and how many separate dips go past 3 and 4.5 bels) on every segment of the
test split of the experiment that produced the eval reports, as synthesised and rounded to 16-bit PCM. Groups: each
class, with the clicks split into segments that hold a run of at least ``HELD`` identical samples
(a ``step`` click at least that wide: the window sees a held span from end to end), those of them that
at least one report calls something else, and the rest. Reports the depth's percentiles, the share
deeper than the deepest clean segment and the median counts per group, and the ROC AUC of the depth
for held-run segments against clean ones. Last, the same cues on test tones: sines, and square
waves both band-limited (a sum of odd harmonics below 15 kHz, as a synthesiser or an analogue chain
gives) and naive (sample-exact flat tops, as a chiptune gives: a hard clip by another name).
Writes ``results/dip_probe.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from errors_by_source import command_line, report_parser, test_synth
from missed_clicks import longest_held_run
from sklearn.metrics import roc_auc_score

from vqa_train.models.audio_cues import AudioCues
from vqa_train.utils.atomic import write_json

OUT = Path(__file__).parent / "results" / "dip_probe.json"
BATCH = 64
PCM16 = 32767.0
HELD = 9  # samples: a held run one longer than the cue's 8-sample window


def group_of(label: str, audio: np.ndarray, missed: set[int], index: int) -> str:
    if label != "clicks":
        return label
    if longest_held_run(audio) < HELD:
        return "clicks_other"
    return "clicks_held_missed" if index in missed else "clicks_held"


def dip_cues(cues: AudioCues, x: torch.Tensor) -> np.ndarray:
    """``(B, 3)``: the deepest dip before its cap, then the two capped dip counts."""
    with torch.no_grad():
        ratio = cues.dip_ratio(x)
        out = cues.dip_summary(ratio)
        out[:, 0] = ratio.amin(dim=1)
    return out.numpy()


def tones(cues: AudioCues) -> dict[str, dict[str, float]]:
    rate = cues.sample_rate
    t = np.arange(rate) / rate
    waves = {}
    for f in (100.0, 440.0, 1000.0):
        waves[f"sine {f:g} Hz"] = np.sin(2 * np.pi * f * t)
        odd = range(1, int(15000 / f), 2)
        waves[f"band-limited square {f:g} Hz"] = sum(np.sin(2 * np.pi * f * k * t + 0.1 * k) / k for k in odd)
        waves[f"naive square {f:g} Hz"] = np.sign(np.sin(2 * np.pi * f * t + 0.1))
    x = torch.from_numpy(np.stack([0.3 * w / np.max(np.abs(w)) for w in waves.values()]).astype(np.float32))
    out = dip_cues(cues, x)
    return {
        name: {"depth_b": round(float(row[0]), 2), "dips45": round(float(np.expm1(row[2])))}
        for name, row in zip(waves, out, strict=True)
    }


def main(reports: list[str], experiment: str) -> dict:
    missed: set[int] = set()
    for path in reports:
        report = json.loads(Path(path).read_text())
        missed |= {e["index"] for e in report["errors"] if e["label"] == "clicks"}
    synth, test_size = test_synth(experiment)
    cues = AudioCues(synth.sample_rate, dips=True).eval()
    values: dict[str, list[np.ndarray]] = {}
    batch: list[np.ndarray] = []
    groups: list[str] = []

    def flush() -> None:
        out = dip_cues(cues, torch.from_numpy(np.stack(batch)))
        for group, row in zip(groups, out, strict=True):
            values.setdefault(group, []).append(row)
        batch.clear()
        groups.clear()

    for index in range(test_size):
        label = synth.label_of(index)
        audio, _ = synth.sample("test", index)
        group = group_of(label, audio, missed, index)
        wave = audio[0].astype(np.float32)
        batch += [wave, (np.round(wave * PCM16) / PCM16).astype(np.float32)]
        groups += [group, f"{group}_pcm16"]
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    summary = {}
    deepest_clean = min(float(np.min(np.array(values[k])[:, 0])) for k in ("none", "none_pcm16"))
    for group in sorted(values):
        v = np.array(values[group])
        summary[group] = {
            "segments": len(v),
            "share_deeper_than_any_clean": round(float(np.mean(v[:, 0] < deepest_clean)), 4),
            "depth_b_min_p1_p5_p50_p95_max": np.percentile(v[:, 0], [0, 1, 5, 50, 95, 100]).round(2).tolist(),
            "dips30_median": round(float(np.median(np.expm1(v[:, 1]))), 2),
            "dips45_median": round(float(np.median(np.expm1(v[:, 2]))), 2),
        }
    auc = {}
    for suffix in ("", "_pcm16"):
        clean = np.array(values[f"none{suffix}"])[:, 0]
        held = np.array(values[f"clicks_held{suffix}"] + values.get(f"clicks_held_missed{suffix}", []))[:, 0]
        labels = [0] * len(clean) + [1] * len(held)
        auc[f"held_vs_clean{suffix}"] = round(float(roc_auc_score(labels, -np.r_[clean, held])), 4)
    result = {
        "command": command_line(__file__, reports, experiment, OUT.stem),
        "held_run_samples": HELD,
        "deepest_clean_b": round(deepest_clean, 3),
        "missed_clicks_segments": sorted(missed),
        "depth_auc": auc,
        "groups": summary,
        "tones": tones(cues),
    }
    print(json.dumps(result, indent=2))
    write_json(OUT, result)
    return result


if __name__ == "__main__":
    a = report_parser(__doc__, "audio_artifacts_frames_cpu30", many=True).parse_args()
    main(a.reports, a.experiment)
