"""Pure numpy kernels behind the audio defects.

Every kernel takes float32 ``(channels, samples)`` audio and returns new float32 audio of the same
shape; inputs are never mutated. Kernels draw nothing at random: any noise waveform comes from
``np.random.default_rng(noise_seed)`` with the seed passed in as a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft

from synth.audio.base import check_audio, fit_peak

PEAK = 0.99  # additive defects keep |x| <= PEAK (scale down only)
LOCAL_WINDOW_S = 0.010  # window of the "local" signal energy a click is measured against
MIN_CLICK_SCALE = 0.5  # a click near full scale keeps at least half its amplitude (tips clipped)
CLICK_SEARCH_S = 0.05  # a click too quiet where drawn is first looked for a place within this (then anywhere)
HISS_LOW_HZ = 100.0  # coloured noise is flat below this: brown hiss is not all sub-bass rumble
SOFT_KNEE = 1.0
HUM_EXPOSURE_HZ = (90.0, 4000.0)  # harmonics counted for audibility (small speakers lose 50/60 Hz)
HISS_BANDS_HZ = ((500.0, 1000.0), (1000.0, 2000.0), (2000.0, 4000.0), (4000.0, 8000.0), (8000.0, 16000.0))
OCTAVE_BANDS_HZ = tuple((62.5 * 2**k, 125.0 * 2**k) for k in range(8))  # 62.5 Hz - 16 kHz
MAX_EXTRA_DRIVE_DB = 30.0  # distortion is driven at most this much harder to become audible
EXTRA_DRIVE_STEP_DB = 3.0  # soft clippers count a sample as clipped once the drive reaches their ceiling


def rms(audio: np.ndarray) -> float:
    """Root mean square over all channels and samples (0 for empty audio)."""
    if audio.size == 0:
        return 0.0
    flat = audio.astype(np.float64, copy=False).ravel()
    return float(np.sqrt(np.dot(flat, flat) / flat.size))


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def band_powers(audio: np.ndarray, sample_rate: int, bands: Sequence[tuple[float, float]]) -> np.ndarray:
    """Mean power of ``audio`` (channels averaged) in each ``[low, high)`` Hz band (float64)."""
    n = audio.shape[-1]
    spectrum = np.abs(scipy.fft.rfft(np.atleast_2d(audio).astype(np.float64), axis=-1)) ** 2
    cumulative = np.concatenate([[0.0], np.cumsum(spectrum.mean(axis=0))])
    edges = np.clip(
        np.round(np.asarray(bands, dtype=np.float64) * n / sample_rate).astype(int), 0, n // 2 + 1
    )
    edges[:, 1] = np.maximum(edges[:, 1], edges[:, 0] + 1)
    edges = np.minimum(edges, n // 2 + 1)
    return (cumulative[edges[:, 1]] - cumulative[edges[:, 0]]) / (n * n)


def usable_bands(bands: Sequence[tuple[float, float]], sample_rate: int) -> list[tuple[float, float]]:
    """The ``bands`` that start below 0.45 x the sample rate, their tops cut at Nyquist."""
    return [(lo, min(hi, sample_rate / 2)) for lo, hi in bands if lo < 0.45 * sample_rate]


def critical_halfwidth(freq_hz: float) -> float:
    """Half the critical bandwidth of hearing at ``freq_hz``: ~100 Hz wide below 500 Hz, 20 % above."""
    return max(50.0, 0.1 * freq_hz)


def exposure_gain(content: np.ndarray, added: np.ndarray, margin_db: float) -> float:
    """Smallest gain on ``added`` making it ``margin_db`` louder than ``content`` in at least one band.

    Both are band powers over the same bands. This is the audibility guarantee of additive
    defects: a defect drowned in every band by the content (hiss under rain, hum under a bass
    note) is raised until it stands out somewhere, as a listener needs it to.
    """
    ratio = added / np.maximum(content, 1e-30)
    best = float(np.max(ratio)) if ratio.size else 0.0
    return float(np.sqrt(10.0 ** (margin_db / 10.0) / best)) if best > 0 else 0.0


# ---------------------------------------------------------------------------------------------- clicks


def click_starts(
    num_samples: int,
    sample_rate: int,
    first_position: float,
    gaps_s: Sequence[float],
    widths: Sequence[int],
) -> list[int]:
    """Start samples of clicks laid out as a Poisson process on the clip seen as a circle.

    The first click sits at ``first_position`` (a fraction of the clip), click ``k`` follows after
    ``gaps_s[k-1]`` seconds, wrapping around the end; clicks stop when the gaps add up to the clip
    length, so the count scales with the clip duration. Returns as many starts as clicks fit, in
    the order of ``widths`` (at most ``len(widths)``).
    """
    duration = num_samples / sample_rate
    times = [first_position * duration]
    elapsed = 0.0
    for gap in gaps_s[: max(len(widths) - 1, 0)]:
        elapsed += float(gap)
        if elapsed >= duration:
            break
        times.append((times[0] + elapsed) % duration)
    starts = []
    for t, width in zip(times, widths):
        width = min(int(width), num_samples)
        starts.append(int(min(int(t * sample_rate), num_samples - width)))
    return starts


def click_waveform(shape: str, width: int, noise: np.ndarray | None = None) -> np.ndarray:
    """Unit-peak click of ``width`` samples (float64).

    ``impulse``: a Hann-shaped spike (one sample when ``width`` is 1); ``burst``: exponentially
    decaying noise (needs ``noise`` of ``width`` samples); ``step``: a flat run (the samples are
    replaced by a constant, like a short dropout or stuck converter).
    """
    if width < 1:
        raise ValueError(f"click width must be >= 1 sample, got {width}")
    if shape == "impulse":
        if width == 1:
            return np.ones(1)
        return np.sin(np.pi * (np.arange(width) + 0.5) / width) ** 2
    if shape == "burst":
        if noise is None or len(noise) != width:
            raise ValueError("a burst click needs `width` samples of noise")
        decay = np.exp(-np.arange(width) / max(width / 4.0, 1.0))
        wave = noise * decay
        wave[0] = abs(wave[0]) + 1.0  # a sharp leading edge, whatever the noise does
        return wave / np.max(np.abs(wave))
    if shape == "step":
        return np.ones(width)
    raise ValueError(f"unknown click shape {shape!r}; expected impulse, burst or step")


def add_clicks(
    audio: np.ndarray,
    sample_rate: int,
    starts: Sequence[int],
    widths: Sequence[int],
    shapes: Sequence[str],
    polarities: Sequence[int],
    levels_db: Sequence[float],
    floor_dbfs: float,
    noise_seed: int,
    min_level_db: float | None = None,
) -> tuple[np.ndarray, list[float], list[int], int]:
    """Clicks at ``[start, start + width)``; nothing outside those spans changes.

    A click's energy is ``levels_db`` above the clip's energy in the surrounding
    ``LOCAL_WINDOW_S`` (so short and long clicks are equally conspicuous), and its peak is at
    least ``floor_dbfs`` (so clicks on near-silence are heard). Additive clicks are scaled down
    (and their polarity flipped when that leaves more room) so no sample exceeds ``PEAK``; if that
    would take a click below ``MIN_CLICK_SCALE`` of its amplitude, the click's own tips are clipped
    at ``PEAK`` instead. A ``step`` replaces its span with a constant.

    On loud content that headroom can leave far less change than asked for (a one-sample tick
    meant to be 15 dB over loud speech, clipped at full scale, ends up below the speech around it).
    With ``min_level_db``, a click whose realised level, i.e. the energy of what it changes over
    the local energy, would fall below ``min_level_db`` moves to the nearest start where it
    reaches it and overlaps no earlier click; when no start reaches it (loud content all through),
    to the free start where it realises the most. Returns the audio, each click's amplitude, each
    click's start (in input order) and how many clicks found no start reaching ``min_level_db``.
    """
    check_audio(audio)
    out = audio.copy()
    n = audio.shape[1]
    if n == 0 or not len(starts):
        return out, [], [int(s) for s in starts], 0
    power = np.mean(audio.astype(np.float64) ** 2, axis=0)
    cumulative = np.concatenate([[0.0], np.cumsum(power)])
    half = max(int(round(LOCAL_WINDOW_S * sample_rate / 2)), 1)
    floor = db_to_gain(floor_dbfs)
    rng = np.random.default_rng(noise_seed)
    taken = np.zeros(n, dtype=bool)  # samples of earlier clicks
    radius = max(int(CLICK_SEARCH_S * sample_rate), 1)
    peaks: list[float] = []
    placed: list[int] = []
    quiet = 0
    for start, width, shape, polarity, level_db in zip(starts, widths, shapes, polarities, levels_db):
        width = min(int(width), n)
        start = int(start)
        noise = rng.standard_normal(width) if shape == "burst" else None
        wave = click_waveform(shape, width, noise)
        if min_level_db is not None:
            start, heard = _audible_start(
                out,
                cumulative,
                taken,
                start,
                wave,
                (shape, polarity, level_db, floor),
                half,
                min_level_db,
                radius,
            )
            quiet += not heard
        new, amp = _click_values(
            out[:, start : start + width].astype(np.float64)[:, None, :],
            _local_energy(cumulative, np.array([start]), width, half, n),
            wave,
            shape,
            polarity,
            level_db,
            floor,
        )
        out[:, start : start + width] = new[:, 0]
        taken[start : start + width] = True
        peaks.append(float(amp[0]))
        placed.append(start)
    return out, peaks, placed, quiet


def click_level_db(clean: np.ndarray, out: np.ndarray, start: int, width: int, sample_rate: int) -> float:
    """Realised level of the click at ``[start, start + width)``: the energy of what it changed over
    the clean energy of the ``LOCAL_WINDOW_S`` around it, in dB (what ``min_level_db`` bounds)."""
    c, o = clean.astype(np.float64), out.astype(np.float64)
    n = c.shape[1]
    cumulative = np.concatenate([[0.0], np.cumsum(np.mean(c**2, axis=0))])
    half = max(int(round(LOCAL_WINDOW_S * sample_rate / 2)), 1)
    local = float(_local_energy(cumulative, np.array([start]), width, half, n)[0])
    change = np.mean(np.sum((o[:, start : start + width] - c[:, start : start + width]) ** 2, axis=1))
    return float(10 * np.log10(max(change, 1e-30) / max(local, 1e-20)))


def _local_energy(cumulative: np.ndarray, starts: np.ndarray, width: int, half: int, n: int) -> np.ndarray:
    """Energy of the clip in the ``2 * half`` samples around each click (edges extrapolated)."""
    center = starts + width // 2
    lo, hi = np.maximum(center - half, 0), np.minimum(center + half, n)
    return (cumulative[hi] - cumulative[lo]) * (2 * half) / np.maximum(hi - lo, 1)


def _click_values(
    spans: np.ndarray,
    local_energy: np.ndarray,
    wave: np.ndarray,
    shape: str,
    polarity: int,
    level_db: float,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The samples of a click placed over each candidate span (``(channels, m, width)``) and its amplitude."""
    amp = np.sqrt(10.0 ** (level_db / 10.0) * local_energy / np.sum(wave**2))
    amp = np.maximum(amp, floor)
    limit = np.maximum(PEAK, np.max(np.abs(spans), axis=(0, 2)))
    if shape == "step":
        amp = np.minimum(amp, PEAK)
        new = np.broadcast_to(polarity * amp[None, :, None] * wave, spans.shape)
        return np.clip(new, -limit[None, :, None], limit[None, :, None]), amp
    scales = [_headroom_scale(spans, sign * amp[:, None] * wave, limit) for sign in (polarity, -polarity)]
    # keep the drawn polarity when it fits whole or leaves as much room as the flipped one
    keep = (scales[0] >= 1.0) | (scales[0] + 1e-9 >= scales[1])
    sign = np.where(keep, polarity, -polarity)
    # never shrink a click below MIN_CLICK_SCALE: past that its own tips are clipped instead
    amp = amp * np.maximum(np.where(keep, scales[0], scales[1]), MIN_CLICK_SCALE)
    new = spans + (sign * amp)[None, :, None] * wave
    return np.clip(new, -limit[None, :, None], limit[None, :, None]), amp


