"""Which clicks do the models miss? Shape, width, level, place and held samples of every miss.

    python experiments/audio_artifacts/missed_clicks.py REPORT [REPORT ...] --experiment audio_artifacts_bands4_cpu30

Re-synthesises the test split of the experiment that produced the eval reports (runs of one
recipe, e.g. two seeds) and lists every clicks segment that at least one report calls something
else: each click's shape, width, realised level (:func:`synth.audio.functional.click_level_db`),
start in the segment, whether speech is in it, and how many reports miss it. It compares them with
all single-click segments (share of each shape, share starting in the first ``EARLY_S``) and counts
the segments holding a run of at least ``HELD_RUN`` identical non-zero samples (what a ``step``
click leaves in float32 audio) among the missed, the found and the clean segments. Prints a summary
and writes it beside the first report (``<report>.missed_clicks.json``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from click_probe import has_speech
from errors_by_source import command_line, defect_segments, report_parser, test_synth

from synth.audio.functional import click_level_db
from vqa_train.utils.atomic import write_json

EARLY_S = 0.08  # "at the start of the segment"
HELD_RUN = 8  # samples (0.25 ms at 32 kHz) of one repeated value


def longest_held_run(audio: np.ndarray) -> int:
    """Longest run of identical consecutive non-zero samples (exact zeros are digital silence)."""
    x = audio[0]
    same = (x[1:] == x[:-1]) & (x[1:] != 0)
    if not same.any():
        return 1
    edges = np.flatnonzero(np.diff(np.r_[0, same.astype(np.int8), 0]))
    return int(np.max(edges[1::2] - edges[::2])) + 1


def main(reports: list[str], experiment: str) -> dict:
    missed = Counter()
    for path in reports:
        report = json.loads(Path(path).read_text())
        missed.update(e["index"] for e in report["errors"] if e["label"] == "clicks")
    synth, test_size = test_synth(experiment)
    rate = synth.sample_rate
    rows, singles, held = [], Counter(), Counter()
    early = 0
    for index, clean, info, out, target in defect_segments(synth, test_size, "clicks"):
        single = bool(target.params["single"])
        if single:
            singles[target.params["shapes"][0]] += 1
            early += target.segments[0][0] / rate < EARLY_S
        held["missed" if index in missed else "found"] += longest_held_run(out) >= HELD_RUN
        if index in missed:
            rows.append(
                {
                    "index": index,
                    "missed_by": missed[index],
                    "single": single,
                    "shapes": list(target.params["shapes"]),  # as drawn; the spans below are by start
                    "clicks": [
                        {
                            "width_samples": int(e - s),
                            "start_s": round(s / rate, 4),
                            "level_db": round(click_level_db(clean, out, s, e - s, rate), 2),
                        }
                        for s, e in target.segments
                    ],
                    "speech": has_speech(info),
                    "held_run_samples": longest_held_run(out),
                }
            )
    clean_held = 0
    clean_count = 0
    for index in range(test_size):
        if synth.label_of(index) == synth.clean_label:
            audio, _ = synth.sample("test", index)
            clean_count += 1
            clean_held += longest_held_run(audio) >= HELD_RUN
    missed_singles = [r for r in rows if r["single"]]
    summary = {
        "missed_segments": len(rows),
        "missed_by_every_report": sum(r["missed_by"] == len(reports) for r in rows),
        "missed_single_click_shapes": dict(Counter(r["shapes"][0] for r in missed_singles)),
        "single_click_shapes": dict(singles),
        "missed_single_starting_early": sum(r["clicks"][0]["start_s"] < EARLY_S for r in missed_singles),
        "single_starting_early": early,
        "missed_with_speech": sum(r["speech"] for r in rows),
        "missed_level_db_range": [
            min(c["level_db"] for r in rows for c in r["clicks"]),
            max(c["level_db"] for r in rows for c in r["clicks"]),
        ]
        if rows
        else [],
        f"held_run_{HELD_RUN}": {
            "missed": held["missed"],
            "found": held["found"],
            "clean": clean_held,
            "clean_segments": clean_count,
        },
    }
    for key, value in summary.items():
        print(f"{key:32} {value}")
    result = {
        "command": command_line(__file__, reports, experiment, "missed_clicks"),
        "early_s": EARLY_S,
        "held_run_samples": HELD_RUN,
        "summary": summary,
        "missed": rows,
    }
    write_json(Path(reports[0]).with_suffix(".missed_clicks.json"), result)
    return result


if __name__ == "__main__":
    a = report_parser(__doc__, "audio_artifacts_bands4_cpu30", many=True).parse_args()
    main(a.reports, a.experiment)
