"""Hand-designed cues for the audio-artifact classifier, computed in the graph from the waveform.

Log-mel at 64 bands and a 10 ms hop cannot see three things the classifier gets wrong (see
``experiments/audio_artifacts/README.md``): its lowest bands are tens of Hz wide, so a mains comb and
a bass or organ drone at 40-120 Hz look alike; a one-sample click is smeared over a 32 ms window;
and per-frame band energies do not say whether a noise bed is flat and steady (hiss) or fluctuates
(rain, wind, breath). :class:`AudioCues` measures each directly and returns a fixed-size vector of
``AudioCues.dim`` values (33 by default, named in :data:`CUE_NAMES`) in natural units (bels,
fractions), clamped to finite ranges; the model normalises it (``PannClassifier(cues=True)`` puts a
BatchNorm1d in front).

1. **Mains comb** (5 values per mains frequency, 50 and 60 Hz). Mains hum is an exact, stable comb
   at ``k * mains`` (grid tolerance +/-0.2 Hz plus a little wander); a drone is one musical pitch not
   locked to it. The waveform is low-passed and decimated to ~2 kHz, Hann-windowed over ``comb_s``
   (1 s: 1 Hz resolution), and its spectrum is evaluated at 0.5 Hz steps within +/-12 Hz of every
   harmonic ``k = 1..harmonics`` (a zoom DFT: demodulate by the harmonic, then one small DFT shared
   by all harmonics). Per harmonic: the *excess* is the log ratio (bels) of the peak within
   ``0.5 + 0.25 k`` Hz of ``k * mains`` to the geometric mean of the ring 4-12 Hz away; the *lock*
   is the log ratio of that peak to the peak within 3.5 Hz (0 when the local line sits on the comb,
   strongly negative when it is off it: a 49 Hz drone's 4th harmonic is 4 Hz from 200 Hz); the
   *salience* is the excess minus 3x the lock's shortfall, so leakage from an off-comb line does not
   count. Cues: the fundamental's salience (``fund``), the mean salience of odd and of even
   harmonics (a voice or drone at 100/120 Hz only lands on even ones), the share of harmonics
   standing out by more than 10 dB (``count``) and the excess-weighted mean lock.
2. **Impulses** (5 values each on the first and the second difference of the waveform: high-passes
   that remove most of the music and turn a click into a spike; the first keeps clicks a few samples
   wide, the second is sharper on single-sample ones). Each 1 ms block's peak power is compared with
   the mean power of the blocks within +/-10 ms, leaving out the block and its two neighbours (so a
   click up to ~2 ms does not raise its own background). Cues: the largest ratio (bels), ``log1p``
   of the number of blocks over 15, 20 and 30 dB, and the crest (peak over mean power of the whole
   segment, bels). Synthetic clicks stand 28-40 dB over their 10 ms surroundings; natural
   transients (drum attacks, plosives) rise over milliseconds and stand less in a 1 ms block.
3. **Noise flatness and stationarity** (6 values per band, 1-4 kHz and 4-15 kHz, plus one). On
   non-overlapping 16 ms Hann frames: per frame, the band's level (log10 mean power per bin, about
   dBFS / 10) and its log spectral flatness (log10 of geometric over arithmetic mean: white noise
   sits near -0.25, a tone far below). Cues: mean and standard deviation over frames of the flatness
   and of the level (hiss is flat and steady; rain, wind and breath beds fluctuate), and the flatness
   and level of the quietest frames (a soft minimum: hiss under music shows in its gaps). Last,
   ``high_share``: the 4-15 kHz band's share of the total energy (log10).
4. **Top band** (6 values, only with ``top_band=True``; needs a 32 kHz rate). Hiss is a power law
   that runs to Nyquist, while rain, wind and traffic beds roll off above ~12 kHz: the step from the
   11-14 kHz level to the 14-15 kHz level is the one quantity that best tells a clean noise bed
   from hiss over it (ROC AUC 0.85 in ``experiments/audio_artifacts/hiss_top_band.py``). On the
   same frames: the step at the quietest 11-14 kHz frames (soft minimum as above), its mean and
   standard deviation over frames, the 14-15 kHz level's standard deviation (hiss is steady) and
   mean flatness, and its level at the quietest frames.
5. **Dropouts** (3 values, only with ``dips=True``). A buffer dropout or stuck converter holds
   the waveform still for a fraction of a millisecond in the middle of sound: the first difference
   vanishes over the held span while it is busy on both sides. Per position, the mean power of the
   first difference over a 0.25 ms window is compared with the *smaller* of the mean powers over
   the 1 ms just before and the 1 ms just after it, both floored at the power that 16-bit
   quantisation leaves in a first difference. Sound on one side only (an onset after silence, the
   edge of a pause) does not count, nor does quiet, slowly changing audio in 16-bit PCM, whose
   sides are as still as the window; a low tone's slowest 0.25 ms dips about 2 bels. Cues: the
   deepest dip (bels, capped at -5) and ``log1p`` of the number of separate dips deeper than 3 and
   4.5 bels (capped at 8: a dropout is one dip, while hard clipping, whose plateaus are held spans
   too, gives hundreds; the caps keep clipping from setting the cues' scale).
   On the default recipe's test split, segments with a synthetic ``step`` click of 9 samples or
   more dip 5.3-8.8 bels (before the cap), clean ones never past 3.8, as synthesised or in 16-bit PCM
   (``experiments/audio_artifacts/README.md``, "Dropouts").

Everything is fixed tensor arithmetic (matmuls with fixed bases, pooling, reductions): no FFT op (the
TorchScript ONNX exporter has none), no data-dependent control flow, so the module exports to ONNX
inside the classifier and takes any batch size. Inputs need at least ``min_samples``; the comb looks
at the first ``comb_s`` seconds (zero-padded when shorter), the other cues at the whole input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

EPS = 1e-14  # -140 dB: the power floor of every log, so digital silence gives finite cues
COMB_RATE_HZ = 2000.0  # the comb is analysed after decimating to about this rate
DECIMATE_BLOCK = 16  # decimated samples computed per matmul row
COMB_STEP_HZ = 0.5  # spectrum grid around each harmonic
COMB_RING_HZ = (4.0, 12.0)  # background ring around each harmonic
COMB_NEAR_HZ = 3.5  # "local peak" window for the lock cue
COMB_STAND_OUT_B = 1.0  # a harmonic stands out when 10 dB over its ring
COMB_LOCK_PENALTY = 3.0  # bels of salience lost per bel the comb bins sit below the local peak
CLICK_BLOCK_S = 0.001
CLICK_CONTEXT_BLOCKS = 10  # background: +/-10 ms around a block
CLICK_THRESHOLDS_B = (1.5, 2.0, 3.0)
NOISE_FRAME_S = 0.016
NOISE_BIN_STEP = 2  # every other DFT bin (62.5 Hz apart at 16 ms: 125 Hz, the Hann main lobe's half-width)
NOISE_BANDS_HZ = {"mid": (1000.0, 4000.0), "high": (4000.0, 15000.0)}
DIP_WINDOW_S = 0.00025  # the held span looked at: 8 samples at 32 kHz
DIP_SIDE_S = 0.001  # activity measured this long on each side of it
DIP_FLOOR = 2.0 * (2.0**-15) ** 2 / 12.0  # power of 16-bit quantisation noise in a first difference
DIP_THRESHOLDS_B = (3.0, 4.5)
# Caps, so that hard clipping (thousands of positions 9-10 bels deep) does not set the cues' scale:
# past them a segment holds spans as surely as it ever will.
DIP_DEPTH_CAP_B = 5.0
DIP_COUNT_CAP = 8.0
TOP_BANDS_HZ = {"upper": (11000.0, 14000.0), "top": (14000.0, 16000.0)}  # top_band=True only
TOP_STATS = ("step_floor", "step_mean", "step_std", "level_std", "flat_mean", "floor_level")
NOISE_STATS = ("flat_mean", "flat_std", "level_mean", "level_std", "floor_flat", "floor_level")  # per band
FLOOR_TEMPERATURE_B = 0.2  # soft minimum over frame levels, in bels (2 dB)


def cue_names(
    mains_hz: Sequence[float] = (50.0, 60.0), top_band: bool = False, dips: bool = False
) -> list[str]:
    """The name of each output entry, in order."""
    names = [f"comb{f0:g}_{c}" for f0 in mains_hz for c in ("fund", "odd", "even", "count", "lock")]
    click_stats = ["peak", *(f"count{round(10 * t)}" for t in CLICK_THRESHOLDS_B), "crest"]
    names += [f"click{order}_{s}" for order in (1, 2) for s in click_stats]
    names += [f"{band}_{s}" for band in NOISE_BANDS_HZ for s in NOISE_STATS]
    names.append("high_share")
    names += [f"top_{s}" for s in TOP_STATS] if top_band else []
    return names + (["dip_depth", *(f"dip_count{round(10 * t)}" for t in DIP_THRESHOLDS_B)] if dips else [])


CUE_NAMES = tuple(cue_names())


def _log10(x: torch.Tensor) -> torch.Tensor:
    return torch.log10(x + EPS)


def _std(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    centred = x - x.mean(dim=dim, keepdim=True)
    return torch.sqrt((centred * centred).mean(dim=dim) + 1e-12)


class AudioCues(nn.Module):
    """Waveform ``(B, N)`` (or ``(B, 1, N)``) in [-1, 1] at ``sample_rate`` -> cues ``(B, dim)``."""

    def __init__(
        self,
        sample_rate: int = 32000,
        comb_s: float = 1.0,
        mains_hz: Sequence[float] = (50.0, 60.0),
        harmonics: int = 8,
        top_band: bool = False,
        dips: bool = False,
    ) -> None:
        super().__init__()
        self.sample_rate = int(sample_rate)
        self.mains_hz = tuple(float(f) for f in mains_hz)
        self.harmonics = int(harmonics)
        self.top_band = bool(top_band)
        self.dips = bool(dips)
        self.names = cue_names(self.mains_hz, self.top_band, self.dips)
        self.dim = len(self.names)
        self._init_comb(comb_s)
        self._init_clicks()
        self._init_noise()

    # ------------------------------------------------------------------------------------ set-up

    def _init_comb(self, comb_s: float) -> None:
        sr = self.sample_rate
        self.decimation = max(1, round(sr / COMB_RATE_HZ))
        fs = sr / self.decimation
        cutoff = 0.35 * fs
        top = self.harmonics * max(self.mains_hz) + COMB_RING_HZ[1]
        if (
            self.harmonics < 1
            or not self.mains_hz
            or top > cutoff
            or min(self.mains_hz) <= 2 * COMB_RING_HZ[1]
        ):
            raise ValueError(
                f"AudioCues: mains_hz {list(self.mains_hz)} x harmonics {self.harmonics} must stay "
                f"below {cutoff:.0f} Hz and mains above {2 * COMB_RING_HZ[1]:g} Hz at sample_rate {sr}"
            )
        # Blackman-windowed sinc low-pass (unit DC gain) evaluated only at the kept samples, as a
        # few matmuls: output block j (DECIMATE_BLOCK samples) reads input blocks j..j+q-1.
        d, g = self.decimation, DECIMATE_BLOCK
        half = 16 * d
        t = torch.arange(2 * half + 1, dtype=torch.float64)
        lowpass = torch.sinc(2 * cutoff / sr * (t - half)) * torch.blackman_window(
            2 * half + 1, periodic=False, dtype=torch.float64
        )
        lowpass = lowpass / lowpass.sum()
        self.block_in = d * g  # input samples per output block
        taps = len(lowpass) + d * (g - 1)  # input span of one output block
        blocks_in = -(-taps // self.block_in)
        weights = torch.zeros(blocks_in * self.block_in, g, dtype=torch.float64)
        for o in range(g):  # output o of a block is centred on its input sample d * o
            weights[d * o : d * o + len(lowpass), o] = lowpass
        self.register_buffer(
            "lowpass", weights.reshape(blocks_in, self.block_in, g).float(), persistent=False
        )  # (blocks_in, block_in, g)
        self.comb_len = -(-max(round(comb_s * fs), 1) // g) * g
        self.comb_pad = half
        m = torch.arange(self.comb_len, dtype=torch.float64)
        window = torch.hann_window(self.comb_len, periodic=False, dtype=torch.float64)
        window = window / window.square().sum().sqrt()  # white noise of variance s2 -> power s2 per bin
        # Distinct harmonic frequencies (50 x 6 = 60 x 5 = 300 Hz is computed once).
        freqs = sorted({round(f0 * k, 6) for f0 in self.mains_hz for k in range(1, self.harmonics + 1)})
        index = [
            [freqs.index(round(f0 * k, 6)) for k in range(1, self.harmonics + 1)] for f0 in self.mains_hz
        ]
        self.register_buffer("harmonic_index", torch.tensor(index).flatten(), persistent=False)
        phase = 2 * math.pi * torch.tensor(freqs, dtype=torch.float64)[:, None] * m / fs  # (H, M)
        self.register_buffer("demod_cos", (torch.cos(phase) * window).float(), persistent=False)
        self.register_buffer("demod_sin", (-torch.sin(phase) * window).float(), persistent=False)
        steps = round(COMB_RING_HZ[1] / COMB_STEP_HZ)
        delta = torch.arange(-steps, steps + 1, dtype=torch.float64) * COMB_STEP_HZ  # (D,)
        phase = 2 * math.pi * m[:, None] * delta / fs  # (M, D)
        self.register_buffer("zoom_cos", torch.cos(phase).float(), persistent=False)
        self.register_buffer("zoom_sin", torch.sin(phase).float(), persistent=False)
        k = torch.arange(1, self.harmonics + 1, dtype=torch.float64)[:, None]
        on = delta.abs() <= 0.5 + 0.25 * k + 1e-9  # (K, D): the comb tolerance grows with k
        ring = (delta.abs() >= COMB_RING_HZ[0]) & (delta.abs() <= COMB_RING_HZ[1])
        self.register_buffer("on_mask", on.float(), persistent=False)
        self.register_buffer("near_mask", (delta.abs() <= COMB_NEAR_HZ).float(), persistent=False)
        self.register_buffer("ring_weights", (ring / ring.sum()).float(), persistent=False)

    def _init_clicks(self) -> None:
        self.click_block = max(round(CLICK_BLOCK_S * self.sample_rate), 1)
        self.dip_window = max(round(DIP_WINDOW_S * self.sample_rate), 2)
        self.dip_side = max(round(DIP_SIDE_S * self.sample_rate), self.dip_window)

    def _init_noise(self) -> None:
        sr = self.sample_rate
        self.frame = max(round(NOISE_FRAME_S * sr), 8)
        window = torch.hann_window(self.frame, periodic=False, dtype=torch.float64)
        window = window / window.square().sum().sqrt()
        t = torch.arange(self.frame, dtype=torch.float64)
        spacing_hz = NOISE_BIN_STEP * sr / self.frame  # between the kept DFT bins
        ranges = []
        bands = {**NOISE_BANDS_HZ, **(TOP_BANDS_HZ if self.top_band else {})}
        for name, (lo_hz, hi_hz) in bands.items():
            lo, hi = math.ceil(lo_hz / spacing_hz), math.floor(min(hi_hz, 0.47 * sr) / spacing_hz)
            if hi - lo < 3:
                raise ValueError(
                    f"AudioCues: sample_rate {sr} is too low for the {name} band {lo_hz}-{hi_hz} Hz"
                    + (" (top_band=True needs about 32 kHz)" if name in TOP_BANDS_HZ else "")
                )
            ranges.append((lo, hi + 1))
        first, last = min(lo for lo, _ in ranges), max(hi for _, hi in ranges)
        self.band_slices = [(lo - first, hi - first) for lo, hi in ranges]  # rows of the power
        bins = torch.arange(first, last, dtype=torch.float64)[:, None] * NOISE_BIN_STEP
        phase = 2 * math.pi * bins * t / self.frame
        basis = torch.cat([torch.cos(phase) * window, -torch.sin(phase) * window])  # (2 * bins, frame)
        self.register_buffer("band_dft", basis.T.contiguous().float(), persistent=False)  # (frame, 2 * bins)
        self.register_buffer("frame_power", window.square().float(), persistent=False)

    @property
    def min_samples(self) -> int:
        """The shortest input: one noise frame, a few click blocks, one side of a dip."""
        return max(self.frame, self.click_block + 2, self.dip_side + 1)

    # ---------------------------------------------------------------------------------- forward

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        if wave.dim() == 3:  # (B, 1, N)
            wave = wave[:, 0]
        # Full precision even under bf16 autocast: the comb needs 60+ dB of dynamic range.
        with torch.autocast(wave.device.type, enabled=False):
            wave = wave.float()
            parts = [self.comb(wave), self.clicks(wave), self.noise(wave)]
            return torch.cat(parts + ([self.dropouts(wave)] if self.dips else []), dim=1)

    def comb(self, wave: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> ``(B, 5 * len(mains_hz))``: fund, odd, even, count, lock per mains frequency."""
        blocks_in, block_in, g = self.lowpass.shape
        blocks_out = self.comb_len // g
        span = block_in * (blocks_out + blocks_in - 1)  # input behind the first comb_len outputs
        x = F.pad(wave, (self.comb_pad, span))[:, :span]  # first comb_s, zero-padded when shorter
        x = sum(
            torch.matmul(
                x[:, block_in * q : block_in * (q + blocks_out)].reshape(-1, blocks_out, block_in), w
            )
            for q, w in enumerate(self.lowpass)
        ).reshape(-1, self.comb_len)  # (B, M): low-passed and decimated
        zr = x[:, None, :] * self.demod_cos  # (B, H, M): the Hann-windowed signal shifted by -f_h
        zi = x[:, None, :] * self.demod_sin
        re = torch.matmul(zr, self.zoom_cos) + torch.matmul(zi, self.zoom_sin)  # (B, H, D)
        im = torch.matmul(zi, self.zoom_cos) - torch.matmul(zr, self.zoom_sin)
        power = torch.index_select(re * re + im * im, 1, self.harmonic_index)
        power = power.reshape(power.shape[0], len(self.mains_hz), self.harmonics, -1)  # (B, F0, K, D)
        on = _log10(torch.amax(power * self.on_mask, dim=-1))  # (B, F0, K)
        near = _log10(torch.amax(power * self.near_mask, dim=-1))
        ring = (_log10(power) * self.ring_weights).sum(dim=-1)
        lock = (on - near).clamp(-3.0, 0.0)
        # A harmonic counts only as far as its line sits on the comb: leakage from an off-comb line
        # (a drone 1-4 Hz away) can raise the comb bins above the ring, but never to the local peak.
        excess = on - ring
        salience = (excess + COMB_LOCK_PENALTY * lock).clamp(-1.0, 6.0)
        fundamental = salience[..., 0]
        odd = salience[..., 0::2].mean(dim=-1)  # k = 1, 3, 5, ...
        even = salience[..., 1::2].mean(dim=-1) if self.harmonics > 1 else odd
        count = (salience > COMB_STAND_OUT_B).float().mean(dim=-1)
        weight = excess.clamp(0.0, 3.0)
        lock = (weight * lock).sum(dim=-1) / (weight.sum(dim=-1) + 0.1)
        return torch.stack([fundamental, odd, even, count, lock], dim=2).flatten(1)

    def clicks(self, wave: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> ``(B, 10)``: the impulse cues of the first, then the second difference."""
        d1 = wave[:, 1:] - wave[:, :-1]
        d2 = d1[:, 1:] - d1[:, :-1]
        return torch.cat([self._impulses(d1), self._impulses(d2)], dim=1)

    def _impulses(self, highpassed: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> ``(B, 5)``: peak ratio, counts over 15/20/30 dB, crest (bels)."""
        b, r = self.click_block, CLICK_CONTEXT_BLOCKS
        e = highpassed * highpassed
        blocks = e[:, : e.shape[1] // b * b].reshape(e.shape[0], -1, b)  # (B, J, b)
        peak = blocks.amax(dim=2)[:, None]  # (B, 1, J)
        mean = blocks.mean(dim=2)[:, None]
        padded = F.pad(mean, (r, r), mode="replicate")
        wide = F.avg_pool1d(padded, 2 * r + 1, 1) * (2 * r + 1)
        close = F.avg_pool1d(padded, 3, 1)[..., r - 1 : -(r - 1)] * 3
        background = (wide - close).clamp(min=0.0) / (2 * r - 2)
        ratio = (_log10(peak) - _log10(background)).clamp(-2.0, 8.0)[:, 0]  # (B, J)
        counts = [torch.log1p((ratio > t).float().sum(dim=1)) for t in CLICK_THRESHOLDS_B]
        crest = (_log10(peak.amax(dim=(1, 2))) - _log10(mean.mean(dim=(1, 2)))).clamp(0.0, 8.0)
        return torch.stack([ratio.amax(dim=1), *counts, crest], dim=1)

    def dip_ratio(self, wave: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> ``(B, N - w)``: per position, bels of the first difference's power over the
        0.25 ms window against the quieter 1 ms side (<= 0 where the window is the stiller)."""
        d1 = wave[:, 1:] - wave[:, :-1]
        e = (d1 * d1)[:, None]  # (B, 1, N - 1)
        w, side = self.dip_window, self.dip_side
        inner = F.avg_pool1d(e, w, 1)  # inner[t]: mean of e[t : t + w]
        sides = F.avg_pool1d(e, side, 1)  # sides[t]: mean of e[t : t + side]
        m = inner.shape[-1]
        # Beyond the input there is no sound: a span at either end is never a dip.
        before = F.pad(sides, (side, 0))[..., :m]  # mean of e[t - side : t]
        after = F.pad(sides, (0, side + w))[..., w : w + m]  # mean of e[t + w : t + w + side]
        busy = torch.minimum(before, after)
        return (torch.log10(inner + DIP_FLOOR) - torch.log10(busy + DIP_FLOOR))[:, 0]

    def dropouts(self, wave: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> ``(B, 3)``: deepest dip (bels, capped), log1p of the dips past 3 / 4.5 bels."""
        return self.dip_summary(self.dip_ratio(wave))

    @staticmethod
    def dip_summary(ratio: torch.Tensor) -> torch.Tensor:
        """:meth:`dip_ratio`'s ``(B, M)`` -> the three dropout cues ``(B, 3)``."""
        counts = []
        for t in DIP_THRESHOLDS_B:
            below = (ratio < -t).float()
            starts = below[:, :1] + (below[:, 1:] - below[:, :-1]).clamp(min=0.0)  # each dip once
            counts.append(torch.log1p(starts.sum(dim=1).clamp(max=DIP_COUNT_CAP)))
        return torch.stack([ratio.amin(dim=1).clamp(-DIP_DEPTH_CAP_B, 0.0), *counts], dim=1)

    def noise(self, wave: torch.Tensor) -> torch.Tensor:
        """``(B, N)`` -> ``(B, 6 * bands + 1 [+ 6])``: flatness and level statistics per band, high
        share [, top-band cues]."""
        n = self.frame
        frames = wave[:, : wave.shape[1] // n * n].reshape(wave.shape[0], -1, n)  # (B, T, n)
        re, im = torch.matmul(frames, self.band_dft).transpose(1, 2).chunk(2, dim=1)  # (B, bins, T)
        power = re * re + im * im
        out = []
        for lo, hi in self.band_slices[: len(NOISE_BANDS_HZ)]:
            level, flat = self._level_flatness(power[:, lo:hi])
            quiet = torch.softmax(-level / FLOOR_TEMPERATURE_B, dim=1)  # weights on the quietest frames
            out += [
                flat.mean(dim=1),
                _std(flat),
                level.mean(dim=1),
                _std(level),
                (quiet * flat).sum(dim=1),
                (quiet * level).sum(dim=1),
            ]
        # Parseval: sum over all bins of |X|^2 = frame * sum((w x)^2); the band is one-sided, so x2.
        lo, hi = self.band_slices[len(NOISE_BANDS_HZ) - 1]  # the high band
        high = power[:, lo:hi].sum(dim=(1, 2)) * (2.0 * NOISE_BIN_STEP / n)
        total = torch.matmul(frames * frames, self.frame_power).sum(dim=1)  # sum over frames of (w x)^2
        out.append((_log10(high) - _log10(total)).clamp(-14.0, 0.5))
        if self.top_band:
            (ulo, uhi), (tlo, thi) = self.band_slices[len(NOISE_BANDS_HZ) :]
            upper = _log10(power[:, ulo:uhi].mean(dim=1))  # level only: its flatness is not a cue
            top, top_flat = self._level_flatness(power[:, tlo:thi])
            step = (top - upper).clamp(-4.0, 2.0)  # bels; hiss ~0, a rolled-off bed well below
            quiet = torch.softmax(-upper / FLOOR_TEMPERATURE_B, dim=1)
            out += [
                (quiet * step).sum(dim=1),
                step.mean(dim=1),
                _std(step),
                _std(top),
                top_flat.mean(dim=1),
                (quiet * top).sum(dim=1),
            ]
        return torch.stack(out, dim=1)

    @staticmethod
    def _level_flatness(band: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Band power ``(B, bins, T)`` -> per frame level (log10 mean power, ~dBFS / 10) and log
        spectral flatness (<= 0), each ``(B, T)``."""
        level = _log10(band.mean(dim=1))
        return level, _log10(band).mean(dim=1) - level
