"""How loud the clicks of the simulated test split really are where they landed, missed vs found.

    python experiments/audio_artifacts/clicks_realised.py experiments/audio_artifacts/results/e12_eval_simulated_test.json \\
        --experiment audio_artifacts_cues16k_e12_cpu30

Re-synthesises the ``clicks`` segments of the test split of the experiment that produced the eval
report (samples are a pure function of seed, split and index; the clean segment is re-drawn from
the same generator) and measures every click's realised level: the energy of what it changed over
the clean energy of the 10 ms around it, in dB (what ``defect.clicks.min_level_db`` bounds). For the
segments the report lists as missed and for the found ones it prints how many held one isolated
click, how many had speech in them, the quantiles of each segment's loudest click, and (on data
made with ``min_level_db``) how many clicks moved or found no place that reaches it. Writes the
table as JSON beside the report (``<report>.clicks_realised.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from errors_by_source import defect_segments, run, save_beside, test_synth

from synth.audio.functional import click_level_db


def main(report_path: str, experiment: str) -> dict:
    report = json.loads(Path(report_path).read_text())
    missed = {e["index"] for e in report["errors"] if e["label"] == "clicks"}
    synth, test_size = test_synth(experiment)
    groups: dict[str, list[dict]] = {"missed": [], "found": []}
    for index, clean, info, out, target in defect_segments(synth, test_size, "clicks"):
        levels = [click_level_db(clean, out, s, e - s, synth.sample_rate) for s, e in target.segments]
        groups["missed" if index in missed else "found"].append(
            {
                "index": index,
                "single": bool(target.params["single"]),
                "speech": "speech" in (info.get("layers") or []) or info.get("kind") == "speech",
                "loudest_click_db": max(levels),
                "clicks": len(levels),
                "moved": int(target.stats.get("moved", 0)),
                "below_min_level": int(target.stats.get("below_min_level", 0)),
            }
        )
    rows = {}
    for name, items in groups.items():
        loudest = np.array([r["loudest_click_db"] for r in items])
        rows[name] = {
            "segments": len(items),
            "clicks": sum(r["clicks"] for r in items),
            "clicks_moved": sum(r["moved"] for r in items),
            "clicks_below_min_level": sum(r["below_min_level"] for r in items),
            "single_click": sum(r["single"] for r in items),
            "with_speech": sum(r["speech"] for r in items),
            "loudest_click_below_3db": int((loudest < 3.0).sum()),
            "loudest_click_db_q10_q50_q90": [
                round(float(q), 1) for q in np.quantile(loudest, [0.1, 0.5, 0.9])
            ]
            if len(items)
            else None,
        }
        print(f"{name:7} {rows[name]}")
    return save_beside(
        report_path,
        "clicks_realised",
        experiment,
        {
            **rows,
        },
    )


if __name__ == "__main__":
    run(main, __doc__)
