"""Would a hand-made impulse cue find the single clicks in speech the model misses? A probe.

    python experiments/audio_artifacts/click_probe.py experiments/audio_artifacts/results/clicks_eval_simulated_test.json \\
        --experiment audio_artifacts_clicks_e12_cpu30

Re-synthesises the test split of the experiment that produced the eval report and scores three
groups of segments: the clicks segments the report lists as missed, the single-click segments
with speech that it found, and the clean segments with speech. A segment's score is the largest
1-ms block peak power over the mean power of the blocks within +/-10 ms (leaving out the block and
its two neighbours on each side), in dB, on two high-passed versions of the waveform: its first
difference, and the residual of a 16th-order linear predictor fitted every 20 ms (a classic
restoration-style click detector: formants are predicted away, a click is not). Prints and writes
the 10/50/90 % quantiles per group (``<report>.click_probe.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.signal
from errors_by_source import defect_segments, run, save_beside, test_synth

BLOCK = 32  # 1 ms at 32 kHz
ORDER = 16
FRAME = 640  # 20 ms at 32 kHz


def lpc_residual(x: np.ndarray) -> np.ndarray:
    """Prediction error of an order-``ORDER`` linear predictor refitted on every ``FRAME`` samples."""
    out = np.zeros_like(x)
    for start in range(0, len(x), FRAME):
        lo, hi = max(0, start - FRAME // 2), min(len(x), start + FRAME + FRAME // 2)
        window = x[lo:hi] * np.hanning(hi - lo)
        r = np.correlate(window, window, "full")[len(window) - 1 : len(window) + ORDER]
        r[0] = r[0] * (1 + 1e-6) + 1e-12
        a = scipy.linalg.solve_toeplitz(r[:ORDER], r[1 : ORDER + 1])
        first = max(0, start - ORDER)
        segment = x[first : start + FRAME]
        error = segment - scipy.signal.lfilter(np.r_[0.0, a], [1.0], segment)
        out[start : start + FRAME] = error[start - first :]
    return out


def peak_over_surroundings_db(y: np.ndarray) -> float:
    m = len(y) // BLOCK * BLOCK
    blocks = (y[:m] ** 2).reshape(-1, BLOCK)
    kernel = np.ones(21)
    kernel[8:13] = 0.0
    background = np.convolve(blocks.mean(axis=1), kernel, "same") / kernel.sum()
    return float(10 * np.log10(np.max(blocks.max(axis=1) / (background + 1e-20))))


def scores(audio: np.ndarray) -> tuple[float, float]:
    x = audio[0].astype(np.float64)
    return peak_over_surroundings_db(np.diff(x, prepend=x[0])), peak_over_surroundings_db(lpc_residual(x))


def has_speech(info: dict) -> bool:
    return info.get("kind") == "speech" or "speech" in (info.get("layers") or [])


def main(report_path: str, experiment: str) -> dict:
    report = json.loads(Path(report_path).read_text())
    missed = {e["index"] for e in report["errors"] if e["label"] == "clicks"}
    synth, test_size = test_synth(experiment)
    groups: dict[str, list[tuple[float, float]]] = {
        "missed clicks": [],
        "found single clicks with speech": [],
        "clean with speech": [],
    }
    for index, _, info, out, target in defect_segments(synth, test_size, "clicks"):
        if index in missed:
            groups["missed clicks"].append(scores(out))
        elif target.params["single"] and has_speech(info):
            groups["found single clicks with speech"].append(scores(out))
    for index in range(test_size):
        if synth.label_of(index) == synth.clean_label:
            audio, target = synth.sample("test", index)
            if has_speech(target.stats["source"]):
                groups["clean with speech"].append(scores(audio))
    rows = {}
    for name, values in groups.items():
        v = np.array(values).reshape(-1, 2)
        rows[name] = {
            "segments": len(v),
            "first_difference_db_q10_q50_q90": np.percentile(v[:, 0], [10, 50, 90]).round(1).tolist(),
            "lpc_residual_db_q10_q50_q90": np.percentile(v[:, 1], [10, 50, 90]).round(1).tolist(),
        }
        print(f"{name:32} {rows[name]}")
    return save_beside(
        report_path,
        "click_probe",
        experiment,
        {
            **rows,
        },
    )


if __name__ == "__main__":
    run(main, __doc__)
