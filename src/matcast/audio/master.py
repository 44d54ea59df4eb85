"""Mastering a session without touching the whole session: loudness and peaks, clip by clip.

A session is a sequence of clips (speech lines, chimes) separated by silence, and most lines
recur many times. So the expensive work is done once per distinct clip:

* when a line is first spoken, :func:`level_clip` brings it to :data:`CLIP_LUFS` with its true
  peak under :data:`CLIP_CEILING_DBTP` (the result is what the utterance cache stores);
* each distinct clip's K-weighted energy, in 10 ms bins, is kept in a :class:`ProfileStore`;
* at build time, :func:`master` reads the session's BS.1770 integrated loudness off those
  profiles placed at their events' times (the gating is that of a meter run over the joined
  session, to within the 10 ms bins and the filter memory across quiet clip edges), and scales
  every clip by the one gain that brings the session to the target. Only if that gain would
  push a clip's peaks over the ceiling is that clip limited again.

A warm build therefore runs no filter at all, and does not even import the DSP libraries.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcast.audio.chimes import chime
from matcast.audio.levels import (
    CLIP_CEILING_DBTP,
    CLIP_LUFS,
    SESSION_CEILING_DBTP,
    LoudnessReport,
)
from matcast.audio.mixer import to_int16
from matcast.cues import SAMPLE_RATE, ChimeKind, CueScript, EventKind

BIN = 441
"""Samples per bin of an energy profile (10 ms)."""
LIMIT_RAMP_S = 0.01
"""Half-width of the limiter's gain ramps: the gain moves over about 20 ms around a peak."""


def level_clip(clip: np.ndarray) -> np.ndarray:
    """A spoken line at :data:`CLIP_LUFS` (±0.1 LU), true peak under :data:`CLIP_CEILING_DBTP`.

    A gain, then a smooth peak limiter; limiting lowers the loudness a little, so the gain is
    corrected and the limiter run again. True peaks scale with the gain, so they are found once.
    """
    from matcast.audio.loudness import integrated_loudness
    from matcast.audio.truepeak import peak_needs

    x = clip.astype(np.float32) / 32768.0
    lufs = integrated_loudness(x, SAMPLE_RATE)
    if not np.isfinite(lufs):
        return clip
    ceiling = 10 ** (CLIP_CEILING_DBTP / 20)
    gain_db = CLIP_LUFS - lufs
    # Every sample whose true peak could pass the ceiling at up to 3 dB more gain than planned.
    idx, peaks = peak_needs(x, ceiling / 10 ** ((gain_db + 3) / 20))
    y = x
    tried: list[tuple[float, float]] = []
    for _ in range(3):
        gain = np.float32(10 ** (gain_db / 20))
        y = _smooth_limit(x * gain, idx, peaks * gain, ceiling)
        got = integrated_loudness(y, SAMPLE_RATE)
        tried.append((gain_db, got))
        if abs(CLIP_LUFS - got) <= 0.1 or gain_db >= tried[0][0] + 3:
            break
        # Limiting harder as the gain grows, loudness rises slower than the gain: secant step.
        slope = 1.0
        if len(tried) > 1 and tried[-1][0] != tried[-2][0]:
            slope = (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0])
        gain_db = min(gain_db + (CLIP_LUFS - got) / min(1.0, max(0.2, slope)),
                      tried[0][0] + 3)
    # The gain moves over ~20 ms, so within the 10-sample reach of the true-peak filter it is
    # constant to 0.1%: peaks land on the ceiling within that. A 0.05 dB trim covers it.
    return to_int16(y * np.float32(10 ** (-0.05 / 20)))


def _smooth_limit(x: np.ndarray, idx: np.ndarray, peaks: np.ndarray,
                  ceiling: float) -> np.ndarray:
    """``x`` with the true peaks ``peaks`` (at samples ``idx``) brought under ``ceiling``.

    The gain each sample needs is held for one ramp width either side (minimum filter), then
    averaged over a window no wider than the hold, so the gain at a peak is never above what
    that peak needs, and it changes over ~20 ms rather than per sample.
    """
    from scipy import ndimage

    loud = peaks > ceiling
    if not loud.any():
        return x
    need = np.ones(x.size, dtype=np.float32)
    need[idx[loud]] = ceiling / peaks[loud]
    ramp = max(1, round(LIMIT_RAMP_S * SAMPLE_RATE))
    held = ndimage.minimum_filter1d(need, size=2 * ramp + 1, mode="nearest")
    return x * ndimage.uniform_filter1d(held, size=2 * ramp + 1, mode="nearest")


