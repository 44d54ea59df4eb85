"""Background sound beds: generated rain and ocean, a user's own audio looped, ducking under speech.

Owns what a bed sounds like and how loud it is relative to the voice:
:func:`~matcast.audio.generated_bed.generate_bed` (rain and ocean, in a module of its own) and
:func:`load_bed` make a bed of exactly the session's length at :data:`BED_LUFS`,
:func:`ducking_gain` turns a cue script into the gain that lowers the bed under every spoken line,
and :func:`mix_bed` adds the ducked bed to the voice at a level relative to :data:`BED_LUFS`.
Whether a session has a bed, and which, is the build's business.
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path

import numpy as np

from matcast.audio.ffmpeg import decode_pcm
from matcast.cues import SAMPLE_RATE, CueScript, EventKind
from matcast.errors import ToolError, UsageError

BED_LUFS = -30.0
"""Integrated loudness every bed is brought to before ``level_db`` is applied.

Low enough that a bed at 0 dB never clips (noise peaks sit ~15 dB above its RMS), and a round
number for ``level_db`` to be relative to.
"""

DEFAULT_LEVEL_DB = -12.0
"""Bed level relative to :data:`BED_LUFS`: the bed plays at -42 LUFS in silences.

That is 26 LU under a -16 LUFS voice: at a volume where the voice is comfortable, the bed is a
soft sound a little above a quiet room's own, clearly there through a long hold, and ducked a
further 12 dB under speech (38 LU down) it never competes with a word. It is as loud as it can be
while staying out of the session's loudness reading with room to spare: BS.1770 leaves out
blocks 10 LU under the session's average, and that average falls as routines talk less. With
stand-in voices, every shipped routine measures within 0.2 LU of its voice alone at -12 dB (the
0.1-0.2 LU is the same at any bed level: silence that was under the -70 LUFS gate now counts
towards the average the relative gate is set from). At -6 dB the ocean's crests already lower
legs-up-the-wall (16 % speech) by 2.5 LU; a quieter bed (-18 dB) gains nothing in the reading
and starts to vanish under everyday room noise on earbuds.
"""

DEFAULT_DUCK_DB = -12.0
"""How far the bed dips under speech."""

DEFAULT_FADE_S = 3.0
"""The bed fades in over the session's first seconds and out over its last (under the start and
end chimes), so it neither starts nor stops abruptly."""

_MIN_OPEN_S = 0.5
"""Between two lines the bed comes back up only if it can stay up this long: rising for a moment
and falling straight back is the pumping ducking must avoid."""

_MIX_BLOCK = 1 << 20
"""Samples per step of :func:`mix_bed`: bounds its temporaries."""

_SILENT = 2
"""Leading and trailing samples of a user's file at or under this (int16) are trimmed before
looping: decoders and editors leave a few milliseconds of digital silence that would gap the
loop."""


class BedKind(StrEnum):
    """A generated bed."""

    rain = "rain"
    """Soft steady rain: high-passed pink-ish noise that wanders a little, with sparse drops."""
    ocean = "ocean"
    """Waves on a shore: low-passed brown-ish noise swelling every 6-12 s, with a hiss of wash."""


# --- a user's own file ---------------------------------------------------------------------------


def load_bed(path: Path, samples: int, sample_rate: int = SAMPLE_RATE,
             crossfade_s: float = 2.0) -> np.ndarray:
    """A user's audio file as ``samples`` of float32 mono at :data:`BED_LUFS`, looped as needed
    (:class:`BedLoop` read whole; see there)."""
    if samples < 0:
        raise ValueError(f"samples must be >= 0, got {samples}")
    return BedLoop(path, sample_rate, crossfade_s).read(0, samples)


class BedLoop:
    """A user's audio file at :data:`BED_LUFS`, looped for ever, read a stretch at a time.

    The file plays from its start; each time it runs out, its last ``crossfade_s`` is crossfaded
    (equal power) into its first, so loops join without a click or a gap. Holds one loop of the
    file, whatever the session's length. Raises :class:`~matcast.errors.UsageError` for a
    missing, undecodable, silent or too-short file (it must last at least two crossfades), and
    lets :class:`~matcast.errors.ToolError` through when ffmpeg itself is missing.
    """

    def __init__(self, path: Path, sample_rate: int = SAMPLE_RATE,
                 crossfade_s: float = 2.0) -> None:
        if not crossfade_s >= 0:
            raise UsageError(
                f"the background sound crossfade must be 0 s or more, got {crossfade_s}")
        path = Path(path)
        what = f"background sound {path}"
        if not path.is_file():
            raise UsageError(f"{what}: no such file")
        try:
            pcm = decode_pcm(path, sample_rate, 1)
        except ToolError as exc:
            if exc.code is None:  # ffmpeg is missing or would not start: not the file's fault
                raise
            said = [line for line in exc.stderr.strip().splitlines() if line.strip()]
            reason = f" ({said[-1].strip()})" if said else ""
            raise UsageError(f"{what}: ffmpeg cannot read it as audio{reason}") from exc
        sound = (pcm > _SILENT) | (pcm < -_SILENT)
        if not sound.any():
            raise UsageError(f"{what}: the file is silent")
        first, last = int(sound.argmax()), pcm.size - int(sound[::-1].argmax())
        clip = np.multiply(pcm[first:last], np.float32(1 / 32768), dtype=np.float32)
        del pcm
        fade = round(crossfade_s * sample_rate)
        if clip.size < 2 * fade:
            raise UsageError(
                f"{what}: {clip.size / sample_rate:.1f} s of sound is too short to loop; it "
                f"must last at least {2 * crossfade_s:g} s (twice the {crossfade_s:g} s "
                f"crossfade)"
            )
        # One loop: the clip less its tail, whose first `fade` samples hold the tail fading out
        # over the head fading in. Repeated, each loop runs on from the sample the previous one
        # ended on.
        period = clip.size - fade
        loop = clip[:period].copy()
        t = (np.arange(fade, dtype=np.float64) + 0.5) * (np.pi / 2 / max(fade, 1))
        loop[:fade] = clip[period:] * np.cos(t) + clip[:fade] * np.sin(t)

        from matcast.audio.loudness import integrated_loudness

        lufs = integrated_loudness(loop, sample_rate)
        if not math.isfinite(lufs):
            raise UsageError(f"{what}: the file is too quiet to use")
        gain = np.float32(10 ** ((BED_LUFS - lufs) / 20))
        loop *= gain
        self._loop = loop
        # The first time through, the file plays from its true start, not from the crossfade.
        self._head = np.multiply(clip[:fade], gain, dtype=np.float32)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples ``start`` to ``stop`` of the looped bed."""
        out = self._loop[np.arange(start, stop) % self._loop.size]
        head = self._head.size
        if start < head:
            out[:min(head, stop) - start] = self._head[start:min(head, stop)]
        return out