def _audible_start(
    out: np.ndarray,
    cumulative: np.ndarray,
    taken: np.ndarray,
    start: int,
    wave: np.ndarray,
    click: tuple[str, int, float, float],
    half: int,
    min_level_db: float,
    radius: int,
) -> tuple[int, bool]:
    """The start nearest ``start`` where the click changes at least ``min_level_db`` over the local
    energy and overlaps no earlier click: the drawn one when it does, else the nearest such start
    (searched in rings of growing distance: every sample up to 256 away, every 4th up to
    ``radius``, every 16th over the rest of the clip; the earlier start wins a tie). When no start
    qualifies (loud content all through), the free start searched with the highest realised level,
    with False. ``click`` is ``(shape, polarity, level_db, floor)`` as :func:`_click_values` takes them."""
    n, width = out.shape[1], len(wave)
    windows = np.lib.stride_tricks.sliding_window_view(out, width, axis=-1)  # (channels, starts, width)
    taken_windows = np.lib.stride_tricks.sliding_window_view(taken, width)  # (starts, width)

    def level_db(candidates: np.ndarray) -> np.ndarray:
        """Realised level at each candidate start; -inf where it would overlap an earlier click."""
        spans = windows[:, candidates, :].astype(np.float64)
        local = _local_energy(cumulative, candidates, width, half, n)
        new, _ = _click_values(spans, local, wave, *click)
        change = np.mean(np.sum((new - spans) ** 2, axis=2), axis=0)
        free = ~taken_windows[candidates].any(axis=1)
        ratio = 10.0 * np.log10(np.maximum(change, 1e-30) / np.maximum(local, 1e-20))
        return np.where(free, ratio, -np.inf)

    level = level_db(np.array([start]))[0]
    if level >= min_level_db:
        return start, True
    best, best_level = start, level
    # Rings of growing distance, nearest first, on a coarser grid the farther out: most clicks find
    # a place within a few ms, and a whole-clip search stays cheap.
    for near, far, step in ((1, 256, 1), (256, radius, 4), (radius, n, 16)):
        offsets = np.arange(near, max(far, near + 1), step)
        candidates = np.stack([start - offsets, start + offsets], axis=1).ravel()  # nearest first
        candidates = candidates[(candidates >= 0) & (candidates <= n - width)]
        if not candidates.size:
            continue
        levels = level_db(candidates)
        ok = levels >= min_level_db
        if ok.any():
            return int(candidates[np.argmax(ok)]), True
        if levels.max() > best_level:
            best, best_level = int(candidates[np.argmax(levels)]), float(levels.max())
    return best, False


