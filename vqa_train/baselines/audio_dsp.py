"""A rule-based DSP baseline for the audio-artifact task (none, hum, hiss, distortion, clicks).

Each segment becomes a short vector of hand-made features: FFmpeg's ``astats`` measurements (run
in-process through a PyAV filter graph) plus a few spectral rules (mains-harmonic peaks for hum,
linear-prediction residual outliers for clicks, high-band noise floor for hiss, flat runs at the
peak for clipping). The classifier is an ordered list of ``feature > threshold`` rules whose
thresholds are chosen on the validation split by coordinate search on balanced accuracy: no
learned weights, so it shows what simple signal processing gets without training.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from scipy.linalg import solve_toeplitz
from scipy.signal import lfilter

DB_FLOOR = -160.0  # what -inf dB (silence) becomes; +inf becomes -DB_FLOOR, nan becomes 0
MAINS_HZ = (50.0, 60.0)
HUM_HARMONICS = 8
HUM_LINE_HZ = 1.0  # a harmonic's line is the max power within this distance of k * mains
HUM_NEIGHBOUR_HZ = (4.0, 20.0)  # reference band on each side of a harmonic
LPC_ORDER = 16
CLICK_OUTLIER_SIGMAS = 8.0
CLICK_BLOCK_S = 0.008  # residual spread is measured per block of about this length
CLICK_CONTEXT_BLOCKS = 2  # ... and smoothed by a median over this many blocks on each side
HISS_BAND_HZ = (6000.0, 14000.0)
HISS_FRAME_S = 0.016
SILENCE_POWER = 1e-10  # mean power below this (-100 dBFS) counts as silence

ASTATS_KEYS = (
    "DC_offset",
    "Peak_level",
    "RMS_level",
    "RMS_peak",
    "RMS_trough",
    "Crest_factor",
    "Flat_factor",
    "Peak_count",
    "Noise_floor",
    "Entropy",
    "Max_difference",
    "Mean_difference",
    "RMS_difference",
    "Dynamic_range",
)
ASTATS_FEATURES = tuple(f"astats_{k.lower()}" for k in ASTATS_KEYS)
SPECTRAL_FEATURES = (
    "hum_ratio_db",
    "hum_max_db",
    "click_score",
    "click_rate",
    "hiss_floor_db",
    "hiss_flatness",
    "clip_run_fraction",
    "peak_density",
)
FEATURE_NAMES = SPECTRAL_FEATURES + ASTATS_FEATURES

# label -> candidate features, in rule order; "-name" means "fires when the feature is low".
DEFAULT_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hum", ("hum_ratio_db", "hum_max_db")),
    ("distortion", ("clip_run_fraction", "astats_flat_factor", "peak_density", "-astats_crest_factor")),
    ("clicks", ("click_score", "click_rate", "astats_max_difference")),
    ("hiss", ("hiss_floor_db", "hiss_flatness", "astats_noise_floor")),
)


def _mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.ndim == 2 and audio.shape[0] == 1:
        audio = audio[0]
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio of shape (1, n) or (n,), got {audio.shape}")
    if audio.size == 0:
        raise ValueError("audio segment is empty")
    return audio


@functools.lru_cache(maxsize=16)
def _hann(n: int) -> np.ndarray:
    window = np.hanning(n)
    window.flags.writeable = False
    return window


def _finite(value: float) -> float:
    if math.isnan(value):
        return 0.0
    if math.isinf(value):
        return DB_FLOOR if value < 0 else -DB_FLOOR
    return value


# ------------------------------------------------------------------------------------------ astats


class AstatsRunner:
    """One reusable ``abuffer -> astats -> abuffersink`` graph per sample rate.

    ``astats`` with ``reset=1`` restarts its statistics on every frame, so pushing one frame per
    segment gives per-segment numbers identical to a fresh graph, without rebuilding it (about
    1.6x faster). The one statistic that leaks across frames, the zero-crossing count (it compares
    with the previous frame's last sample), is left out. Not thread-safe: one runner per worker.
    """

    def __init__(self) -> None:
        self._graphs: dict[int, av.filter.Graph] = {}
        self._next_pts: dict[int, int] = {}  # pts must keep increasing through a graph

    def _graph(self, sample_rate: int) -> av.filter.Graph:
        if sample_rate not in self._graphs:
            graph = av.filter.Graph()
            source = graph.add_abuffer(format="fltp", sample_rate=sample_rate, layout="mono")
            stats = graph.add("astats", "metadata=1:reset=1:measure_overall=none")
            sink = graph.add("abuffersink")
            source.link_to(stats)
            stats.link_to(sink)
            graph.configure()
            self._graphs[sample_rate], self._next_pts[sample_rate] = graph, 0
        return self._graphs[sample_rate]

    def __call__(self, audio: np.ndarray, sample_rate: int) -> dict[str, float]:
        x = np.ascontiguousarray(_mono(audio), dtype=np.float32)[None, :]
        sample_rate = int(sample_rate)
        graph = self._graph(sample_rate)
        frame = av.AudioFrame.from_ndarray(x, format="fltp", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = self._next_pts[sample_rate]
        self._next_pts[sample_rate] += x.shape[1]
        graph.push(frame)
        metadata = graph.pull().metadata  # one frame in, the same frame out with its stats attached
        out = {}
        for key, name in zip(ASTATS_KEYS, ASTATS_FEATURES):
            value = _finite(float(metadata.get(f"lavfi.astats.1.{key}", "nan")))
            if key == "Peak_count":
                value /= x.shape[1]  # a fraction of the segment, whatever its length
            out[name] = value
        return out


def astats_features(audio: np.ndarray, sample_rate: int) -> dict[str, float]:
    """FFmpeg ``astats`` of one mono segment (finite values; silence gives ``DB_FLOOR`` levels)."""
    return AstatsRunner()(audio, sample_rate)


# ---------------------------------------------------------------------------------------- spectral


def spectral_features(audio: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Hum, click, hiss and clipping scores of one mono segment; larger means more of the defect."""
    x = _mono(audio).astype(np.float64)
    sample_rate = int(sample_rate)
    silent = float(np.mean(x * x)) < SILENCE_POWER
    out = {}
    out.update(_hum_features(x, sample_rate))
    out.update(_click_features(x, sample_rate, silent))
    out.update(_hiss_features(x, sample_rate, silent))
    out.update(_clip_features(x))
    return out


def _hum_features(x: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Mains-harmonic lines against their neighbourhood, from one long FFT (>= 1 Hz resolution)."""
    nfft = max(x.size, sample_rate)
    power = np.abs(np.fft.rfft(x * _hann(x.size), nfft)) ** 2
    hz_per_bin = sample_rate / nfft
    eps = 1e-12 * float(power.sum()) + 1e-30
    near, far = HUM_NEIGHBOUR_HZ
    ratio_db, max_db = -np.inf, -np.inf
    for mains in MAINS_HZ:
        lines, bases = [], []
        for k in range(1, HUM_HARMONICS + 1):
            f = k * mains
            if f + far >= sample_rate / 2:
                break
            c, w = round(f / hz_per_bin), max(1, round(HUM_LINE_HZ / hz_per_bin))
            lines.append(power[c - w : c + w + 1].max())
            below = power[round((f - far) / hz_per_bin) : round((f - near) / hz_per_bin) + 1]
            above = power[round((f + near) / hz_per_bin) : round((f + far) / hz_per_bin) + 1]
            bases.append(np.median(np.concatenate([below, above])))
        if not lines:
            continue
        lines_arr, bases_arr = np.asarray(lines) + eps, np.asarray(bases) + eps
        ratio_db = max(ratio_db, 10 * math.log10(lines_arr.sum() / bases_arr.sum()))
        max_db = max(max_db, float(np.max(10 * np.log10(lines_arr / bases_arr))))
    return {"hum_ratio_db": _finite(ratio_db), "hum_max_db": _finite(max_db)}


def _click_features(x: np.ndarray, sample_rate: int, silent: bool) -> dict[str, float]:
    """Outliers of the linear-prediction residual: music is predictable, clicks are not.

    The residual is scaled by a local robust spread (median over neighbouring ~8 ms blocks), so a
    loud passage next to a quiet one is not mistaken for a click.
    """
    block = 2 ** max(4, round(math.log2(CLICK_BLOCK_S * sample_rate)))
    if silent or x.size < LPC_ORDER + 2 * block:
        return {"click_score": 0.0, "click_rate": 0.0}
    windowed = x * _hann(x.size)
    autocorr = np.array([windowed[: x.size - lag] @ windowed[lag:] for lag in range(LPC_ORDER + 1)])
    autocorr[0] *= 1.0 + 1e-9  # a whisker of white noise keeps the system well conditioned
    coeffs = solve_toeplitz(autocorr[:LPC_ORDER], autocorr[1 : LPC_ORDER + 1])
    residual = np.abs(lfilter(np.concatenate([[1.0], -coeffs]), [1.0], x)[LPC_ORDER:])
    blocks = residual[: residual.size // block * block].reshape(-1, block)
    spread = 1.4826 * np.median(blocks, axis=1)
    halo = CLICK_CONTEXT_BLOCKS
    local = np.median(
        np.lib.stride_tricks.sliding_window_view(np.pad(spread, halo, mode="edge"), 2 * halo + 1), axis=1
    )
    local = np.maximum(local, max(1e-4 * float(np.sqrt(np.mean(x * x))), 1e-12))
    magnitude = blocks / local[:, None]
    return {
        "click_score": float(magnitude.max()),
        "click_rate": float(np.count_nonzero(magnitude > CLICK_OUTLIER_SIGMAS)) * sample_rate / x.size,
    }


def _hiss_features(x: np.ndarray, sample_rate: int, silent: bool) -> dict[str, float]:
    """High-band noise floor (quietest frames, relative to the segment) and its spectral flatness."""
    frame = 2 ** max(6, round(math.log2(HISS_FRAME_S * sample_rate)))
    if silent or x.size < frame:
        return {"hiss_floor_db": DB_FLOOR, "hiss_flatness": 0.0}
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[:: frame // 2] * _hann(frame)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / sample_rate)
    lo, hi = HISS_BAND_HZ
    band = (freqs >= lo) & (freqs <= min(hi, 0.45 * sample_rate))
    if not band.any():  # low sample rates: the upper half of the spectrum
        band = (freqs >= 0.25 * sample_rate) & (freqs <= 0.45 * sample_rate)
    band_power = power[:, band]
    per_frame = band_power.mean(axis=1)
    reference = float(power.mean()) + 1e-30
    floor = float(np.percentile(per_frame, 10))
    quiet = per_frame <= np.percentile(per_frame, 25)
    tiny = 1e-30
    flatness = np.exp(np.mean(np.log(band_power[quiet] + tiny), axis=1)) / (per_frame[quiet] + tiny)
    return {
        "hiss_floor_db": _finite(10 * math.log10(floor / reference + 1e-30)),
        "hiss_flatness": float(np.median(flatness)),
    }


def _clip_features(x: np.ndarray) -> dict[str, float]:
    """Hard clipping leaves flat runs at the peak; soft clipping piles samples up near it."""
    magnitude = np.abs(x)
    peak = float(magnitude.max())
    if peak < 1e-6:
        return {"clip_run_fraction": 0.0, "peak_density": 0.0}
    near = magnitude >= 0.98 * peak
    flat = near[1:] & near[:-1] & (np.abs(np.diff(x)) <= 1e-4 * peak)
    in_run = np.zeros(x.size, dtype=bool)
    in_run[1:] |= flat
    in_run[:-1] |= flat
    return {
        "clip_run_fraction": float(in_run.mean()),
        "peak_density": float(np.mean(magnitude >= 0.9 * peak)),
    }


# -------------------------------------------------------------------------------------- the rules


@dataclass
class Rule:
    """Predict ``label`` when ``feature`` (negated if it starts with '-') exceeds ``threshold``."""

    label: str
    candidates: tuple[str, ...]
    feature: str
    threshold: float | None = None  # None: the rule never fires

    def fires(self, table: np.ndarray, names: Sequence[str]) -> np.ndarray:
        if self.threshold is None:
            return np.zeros(table.shape[0], dtype=bool)
        return _column(table, names, self.feature) > self.threshold


def _column(table: np.ndarray, names: Sequence[str], feature: str) -> np.ndarray:
    sign, name = (-1.0, feature[1:]) if feature.startswith("-") else (1.0, feature)
    if name not in names:
        raise ValueError(f"unknown feature {name!r}; known: {list(names)}")
    return sign * table[:, list(names).index(name)]


def _balanced_accuracy(truth: np.ndarray, pred: np.ndarray, n_classes: int) -> float:
    """Mean recall over the classes present in ``truth`` (sklearn's balanced_accuracy_score)."""
    support = np.bincount(truth, minlength=n_classes)
    hits = np.bincount(truth[truth == pred], minlength=n_classes)
    present = support > 0
    return float(np.mean(hits[present] / support[present]))


class AudioDSPBaseline:
    """Ordered ``feature > threshold`` rules; the first that fires names the class, else ``fallback``."""

    def __init__(
        self,
        rules: Sequence[tuple[str, Sequence[str]]] = DEFAULT_RULES,
        fallback: str = "none",
        n_thresholds: int = 64,
        rounds: int = 3,
    ) -> None:
        self.feature_names = list(FEATURE_NAMES)
        self.fallback = fallback
        self.n_thresholds = int(n_thresholds)
        self.rounds = int(rounds)
        self.rules = []
        for label, candidates in rules:
            candidates = tuple([candidates] if isinstance(candidates, str) else candidates)
            if not candidates:
                raise ValueError(f"rule {label!r} has no candidate features")
            for feature in candidates:
                if feature.lstrip("-") not in self.feature_names:
                    raise ValueError(f"rule {label!r}: unknown feature {feature!r}")
            self.rules.append(Rule(label=label, candidates=candidates, feature=candidates[0]))
        self.val_bacc: float | None = None

    @property
    def labels(self) -> list[str]:
        return [rule.label for rule in self.rules] + [self.fallback]

    def features(self, segments: Iterable[np.ndarray], sample_rate: int) -> np.ndarray:
        """``[N, F]`` float64 features (columns in ``feature_names``) of mono segments."""
        runner = AstatsRunner()
        rows = []
        for segment in segments:
            values = spectral_features(segment, sample_rate)
            values.update(runner(segment, sample_rate))
            rows.append([values[name] for name in self.feature_names])
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(self.feature_names))

    def predict(self, features: np.ndarray) -> list[str]:
        table = self._check(features)
        codes = self._predict_codes(table, [rule.fires(table, self.feature_names) for rule in self.rules])
        labels = self.labels
        return [labels[c] for c in codes]

    def fit(self, features: np.ndarray, labels: Sequence[str]) -> AudioDSPBaseline:
        """Choose each rule's feature and threshold on (validation) data, maximising balanced accuracy.

        Each rule starts at its best one-vs-rest threshold (Youden's J); coordinate search then
        revisits one rule at a time, keeping a change only if the multi-class balanced accuracy rises.
        """
        table = self._check(features)
        if len(labels) != table.shape[0]:
            raise ValueError(f"{len(labels)} labels for {table.shape[0]} feature rows")
        index = {label: i for i, label in enumerate(self.labels)}
        unknown = len(index)  # a label no rule can produce: always an error, still counted
        truth = np.asarray([index.get(str(label), unknown) for label in labels], dtype=np.int64)
        n_classes = unknown + 1
        options = {
            (i, feature): self._threshold_grid(_column(table, self.feature_names, feature))
            for i, rule in enumerate(self.rules)
            for feature in rule.candidates
        }
        # Start from each rule alone (its class against the rest), then refine all of them jointly.
        for i, rule in enumerate(self.rules):
            positive = truth == i
            rule.feature, rule.threshold, best_j = rule.candidates[0], None, 0.0
            if positive.all() or not positive.any():
                continue
            for feature in rule.candidates:
                column = _column(table, self.feature_names, feature)
                for threshold in options[(i, feature)]:
                    fired = column > threshold
                    youden = fired[positive].mean() - fired[~positive].mean()
                    if youden > best_j + 1e-12:
                        best_j, rule.feature, rule.threshold = youden, feature, float(threshold)
        fires = [rule.fires(table, self.feature_names) for rule in self.rules]
        best = _balanced_accuracy(truth, self._predict_codes(table, fires), n_classes)
        for _ in range(self.rounds):
            improved = False
            for i, rule in enumerate(self.rules):
                for feature in rule.candidates:
                    column = _column(table, self.feature_names, feature)
                    for threshold in options[(i, feature)]:
                        fires[i] = column > threshold
                        score = _balanced_accuracy(truth, self._predict_codes(table, fires), n_classes)
                        if score > best + 1e-12:
                            best, improved = score, True
                            rule.feature, rule.threshold = feature, float(threshold)
                fires[i] = rule.fires(table, self.feature_names)
            if not improved:
                break
        self.val_bacc = best
        return self

    def _threshold_grid(self, column: np.ndarray) -> np.ndarray:
        levels = np.quantile(column, np.linspace(0.0, 1.0, self.n_thresholds + 1))
        levels = np.unique(levels)
        # below the minimum (always fires), midpoints, the maximum (never fires on this data)
        return np.concatenate([levels[:1] - 1.0, (levels[:-1] + levels[1:]) / 2, levels[-1:]])

    def _predict_codes(self, table: np.ndarray, fires: Sequence[np.ndarray]) -> np.ndarray:
        codes = np.full(table.shape[0], len(self.rules), dtype=np.int64)  # the fallback
        for i in reversed(range(len(self.rules))):
            codes[fires[i]] = i
        return codes

    def _check(self, features: np.ndarray) -> np.ndarray:
        table = np.asarray(features, dtype=np.float64)
        if table.ndim != 2 or table.shape[1] != len(self.feature_names):
            raise ValueError(f"features must be [N, {len(self.feature_names)}], got {table.shape}")
        return table

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "audio_dsp_rules",
            "version": 1,
            "fallback": self.fallback,
            "feature_names": list(self.feature_names),
            "rules": [
                {
                    "label": rule.label,
                    "candidates": list(rule.candidates),
                    "feature": rule.feature,
                    "threshold": rule.threshold,
                }
                for rule in self.rules
            ],
            "val_bacc": self.val_bacc,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AudioDSPBaseline:
        if data.get("kind") != "audio_dsp_rules":
            raise ValueError(f"not an audio_dsp_rules dict: kind={data.get('kind')!r}")
        if list(data["feature_names"]) != list(FEATURE_NAMES):
            raise ValueError("saved rules use a different feature set than this version computes")
        model = cls(rules=[(r["label"], r["candidates"]) for r in data["rules"]], fallback=data["fallback"])
        for rule, saved in zip(model.rules, data["rules"]):
            rule.feature = saved["feature"]
            rule.threshold = None if saved["threshold"] is None else float(saved["threshold"])
        model.val_bacc = data.get("val_bacc")
        return model
