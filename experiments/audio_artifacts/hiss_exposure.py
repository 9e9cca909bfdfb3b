"""How far the hiss of the simulated test split stands above its content, missed vs found.

    python experiments/audio_artifacts/hiss_exposure.py experiments/audio_artifacts/results/clicks_eval_simulated_test.json \\
        --experiment audio_artifacts_clicks_e12_cpu30

Re-synthesises the ``hiss`` segments of the test split of the experiment that produced the eval
report (samples are a pure function of seed, split and index; the clean segment is re-drawn from
the same generator) and measures every segment's exposure: the level of the added noise over the
clean content in the octave band where it stands highest (0.5-16 kHz, the bands of the hiss
exposure rule in ``synth/audio/functional.py``), in dB. A draw whose SNR left the noise below
``band_margin_db`` there was raised to exactly the margin ("raised"); otherwise the SNR set the
level. Prints the miss rate (hiss called anything else, mostly ``none``) by exposure bin, and
writes the table as JSON beside the report (``<report>.hiss_exposure.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from errors_by_source import defect_segments, run, save_beside, test_synth

from synth.audio.functional import HISS_BANDS_HZ, band_powers, usable_bands

BIN_EDGES_DB = (0.0, 1.0, 2.0, 3.0, 4.5, 6.0, 10.0, 20.0)


def exposure_db(clean: np.ndarray, out: np.ndarray, rescale_db: float, sample_rate: int) -> float:
    """Added noise over clean content in the octave band where the noise stands highest (dB)."""
    added = out.astype(np.float64) * 10.0 ** (-rescale_db / 20.0) - clean.astype(np.float64)
    bands = usable_bands(HISS_BANDS_HZ, sample_rate)
    ratio = band_powers(added, sample_rate, bands) / np.maximum(band_powers(clean, sample_rate, bands), 1e-30)
    return float(10.0 * np.log10(np.max(ratio)))


def bin_label(value: float) -> str:
    edges = BIN_EDGES_DB
    for lo, hi in zip(edges[:-1], edges[1:]):
        if value < hi:
            return f"[{lo:g}, {hi:g})"
    return f">= {edges[-1]:g}"


def main(report_path: str, experiment: str) -> dict:
    report = json.loads(Path(report_path).read_text())
    missed = {e["index"]: e["predicted"] for e in report["errors"] if e["label"] == "hiss"}
    synth, test_size = test_synth(experiment)
    items = []
    for index, clean, info, out, target in defect_segments(synth, test_size, "hiss"):
        value = exposure_db(clean, out, target.stats["rescale_db"], synth.sample_rate)
        items.append(
            {
                "index": index,
                "exposure_db": value,
                "raised": bool(value <= target.params["band_margin_db"] + 0.05),
                "kind": info.get("kind"),
                "missed_as": missed.get(index),
            }
        )
    labels = [f"[{lo:g}, {hi:g})" for lo, hi in zip(BIN_EDGES_DB[:-1], BIN_EDGES_DB[1:])]
    labels.append(f">= {BIN_EDGES_DB[-1]:g}")
    rows = []
    print(f"{'exposure (dB)':14} {'segments':>8} {'raised':>7} {'missed':>7} {'rate':>6}")
    for label in labels:
        group = [r for r in items if bin_label(r["exposure_db"]) == label]
        k = sum(r["missed_as"] is not None for r in group)
        rows.append(
            {
                "exposure_db": label,
                "segments": len(group),
                "raised_to_margin": sum(r["raised"] for r in group),
                "missed": k,
                "missed_as_none": sum(r["missed_as"] == "none" for r in group),
            }
        )
        rate = f"{k / len(group):6.1%}" if group else "     -"
        print(f"{label:14} {len(group):8d} {rows[-1]['raised_to_margin']:7d} {k:7d} {rate}")
    values = np.array([r["exposure_db"] for r in items])
    return save_beside(
        report_path,
        "hiss_exposure",
        experiment,
        {
            "hiss_segments": len(items),
            "missed": sum(r["missed_as"] is not None for r in items),
            "raised_to_margin": sum(r["raised"] for r in items),
            "exposure_db_q10_q50_q90": [round(float(q), 1) for q in np.quantile(values, [0.1, 0.5, 0.9])]
            if len(items)
            else None,
            "rows": rows,
            "missed_segments": [r for r in items if r["missed_as"] is not None],
        },
    )


if __name__ == "__main__":
    run(main, __doc__)