def limit_peaks(x: np.ndarray, ceiling_dbtp: float) -> np.ndarray:
    """``x`` with its 4x-oversampled peaks under ``ceiling_dbtp`` (smooth gain, then a trim)."""
    from matcast.audio.truepeak import peak_needs

    ceiling = 10 ** (ceiling_dbtp / 20)
    idx, peaks = peak_needs(x, ceiling)
    y = _smooth_limit(x, idx, peaks, ceiling)
    over, found = peak_needs(y, ceiling)
    return y * np.float32(ceiling / found.max()) if over.size else y


def energy_profile(x: np.ndarray) -> np.ndarray:
    """K-weighted (BS.1770) energy of float mono ``x`` summed over :data:`BIN`-sample bins."""
    from matcast.audio.iir import sosfilt
    from matcast.audio.kweighting import KWeighting

    kw = KWeighting(SAMPLE_RATE, 1)
    filtered = sosfilt(kw.sos.astype(np.float32), x.astype(np.float32),
                       np.zeros((len(kw.sos), 2), dtype=np.float32))[0]
    power = filtered.astype(np.float64) ** 2
    return np.add.reduceat(power, np.arange(0, max(1, x.size), BIN)) if x.size else np.zeros(1)


class ProfileStore:
    """Energy profiles of clips on disk, named by a hash of the clip's samples.

    Each file is the profile's float64 bytes followed by a BLAKE2b digest of them: a damaged or
    truncated file is detected and computed again (it is derived data), never used. Writes are
    atomic (temp file and rename), so concurrent builds may share the store.
    """

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def get(self, clip: np.ndarray) -> np.ndarray:
        """The profile of an int16 or float clip (float clips are profiled as they are)."""
        digest = hashlib.blake2b(np.ascontiguousarray(clip).tobytes(), digest_size=20)
        digest.update(str(clip.dtype).encode())
        name = digest.hexdigest()
        path = self.root / name[:2] / f"{name}.prof" if self.root else None
        bins = max(1, -(-clip.size // BIN))
        if path is not None:
            profile = _read_profile(path, bins)
            if profile is not None:
                return profile
        x = clip.astype(np.float32) / 32768.0 if clip.dtype == np.int16 else clip
        profile = energy_profile(x)
        if path is not None:
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
                try:
                    data = profile.astype("<f8").tobytes()
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(data + hashlib.blake2b(data, digest_size=32).digest())
                    os.replace(tmp, path)
                finally:
                    Path(tmp).unlink(missing_ok=True)
        return profile


def _read_profile(path: Path, bins: int) -> np.ndarray | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    data, check = raw[:-32], raw[-32:]
    if len(data) != 8 * bins or hashlib.blake2b(data, digest_size=32).digest() != check:
        return None
    return np.frombuffer(data, dtype="<f8")


@dataclass(frozen=True)
class Mastered:
    """Every distinct sound of a session, ready to join, and what the session measures."""

    speech: Mapping[str, np.ndarray]
    """Each spoken line, int16, with the session gain applied (as it is read: a
    :class:`Scaled` view of the clips, which may themselves be read from the cache)."""
    chimes: dict[ChimeKind, np.ndarray]
    """Each chime used, int16, with the session gain applied."""
    gain_db: float
    """The gain applied to everything."""
    loudness: LoudnessReport
    """Integrated loudness of the session and a bound on its true peak."""


class Scaled(Mapping[str, np.ndarray]):
    """``clips`` with ``gain`` applied to each as it is read (nothing held), except the ones
    in ``limited``, whose peaks that gain pushed over the ceiling (given as they are)."""

    def __init__(self, clips: Mapping[str, np.ndarray], gain: np.float32,
                 limited: Mapping[str, np.ndarray]) -> None:
        self.clips, self.gain, self.limited = clips, gain, dict(limited)

    def __getitem__(self, text: str) -> np.ndarray:
        found = self.limited.get(text)
        return found if found is not None else _scaled(self.clips[text], self.gain)

    def __iter__(self) -> Iterator[str]:
        return iter(self.clips)

    def __len__(self) -> int:
        return len(self.clips)

    def length(self, text: str) -> int:
        """A clip's length in samples, without reading it where its source can say."""
        length = getattr(self.clips, "length", None)
        return length(text) if length is not None else len(self.clips[text])


def master(script: CueScript, speech: Mapping[str, np.ndarray], target_lufs: float = -16.0,
           ceiling_dbtp: float = SESSION_CEILING_DBTP,
           profiles: ProfileStore | None = None) -> Mastered:
    """Scale the session's clips so that the joined session is at ``target_lufs``.

    Reads each distinct clip once to profile it (and again only if the gain makes it need
    limiting); the spoken lines come back as a :class:`Scaled` view, so no copy of them is held.
    """
    store = profiles or ProfileStore(None)
    texts: list[str] = []
    bells: dict[ChimeKind, np.ndarray] = {}
    for event in script.events:
        if event.kind is EventKind.speech and event.text not in texts:
            texts.append(event.text or "")
        elif event.kind is EventKind.chime and event.chime not in bells:
            assert event.chime is not None
            bells[event.chime] = chime(event.chime)
    found: dict[Hashable, np.ndarray] = {text: store.get(speech[text]) for text in texts}
    found.update({kind: store.get(x) for kind, x in bells.items()})
    lufs = session_loudness(script, found)
    gain_db = target_lufs - lufs if np.isfinite(lufs) else 0.0
    gain = np.float32(10 ** (gain_db / 20))
    # Levelled lines peak under CLIP_CEILING_DBTP and chimes far lower, so a gain up to the
    # difference keeps every clip under the ceiling without measuring. A larger one limits the
    # clips it would push over.
    chime_peak = max((float(np.max(np.abs(x))) for x in bells.values()), default=0.0)
    bound = max(10 ** (CLIP_CEILING_DBTP / 20), chime_peak * 10 ** (0.5 / 20)) * float(gain)
    limited: dict[str, np.ndarray] = {}
    if bound <= 10 ** (ceiling_dbtp / 20):
        chimes = {kind: _scaled(x, gain) for kind, x in bells.items()}
        peak = bound
    else:
        from matcast.audio.truepeak import true_peak

        peak = 0.0
        chimes = {}
        for kind, x in bells.items():
            y = limit_peaks(_as_float(x) * gain, ceiling_dbtp)
            peak = max(peak, true_peak(y))
            chimes[kind] = to_int16(y)
        for text in texts:
            y = limit_peaks(_as_float(speech[text]) * gain, ceiling_dbtp)
            peak = max(peak, true_peak(y))
            limited[text] = to_int16(y)
    report = LoudnessReport(lufs + gain_db if np.isfinite(lufs) else lufs,
                            20 * float(np.log10(peak)) if peak > 0 else -np.inf)
    clips = {text: speech[text] for text in texts} if not hasattr(speech, "length") else speech
    return Mastered(speech=Scaled(clips, gain, limited), chimes=chimes, gain_db=gain_db,
                    loudness=report)


def _as_float(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) / 32768.0 if x.dtype == np.int16 else x.astype(np.float32)


def _scaled(x: np.ndarray, gain: np.float32) -> np.ndarray:
    return to_int16(_as_float(x) * gain)


def session_loudness(script: CueScript, profiles: Mapping[Hashable, np.ndarray]) -> float:
    """Integrated loudness (LUFS) of the joined session, from its distinct clips' profiles.

    The session's energy up to each 100 ms gating step is read off each event's clip profile
    (whole bins, plus a share of the bin the step falls in); silence adds nothing.
    """
    from matcast.audio.gating import STEP, gated_lufs

    prefix = {key: np.concatenate([[0.0], np.cumsum(p)]) for key, p in profiles.items()}
    n = script.duration
    grid = np.arange(0, n + STEP, STEP)
    grid[-1] = min(grid[-1], n)
    cumulative = np.zeros(grid.size, dtype=np.float64)
    total = 0.0
    for event in script.events:
        key = event.text if event.kind is EventKind.speech else event.chime
        first = -(-event.start // STEP)
        last = -(-event.end // STEP)  # the grid points in [start, end)
        if event.kind is EventKind.silence or key is None:
            cumulative[first:last] = total
            continue
        p, bins = prefix[key], profiles[key]
        offset = grid[first:last] - event.start
        whole, part = np.divmod(offset, BIN)
        cumulative[first:last] = total + p[whole] + bins[np.minimum(whole, bins.size - 1)] * (
            part / BIN)
        total += p[-1]
    cumulative[grid >= n] = total
    return gated_lufs(np.diff(cumulative), n, SAMPLE_RATE)
