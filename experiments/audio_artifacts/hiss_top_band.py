"""Where clean noise beds called hiss differ from hiss: the level of the noise floor per high band.

    python experiments/audio_artifacts/hiss_top_band.py experiments/audio_artifacts/results/cues_eval_simulated_test.json \
        --experiment audio_artifacts_cues_cpu30

Re-synthesises the simulated test split of the experiment behind an eval report, and for three
groups of segments (clean segments the report calls hiss; hiss segments over a noise bed: rain,
wind, traffic or cymbals; all other hiss segments) measures, on 32 ms Hann frames, each band's
noise floor (20th percentile over frames of its mean power, dB) and its fluctuation (standard
deviation over frames, dB). The step from the 11-14 kHz floor to the 14-16 kHz floor is reported
too: hiss is a power law running to Nyquist, noise beds roll off. For every quantity it prints the
ROC AUC of "clean called hiss" against all hiss segments (0.5: no information; far from 0.5 in
either direction: separating) and writes the table beside the report
(``<report>.hiss_top_band.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from errors_by_source import run, save_beside, test_synth
from sklearn.metrics import roc_auc_score

BANDS_HZ = ((1000, 2000), (2000, 4000), (4000, 8000), (8000, 11000), (11000, 14000), (14000, 16000))
NOISE_BEDS = frozenset({"rain", "wind", "traffic", "cymbals"})
FRAME = 1024
FLOOR_PERCENTILE = 20


def band_stats(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """``(channels, N)`` -> per band floor (dB), then per band fluctuation (dB), then the top step."""
    mono = np.asarray(audio, dtype=np.float64).mean(axis=0)
    count = len(mono) // FRAME
    if count < 2:
        raise ValueError(f"a segment of {len(mono)} samples is shorter than two {FRAME}-sample frames")
    frames = mono[: count * FRAME].reshape(count, FRAME) * np.hanning(FRAME)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(FRAME, 1.0 / sample_rate)
    levels = np.stack(
        [10 * np.log10(power[:, (freqs >= lo) & (freqs < hi)].mean(axis=1) + 1e-12) for lo, hi in BANDS_HZ]
    )  # (bands, frames)
    floor = np.percentile(levels, FLOOR_PERCENTILE, axis=1)
    return np.concatenate([floor, levels.std(axis=1), [floor[-1] - floor[-2]]])


def stat_names() -> list[str]:
    bands = [f"{lo / 1000:g}-{hi / 1000:g}k" for lo, hi in BANDS_HZ]
    return [f"floor_{b}" for b in bands] + [f"fluctuation_{b}" for b in bands] + ["step_11-14k_to_14-16k"]


def main(report_path: str, experiment: str, clean: str = "none", hiss: str = "hiss") -> dict:
    report = json.loads(Path(report_path).read_text())
    called = {e["index"] for e in report["errors"] if e["label"] == clean and e["predicted"] == hiss}
    synth, test_size = test_synth(experiment)
    groups: dict[str, list[np.ndarray]] = {
        "clean_called_hiss": [],
        "hiss_over_noise_bed": [],
        "hiss_other": [],
    }
    for index in range(test_size):
        label = synth.label_of(index)
        if label not in (clean, hiss) or (label == clean and index not in called):
            continue
        audio, target = synth.sample("test", index)
        layers = set((target.stats.get("source") or {}).get("layers") or [])
        group = (
            "clean_called_hiss"
            if label == clean
            else ("hiss_over_noise_bed" if layers & NOISE_BEDS else "hiss_other")
        )
        groups[group].append(band_stats(audio, synth.sample_rate))
    arrays = {g: np.array(v).reshape(len(v), -1) for g, v in groups.items()}
    negatives = arrays["clean_called_hiss"]
    positives = np.concatenate([arrays["hiss_over_noise_bed"], arrays["hiss_other"]])
    if len(negatives) == 0 or len(positives) == 0:
        raise SystemExit(f"{report_path}: no clean segment called {hiss}, or no {hiss} segment, to compare")
    y = np.r_[np.zeros(len(negatives)), np.ones(len(positives))]
    rows = []
    print(f"{'quantity':24} " + " ".join(f"{g:>20}" for g in arrays) + f" {'ROC AUC':>8}")
    for j, name in enumerate(stat_names()):
        medians = {g: float(np.median(a[:, j])) if len(a) else None for g, a in arrays.items()}
        auc = float(roc_auc_score(y, np.r_[negatives[:, j], positives[:, j]]))
        rows.append({"quantity": name, "median_db": medians, "roc_auc_hiss_vs_clean_called_hiss": auc})
        print(f"{name:24} " + " ".join(f"{m:20.1f}" for m in medians.values()) + f" {auc:8.3f}")
    return save_beside(
        report_path,
        "hiss_top_band",
        experiment,
        {
            "segments": {g: len(a) for g, a in arrays.items()},
            "frame_samples": FRAME,
            "floor_percentile": FLOOR_PERCENTILE,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    run(main, __doc__)
