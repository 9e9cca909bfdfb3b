"""Two measurements behind the delivery and noise sections of the README, in one place.

    python experiments/audio_artifacts/spectra_checks.py

- ``round_trips``: on 40 clean-or-defective test segments of the default data (indices 0, 5, ...,
  195), the error each AAC round trip leaves against the input (dB, median and 10-90 %) and the
  share of the input's energy above 12 kHz it keeps: the full round trip (48 kHz, default coder,
  96 kbit/s) against the quick coder (``aac_coder=fast``) at 48 kHz / 96 kbit/s, and at the
  segment's own 32 kHz at 96 and 64 kbit/s (what ``data.codec_fast`` uses), and the time each
  takes per 1-s segment on this machine.
- ``noise_spectra``: the power density per band, re 8-12 kHz, of FFmpeg's ``anoisesrc`` blue and
  violet noise against this project's blue and violet slopes (one second at 32 kHz, seed 1).

Writes ``results/spectra_checks.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from errors_by_source import test_synth
from other_noises import noise
from scipy.signal import resample_poly

from synth.audio.delivery import CODEC_RATE, FAST_OPTIONS
from synth.audio.dropout_realset import decode_on_timeline, encode
from synth.audio.functional import band_powers, coloured_noise
from synth.audio.hiss import COLOUR_SLOPES_DB_PER_OCTAVE
from vqa_train.utils.atomic import write_json

RESULTS = Path(__file__).parent / "results"
INDICES = range(0, 200, 5)
# name: (encoding rate, kbit/s, encoder options)
ROUND_TRIPS = {
    "full, 48 kHz, 96 kbit/s": (CODEC_RATE, 96, None),
    "quick, 48 kHz, 96 kbit/s": (CODEC_RATE, 96, FAST_OPTIONS["aac"]),
    "quick, 32 kHz, 96 kbit/s": (32000, 96, FAST_OPTIONS["aac"]),
    "quick, 32 kHz, 64 kbit/s": (32000, 64, FAST_OPTIONS["aac"]),
}
SPECTRUM_BANDS_HZ = ((250, 500), (1000, 2000), (4000, 8000), (8000, 12000), (12000, 14000), (14000, 16000))


def round_trip(x: np.ndarray, sample_rate: int, rate: int, kbps: int, options: dict | None) -> np.ndarray:
    coded = x if rate == sample_rate else resample_poly(x.astype(np.float64), rate, sample_rate)
    coded = np.clip(coded, -1.0, 1.0).astype(np.float32)
    return decode_on_timeline(encode(coded, rate, "aac", options, kbps), sample_rate)[: len(x)]


def top_share(x: np.ndarray, sample_rate: int) -> float:
    return float(
        band_powers(x[None], sample_rate, [(12000, sample_rate / 2)])[0] / max(np.sum(x**2) / len(x), 1e-30)
    )


def main() -> dict:
    synth, _ = test_synth("audio_artifacts_bands4_cpu30")
    sr = synth.sample_rate
    segments = [synth.sample("test", i)[0][0] for i in INDICES]
    trips = {}
    for name, (rate, kbps, options) in ROUND_TRIPS.items():
        errors, kept, seconds = [], [], 0.0
        for x in segments:
            start = time.perf_counter()
            y = round_trip(x, sr, rate, kbps, options)
            seconds += time.perf_counter() - start
            errors.append(10 * np.log10(np.sum((y - x) ** 2) / max(np.sum(x**2), 1e-30)))
            kept.append(top_share(y, sr) / max(top_share(x, sr), 1e-30))
        trips[name] = {
            "error_db_median": round(float(np.median(errors)), 1),
            "error_db_10_90": [round(float(np.percentile(errors, q)), 1) for q in (10, 90)],
            "energy_above_12khz_kept_median": round(float(np.median(kept)), 2),
            "ms_per_segment": round(1000 * seconds / len(segments), 1),
        }
        print(f"{name:26} {trips[name]}")
    widths = np.array([hi - lo for lo, hi in SPECTRUM_BANDS_HZ], dtype=np.float64)
    spectra = {}
    for colour in ("blue", "violet"):
        for who, x in (
            ("ffmpeg", noise(colour, sr, sr, seed=1)[None]),
            ("this project", coloured_noise(1, sr, sr, COLOUR_SLOPES_DB_PER_OCTAVE[colour], 1)),
        ):
            density = band_powers(x.astype(np.float64), sr, SPECTRUM_BANDS_HZ) / widths
            spectra[f"{who} {colour}"] = np.round(10 * np.log10(density / density[3]), 1).tolist()
            print(f"{who + ' ' + colour:20} {spectra[f'{who} {colour}']}")
    result = {
        "command": "python experiments/audio_artifacts/spectra_checks.py",
        "round_trips": {
            "segments": f"test indices {INDICES.start}..{INDICES.stop - 1} step {INDICES.step}",
            **trips,
        },
        "noise_spectra": {"bands_hz": [list(b) for b in SPECTRUM_BANDS_HZ], "db_re_8_12_khz": spectra},
    }
    write_json(RESULTS / "spectra_checks.json", result)
    return result


if __name__ == "__main__":
    main()