# --- ducking and mixing --------------------------------------------------------------------------


def ducking_gain(script: CueScript, sample_rate: int = SAMPLE_RATE,
                 duck_db: float = DEFAULT_DUCK_DB, attack_s: float = 0.25,
                 release_s: float = 0.8, lead_s: float = 0.15,
                 fade_s: float = DEFAULT_FADE_S) -> np.ndarray:
    """The bed's float32 gain over the whole of ``script`` (:class:`Ducking`, read whole)."""
    ducking = Ducking(script, sample_rate, duck_db, attack_s, release_s, lead_s, fade_s)
    return ducking.window(0, ducking.samples)


class Ducking:
    """The bed's float32 gain over ``script``: 1 in silence, ``10**(duck_db/20)`` under speech.

    Before each line the gain falls over ``attack_s`` and is fully down ``lead_s`` before the
    voice starts (so the first syllable never lands on a bed still falling); after it, it rises
    over ``release_s``. Both moves are raised-cosine in dB. Lines closer than it takes to rise,
    stay up for :data:`_MIN_OPEN_S` and fall again keep the bed down between them. The bed also
    fades in over the first ``fade_s`` and out over the last (``fade_s=0``: no fades).

    Times in the script are at :data:`~matcast.cues.SAMPLE_RATE`; the envelope is at
    ``sample_rate`` (:attr:`samples` long). :meth:`window` gives any stretch of it: a build never
    holds the gain of the whole session.
    """

    def __init__(self, script: CueScript, sample_rate: int = SAMPLE_RATE,
                 duck_db: float = DEFAULT_DUCK_DB, attack_s: float = 0.25,
                 release_s: float = 0.8, lead_s: float = 0.15,
                 fade_s: float = DEFAULT_FADE_S) -> None:
        if min(attack_s, release_s, lead_s, fade_s) < 0:
            raise ValueError("attack, release, lead and fade must not be negative")

        def at(seconds: float) -> int:
            return round(seconds * sample_rate)

        def rescale(positions: np.ndarray) -> np.ndarray:
            if sample_rate == SAMPLE_RATE:
                return positions
            return np.round(positions * (sample_rate / SAMPLE_RATE)).astype(np.int64)

        self.samples = n = int(rescale(np.array([script.duration]))[0])
        spans = np.array([(e.start, e.end) for e in script.events
                          if e.kind is EventKind.speech], dtype=np.int64).reshape(-1, 2)
        self._attack, release = at(attack_s), at(release_s)
        self._lows = self._highs = np.empty(0, dtype=np.int64)
        if spans.size:
            down = rescale(spans[:, 0]) - at(lead_s)
            up = rescale(spans[:, 1])
            # Where the bed would be back up between two lines for less than _MIN_OPEN_S, the
            # two lines share one dip.
            opens = (down[1:] - self._attack) - (up[:-1] + release) >= at(_MIN_OPEN_S)
            breaks = np.flatnonzero(opens) + 1
            self._lows = down[np.concatenate([[0], breaks])]
            self._highs = up[np.concatenate([breaks - 1, [up.size - 1]])]
        self._duck = 10 ** (duck_db / 20)
        self._fall = (10 ** (duck_db * _cos_ramp(self._attack) / 20)).astype(np.float32)
        self._rise = (10 ** (duck_db * _cos_ramp(release)[::-1] / 20)).astype(np.float32)
        self._ends = self._highs + release  # ascending: where each group's dip is over
        edge = min(at(fade_s), n // 2)
        self._fade = _cos_ramp(edge).astype(np.float32)

    def window(self, start: int, stop: int) -> np.ndarray:
        """The gain over samples ``start`` to ``stop`` (within the session)."""
        n = self.samples
        gain = np.ones(stop - start, dtype=np.float32)
        # One step per group of lines that reaches into the window, each a few slice writes.
        first = int(np.searchsorted(self._ends, start, side="right"))
        for lo, hi in zip(self._lows[first:].tolist(), self._highs[first:].tolist(),
                          strict=True):
            if lo - self._attack >= stop:
                break
            _put(gain, lo - self._attack - start, self._fall)
            a, b = max(lo, 0, start), min(max(min(hi, n), 0), stop)
            if a < b:
                gain[a - start:b - start] = self._duck
            _put(gain, hi - start, self._rise)
        edge = self._fade.size
        if edge:
            if start < edge:
                gain[:min(edge, stop) - start] *= self._fade[start:min(edge, stop)]
            if stop > n - edge:
                lo = max(start, n - edge)
                gain[lo - start:] *= self._fade[::-1][lo - (n - edge):stop - (n - edge)]
        return gain


def mix_bed(voice: np.ndarray, bed: np.ndarray, gain: np.ndarray, level_db: float
            ) -> np.ndarray:
    """``voice + bed * gain * 10**(level_db/20)`` as float32 mono.

    A float32 ``voice`` is mixed into in place and returned (a session is long; this makes no
    full-length copy). Any other float ``voice`` is copied to float32 first; int16 is scaled to
    [-1, 1). ``level_db`` is relative to :data:`BED_LUFS` (see :data:`DEFAULT_LEVEL_DB`).
    """
    if not (voice.ndim == 1 and voice.shape == bed.shape == gain.shape):
        raise ValueError(f"voice, bed and gain must be 1-D and the same length; got "
                         f"{voice.shape}, {bed.shape} and {gain.shape}")
    if voice.dtype == np.float32 and voice.flags.writeable:
        out = voice
    elif voice.dtype == np.int16:
        out = voice.astype(np.float32)
        out *= np.float32(1 / 32768)
    else:
        out = voice.astype(np.float32)
    level = np.float32(10 ** (level_db / 20))
    scratch = np.empty(min(_MIX_BLOCK, out.size), dtype=np.float32)
    for start in range(0, out.size, _MIX_BLOCK):
        stop = min(start + _MIX_BLOCK, out.size)
        part = scratch[:stop - start]
        np.multiply(bed[start:stop], gain[start:stop], out=part, casting="unsafe")
        part *= level
        out[start:stop] += part
    return out


def _cos_ramp(length: int) -> np.ndarray:
    """``length`` points of a raised cosine from 0 towards 1, sampled mid-step (so neither end
    is repeated when a ramp meets a flat stretch)."""
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(length) + 0.5) / max(length, 1))


def _put(into: np.ndarray, start: int, values: np.ndarray) -> None:
    """``into[start:start + len(values)] = values``, for the part that falls inside ``into``."""
    lo, hi = max(start, 0), min(start + values.size, into.size)
    if lo < hi:
        into[lo:hi] = values[lo - start:hi - start]
