"""Does the hiss detector know noise it was never trained on?

    python experiments/audio_artifacts/other_noises.py CKPT [CKPT ...] --experiment audio_artifacts_bands4_cpu30

``synth.audio.Hiss`` shapes Gaussian noise to a slope between brown (-6 dB/octave) and blue
(+3 dB/octave). This probe keeps every test-split hiss sample's content and audibility as
synthesised and swaps only the noise for each colour of FFmpeg's ``anoisesrc`` source (white,
pink, brown, blue, violet, velvet), made in-process through PyAV's libavfilter, so the noise is
FFmpeg's, not this project's. FFmpeg's blue and violet are not the constant slopes their names
suggest: at 32 kHz they are flat to about 8 kHz and climb steeply towards Nyquist (violet +24 dB
at 14-16 kHz over 8-12 kHz). Velvet noise is sparse random impulses rather than Gaussian. Each replacement is scaled to stand exactly
as far over the content in its best octave band as the synthesised noise did (the exposure of
``hiss_exposure.py``), so the comparison is one of shape, not of level. Reports how often the
models still say ``hiss`` and what they say instead.

Writes ``results/<--out>.json`` (default ``other_noises``).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from errors_by_source import checkpoint_parser, command_line, defect_segments, predictions, test_synth
from hiss_exposure import exposure_db
from other_clippers import ffmpeg_audio

from synth.audio.base import fit_peak
from synth.audio.functional import HISS_BANDS_HZ, PEAK, band_powers, usable_bands
from vqa_train.progress import track
from vqa_train.utils.atomic import write_json

RESULTS = Path(__file__).parent / "results"
COLOURS = ("white", "pink", "brown", "blue", "violet", "velvet")


def noise(colour: str, num_samples: int, sample_rate: int, seed: int) -> np.ndarray:
    """``num_samples`` of FFmpeg's ``anoisesrc`` noise of ``colour`` (float64 mono, unit RMS)."""
    args = f"color={colour}:sample_rate={sample_rate}:nb_samples=1024:amplitude=1:seed={seed}:duration={num_samples / sample_rate}"
    out = ffmpeg_audio(sample_rate, "anoisesrc", args)
    if out.shape[0] < num_samples:
        raise RuntimeError(f"anoisesrc color={colour} gave {out.shape[0]} samples for {num_samples}")
    out = out[:num_samples]
    return out / max(float(np.sqrt(np.mean(out**2))), 1e-12)


def main(checkpoints: list[str], experiment: str, out_name: str) -> dict:
    synth, test_size = test_synth(experiment)
    sr = synth.sample_rate
    bands = usable_bands(HISS_BANDS_HZ, sr)
    conditions: dict[str, list[np.ndarray]] = {"synthesised": [], **{c: [] for c in COLOURS}}
    exposures, colours = [], Counter()
    for index, clean, _, out, target in track(
        defect_segments(synth, test_size, "hiss"), "re-noising", total=test_size // len(synth.classes)
    ):
        wanted = exposure_db(clean, out, target.stats["rescale_db"], sr)
        exposures.append(wanted)
        colours[target.params["colour"]] += 1
        conditions["synthesised"].append(out[0])
        content = band_powers(clean, sr, bands)
        for colour in COLOURS:
            n = noise(colour, clean.shape[1], sr, seed=index + 1)[None]
            best = float(np.max(band_powers(n, sr, bands) / np.maximum(content, 1e-30)))
            gain = np.sqrt(10.0 ** (wanted / 10.0) / best)  # same best-band exposure as synthesised
            mix = fit_peak((clean.astype(np.float64) + gain * n).astype(np.float32), PEAK)
            conditions[colour].append(mix[0])
    classes = list(synth.classes)
    rows = []
    for ckpt, predicted in predictions(checkpoints, conditions, classes):
        row: dict = {"ckpt_path": ckpt}
        for name, pred in predicted.items():
            called = Counter(pred)
            row[name] = {"hiss_recall": called["hiss"] / len(pred), "called": dict(called)}
            print(f"{Path(ckpt).parent.parent.name:24} {name:12} hiss_recall={row[name]['hiss_recall']:.3f}")
        rows.append(row)
    result = {
        "command": command_line(__file__, checkpoints, experiment, out_name),
        "experiment": experiment,
        "segments": len(conditions["synthesised"]),
        "synthesised_colours": dict(colours),
        "exposure_db_median": float(np.median(exposures)),
        "rows": rows,
    }
    write_json(RESULTS / f"{out_name}.json", result)
    return result


if __name__ == "__main__":
    a = checkpoint_parser(__doc__, "other_noises").parse_args()
    main(a.checkpoints, a.experiment, a.out)
