"""What the cadence rule sees in the clean simulated clips that carry a pulldown negative.

    python experiments/temporal/cadence_census.py            # stutter preset, 800 test clips

Synthesises the preset's test split again (samples are a pure function of seed, split and index)
and counts the clean clips with a ``pulldown`` negative by (period found by
``temporal_dsp.repeat_cadence``, number of near-repeated frames, negatives applied).
"""

from __future__ import annotations

import argparse
from collections import Counter

import hydra
from hydra import compose, initialize_config_dir

import vqa_train  # noqa: F401  (environment defaults)
from vqa_train.baselines.temporal_dsp import frame_differences, repeat_cadence
from vqa_train.utils.config import CONF_DIR


def main(preset: str, clips: int) -> Counter:
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=[f"detector={preset}"])
    synth = hydra.utils.instantiate(cfg.data, _convert_="partial").synth
    census: Counter = Counter()
    for index in range(clips):
        clip, _, target = synth.sample("test", index)
        negatives = tuple(target.stats.get("negatives", []))
        if target.label != "clean" or "pulldown" not in negatives:
            continue
        repeats = int((frame_differences(clip)[1:] < 0.5).sum())
        census[(repeat_cadence(clip), repeats, negatives)] += 1
    print(f"{'period':>6} {'repeats':>7} {'clips':>5}  negatives")
    for (period, repeats, negatives), n in sorted(census.items()):
        print(f"{period:6d} {repeats:7d} {n:5d}  {', '.join(negatives)}")
    return census


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="stutter")
    ap.add_argument("--clips", type=int, default=800, help="test clips to synthesise (default 800)")
    a = ap.parse_args()
    main(a.preset, a.clips)