def _headroom_scale(spans: np.ndarray, clicks: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Per candidate, the largest factor in [0, 1] keeping ``|span + factor * click| <= limit``.

    ``spans`` is ``(channels, m, width)``, ``clicks`` ``(m, width)`` and ``limit`` ``(m,)``.
    """
    moving = np.abs(clicks) > 0  # (m, width)
    sign = np.sign(clicks)
    room = (limit[None, :, None] - spans * sign[None]) / np.where(moving, np.abs(clicks), 1.0)[None]
    room = np.where(moving[None], room, np.inf)
    scale = np.min(room, axis=(0, 2))
    return np.clip(np.where(np.isfinite(scale), scale, 1.0), 0.0, 1.0)


# ------------------------------------------------------------------------------------------------- hum


def hum_waveform(
    num_samples: int,
    sample_rate: int,
    mains_hz: float,
    amplitudes: Sequence[float],
    phases: Sequence[float],
    lfo_hz: float,
    lfo_depth_db: float,
    lfo_phase: float,
    freq_offset_hz: float,
    wander_hz: float,
    wander_rate_hz: float,
    wander_phase: float,
) -> np.ndarray:
    """Unit-RMS mains hum (float64, ``(num_samples,)``).

    Harmonic ``k`` (1-based) of a fundamental at ``mains_hz + freq_offset_hz`` that wanders by
    ``wander_hz`` at ``wander_rate_hz`` has amplitude ``amplitudes[k-1]``; harmonics at or above
    0.45 x the sample rate are dropped. The level swings by ``lfo_depth_db`` peak to peak.
    """
    t = np.arange(num_samples) / sample_rate
    base = mains_hz + freq_offset_hz
    cycles = base * t
    if wander_hz > 0 and wander_rate_hz > 0:
        cycles = cycles - wander_hz / (2 * np.pi * wander_rate_hz) * (
            np.cos(2 * np.pi * wander_rate_hz * t + wander_phase) - np.cos(wander_phase)
        )
    z = np.exp(2j * np.pi * cycles)
    power = np.ones_like(z)
    out = np.zeros(num_samples)
    top = 0.45 * sample_rate
    for k, (amp, phase) in enumerate(zip(amplitudes, phases), start=1):
        power = power * z
        if (base + wander_hz) * k >= top:
            break
        out += amp * (power.imag * np.cos(phase) + power.real * np.sin(phase))
    level = rms(out[None, :])
    if level > 0:
        out /= level
    if lfo_depth_db > 0 and lfo_hz > 0:
        out *= 10.0 ** (lfo_depth_db / 40.0 * np.sin(2 * np.pi * lfo_hz * t + lfo_phase))
    return out


def add_hum(
    audio: np.ndarray,
    sample_rate: int,
    mains_hz: float,
    amplitudes: Sequence[float],
    phases: Sequence[float],
    level_db: float,
    floor_dbfs: float,
    margin_db: float,
    lfo_hz: float,
    lfo_depth_db: float,
    lfo_phase: float,
    freq_offset_hz: float,
    wander_hz: float,
    wander_rate_hz: float,
    wander_phase: float,
) -> tuple[np.ndarray, dict[str, float]]:
    """Add hum at ``level_db`` re the clip RMS, never below ``floor_dbfs`` RMS.

    The hum is also raised until, around at least one of its harmonics within ``HUM_EXPOSURE_HZ``,
    it is ``margin_db`` louder than the clip (see :func:`exposure_gain`). The same hum goes into
    every channel (mains interference couples into the whole chain). The mix is scaled down if
    needed so it does not clip. Returns the audio and stats: the hum RMS in dBFS (before any
    rescaling) and the rescaling gain in dB.
    """
    check_audio(audio)
    channels, n = audio.shape
    hum = hum_waveform(
        n,
        sample_rate,
        mains_hz,
        amplitudes,
        phases,
        lfo_hz,
        lfo_depth_db,
        lfo_phase,
        freq_offset_hz,
        wander_hz,
        wander_rate_hz,
        wander_phase,
    )
    target = max(rms(audio) * db_to_gain(level_db), db_to_gain(floor_dbfs))
    base = mains_hz + freq_offset_hz
    lowest, highest = HUM_EXPOSURE_HZ
    centers = [base * k for k, a in enumerate(amplitudes, start=1) if a > 0 and lowest <= base * k < highest]
    if centers and n >= sample_rate // 10:
        bands = [(c - critical_halfwidth(c), c + critical_halfwidth(c)) for c in centers]
        bands = [(max(lo, 0.0), min(hi, sample_rate / 2)) for lo, hi in bands]
        gain = exposure_gain(
            band_powers(audio, sample_rate, bands), band_powers(hum[None, :], sample_rate, bands), margin_db
        )
        target = max(target, gain)
    out = audio.astype(np.float64) + target * hum[None, :]
    mixed, rescale_db = _fit(out)
    return mixed, {"hum_dbfs": float(20 * np.log10(target)), "rescale_db": rescale_db}


# ------------------------------------------------------------------------------------------------ hiss


def coloured_noise(
    channels: int, num_samples: int, sample_rate: int, slope_db_per_octave: float, noise_seed: int
) -> np.ndarray:
    """Gaussian noise with a power spectrum sloping by ``slope_db_per_octave`` (float64, unit RMS).

    0 is white, -3 pink, -6 brown, +3 blue. Below ``HISS_LOW_HZ`` the spectrum is flat.
    """
    rng = np.random.default_rng(noise_seed)
    white = rng.standard_normal((channels, num_samples))
    if num_samples < 2:
        return white
    if slope_db_per_octave != 0.0:
        freqs = np.fft.rfftfreq(num_samples, 1.0 / sample_rate)
        ratio = np.maximum(freqs, HISS_LOW_HZ) / 1000.0
        gain = ratio ** (slope_db_per_octave / (20.0 * np.log10(2.0)))
        spectrum = scipy.fft.rfft(white, axis=-1) * gain
        spectrum[:, 0] = 0.0
        white = scipy.fft.irfft(spectrum, n=num_samples, axis=-1)
    level = rms(white)
    return white / level if level > 0 else white


def add_hiss(
    audio: np.ndarray,
    sample_rate: int,
    slope_db_per_octave: float,
    snr_db: float,
    floor_dbfs: float,
    margin_db: float,
    noise_seed: int,
) -> tuple[np.ndarray, dict[str, float | None]]:
    """Add stationary coloured noise ``snr_db`` below the clip RMS, never below ``floor_dbfs`` RMS.

    The noise is also raised until it is ``margin_db`` louder than the clip in at least one
    octave band of ``HISS_BANDS_HZ`` (see :func:`exposure_gain`). Channels get independent
    noise. The mix is scaled down if needed (which keeps the SNR). Returns the audio and stats:
    the achieved SNR in dB (None for a silent clip), the noise RMS in dBFS before rescaling and
    the rescaling gain in dB.
    """
    check_audio(audio)
    channels, n = audio.shape
    noise = coloured_noise(channels, n, sample_rate, slope_db_per_octave, noise_seed)
    signal = rms(audio)
    target = max(signal * db_to_gain(-snr_db), db_to_gain(floor_dbfs))
    bands = usable_bands(HISS_BANDS_HZ, sample_rate)
    if bands and n >= sample_rate // 10:
        gain = exposure_gain(
            band_powers(audio, sample_rate, bands), band_powers(noise, sample_rate, bands), margin_db
        )
        target = max(target, gain)
    out = audio.astype(np.float64) + target * noise
    achieved = float(20 * np.log10(signal / target)) if signal > 0 else None
    mixed, rescale_db = _fit(out)
    return mixed, {"snr_db": achieved, "noise_dbfs": float(20 * np.log10(target)), "rescale_db": rescale_db}


def _fit(mix: np.ndarray) -> tuple[np.ndarray, float]:
    """``fit_peak`` of a float64 mix, plus the gain it applied in dB (0 when none was needed)."""
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    out = fit_peak(mix.astype(np.float32), PEAK)
    return out, float(20 * np.log10(PEAK / peak)) if peak > PEAK else 0.0


# ------------------------------------------------------------------------------------------ distortion


def drive_gain(audio: np.ndarray, min_clipped_fraction: float, drive_db: float) -> float:
    """Input gain that sends ``min_clipped_fraction`` of the samples to the clip level, plus ``drive_db``.

    Measured on the clip's own sample magnitudes, so the weakest setting clips the same share of
    samples whether the clip is loud or quiet. Silent clips get a gain of 1.
    """
    mags = np.abs(audio).ravel()
    if mags.size == 0:
        return 1.0
    k = min(int(np.floor((1.0 - min_clipped_fraction) * mags.size)), mags.size - 1)
    level = float(np.partition(mags, k)[k])
    if level <= 0.0:
        level = float(np.max(mags))
    if level <= 0.0:
        return 1.0
    return db_to_gain(drive_db) / level


def distort(
    audio: np.ndarray,
    mode: str,
    gain: float,
    ceiling: float,
    asymmetry: float = 1.0,
) -> tuple[np.ndarray, tuple[float, float]]:
    """Drive ``audio * gain`` into a clipper whose output never exceeds ``ceiling``.

    ``hard``: flat tops at +/-ceiling. ``soft``: ``ceiling * tanh``. ``asymmetric``: tanh with the
    negative half saturating at ``asymmetry * ceiling`` (even harmonics, like an overdriven
    single-ended stage). ``atan``: ``ceiling * 2/pi * atan(pi/2 * x)``, a curve that never flattens
    (at 3x past the knee it is still at 86 % of the ceiling, where tanh is at 99.5 %). A driven
    sample past the knee (``|gain * x| >= SOFT_KNEE`` of its side's ceiling) counts as clipped; returns the audio and the output levels ``(positive, negative)``
    at and beyond which a sample is clipped.
    """
    check_audio(audio)
    if not 0.0 < ceiling <= 1.0:
        raise ValueError(f"ceiling must be in (0, 1], got {ceiling}")
    u = audio.astype(np.float64) * gain
    if mode == "hard":
        out = np.clip(u, -1.0, 1.0) * ceiling
        levels = (ceiling, ceiling)
    elif mode == "soft":
        out = np.tanh(u) * ceiling
        knee = float(np.tanh(SOFT_KNEE)) * ceiling
        levels = (knee, knee)
    elif mode == "asymmetric":
        if not 0.0 < asymmetry <= 1.0:
            raise ValueError(f"asymmetry must be in (0, 1], got {asymmetry}")
        out = np.where(u >= 0, np.tanh(u), asymmetry * np.tanh(u / asymmetry)) * ceiling
        levels = (float(np.tanh(SOFT_KNEE)) * ceiling, asymmetry * float(np.tanh(SOFT_KNEE)) * ceiling)
    elif mode == "atan":
        out = np.arctan(u * (np.pi / 2)) * (2 / np.pi) * ceiling
        knee = float(np.arctan(SOFT_KNEE * np.pi / 2) * 2 / np.pi) * ceiling
        levels = (knee, knee)
    else:
        raise ValueError(f"unknown distortion mode {mode!r}; expected hard, soft, asymmetric or atan")
    # levels are rounded like the output, so a sample driven exactly to a level counts as clipped
    return out.astype(np.float32), (float(np.float32(levels[0])), float(np.float32(levels[1])))


def distortion_exposure_db(clean: np.ndarray, distorted: np.ndarray, sample_rate: int) -> float:
    """How much the distortion reshapes the spectrum: the rise of the most affected octave band
    over the rise of the median band, in dB (a plain gain change scores 0).

    The residual is what a gain cannot explain (see :func:`distortion_db`). Clipping a tonal mix
    spills harmonics into quiet bands (several dB); clipping a noise bed or only a kick drum's
    peaks leaves every band about as it was (well under 1 dB) and is not heard as distortion.
    """
    x = clean.astype(np.float64)
    y = distorted.astype(np.float64)
    xx = float(np.sum(x * x))
    if xx <= 0.0:
        return 0.0
    a = float(np.sum(x * y)) / xx
    bands = usable_bands(OCTAVE_BANDS_HZ, sample_rate)
    residual = band_powers(y - a * x, sample_rate, bands)
    reference = band_powers(a * x, sample_rate, bands)
    rise = 10 * np.log10(1.0 + residual / np.maximum(reference, 1e-30))
    return float(np.max(rise) - np.median(rise))


def clipped_fraction(audio: np.ndarray, levels: tuple[float, float]) -> float:
    """Share of samples at or beyond the clip levels ``(positive, negative)``."""
    if audio.size == 0:
        return 0.0
    pos, neg = np.float32(levels[0]), np.float32(levels[1])
    return float(np.mean((audio >= pos) | (audio <= -neg)))


def distortion_db(clean: np.ndarray, distorted: np.ndarray) -> float:
    """Energy of what a gain cannot explain, re the explained part (dB; lower is cleaner)."""
    x = clean.astype(np.float64).ravel()
    y = distorted.astype(np.float64).ravel()
    xx = float(np.dot(x, x))
    if xx <= 0.0:
        return 0.0
    a = float(np.dot(x, y)) / xx
    residual = y - a * x
    explained = a * a * xx
    if explained <= 0.0:
        return 0.0
    return float(10 * np.log10(max(float(np.dot(residual, residual)), 1e-30) / explained))


FRAME_SILENCE_POWER = 1e-12  # -120 dBFS mean power: any change above it on digital silence counts


def defect_frames(
    clean: np.ndarray,
    defective: np.ndarray,
    segments: Sequence[tuple[int, int]],
    frame_samples: int,
    min_db: float = -40.0,
) -> np.ndarray:
    """Where a defect is, frame by frame: bool ``(samples // frame_samples,)``.

    Frame ``i`` (samples ``[i * frame_samples, (i + 1) * frame_samples)``) holds the defect when it
    overlaps a ground-truth segment and the change there has at least ``min_db`` of the clean frame's
    energy, or any energy above -120 dBFS on digital silence. The change is ``defective - g * clean``
    with ``g`` the least-squares gain over the whole clip, so a level change (a clipper's make-up
    gain) is not a defect anywhere. Hum and hiss then fill the segment, a clipper the frames it
    bent, a click its own frames.
    """
    if frame_samples < 1:
        raise ValueError(f"frame_samples must be >= 1, got {frame_samples}")
    c = np.asarray(clean, dtype=np.float64).reshape(clean.shape[0] if clean.ndim > 1 else 1, -1)
    d = np.asarray(defective, dtype=np.float64).reshape(c.shape)
    power = float(np.vdot(c, c))
    gain = float(np.vdot(d, c)) / power if power > 0 else 1.0
    n = c.shape[1] // frame_samples
    d = d - gain * c
    c = c[:, : n * frame_samples].reshape(c.shape[0], n, frame_samples)
    d = d[:, : n * frame_samples].reshape(c.shape)
    change = (d**2).sum(axis=(0, 2))
    energy = (c**2).sum(axis=(0, 2))
    floor = FRAME_SILENCE_POWER * frame_samples * c.shape[0]
    changed = change > np.maximum(energy * 10.0 ** (min_db / 10.0), floor)
    inside = np.zeros(n, dtype=bool)
    for start, end in segments:
        inside[max(int(start), 0) // frame_samples : -(-int(end) // frame_samples)] = True
    return changed & inside
