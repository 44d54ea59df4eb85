"""Filter designs a build uses at 44.1 kHz, precomputed (``tests/audio/test_iir.py`` designs
them again with :mod:`scipy.signal` and checks every bit), so that a build never imports
:mod:`scipy.signal` (see :mod:`matcast.audio.iir`).

Stored as ``float.hex`` strings: exact, whatever the platform's float printing.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from matcast.audio.iir import impulse_response

RATE = 44_100
"""The sample rate of the bed designs below."""

WHITE_VAR = (2 * 32768**2 + 1) / 6
"""Variance of uniform int16 noise, a generated bed's raw material (four samples per 64-bit
draw): each band is scaled to unit output RMS for it."""

BANDS: dict[str, tuple[tuple[tuple[str, ...], ...], ...]] = {
    "rain": (
        (
            ("0x1.8a97389a9979ep-16", "0x1.2502b9beef18ap-17", "-0x1.f02bb77643db1p-17",
             "0x1.0000000000000p+0", "-0x1.214011d429aa2p+0", "0x1.107373189c660p-2"),
            ("0x1.0000000000000p+0", "-0x1.e464ead0646b6p+0", "0x1.c8c9d5a0c8d6dp-1",
             "0x1.0000000000000p+0", "-0x1.e8db14a449790p+0", "0x1.d2b454b86cc5fp-1"),
        ),
    ),
    "ocean": (
        (
            ("0x1.c3430f682b995p-27", "0x1.c3430f682b995p-26", "0x1.c3430f682b995p-27",
             "0x1.0000000000000p+0", "-0x1.d6dbb5bb4e241p+0", "0x1.b3da869fc753ap-1"),
            ("0x1.0000000000000p+0", "0x0.0p+0", "-0x1.0000000000000p+0",
             "0x1.0000000000000p+0", "-0x1.fcba9fffab597p+0", "0x1.f97a023777b85p-1"),
        ),
        (
            ("0x1.aa8aeea936e06p-16", "0x0.0p+0", "-0x1.aa8aeea936e06p-16",
             "0x1.0000000000000p+0", "-0x1.7bd05ab0ce966p+0", "0x1.1319c6185e589p-1"),
        ),
    ),
}
"""Per bed kind, per band, the SOS sections of :func:`matcast.audio.generated_bed._design` at
:data:`RATE`, each band scaled to unit output RMS for the raw noise."""

TP_FILTER_TAPS: tuple[str, ...] = (
    "-0x1.a6a4300ba71c9p-62", "-0x1.28611e8298483p-12", "-0x1.13aa9a5e3f476p-11",
    "-0x1.f282c65a55606p-12", "0x1.11adce2da5a3fp-60", "0x1.7f9584c74ee84p-11",
    "0x1.48e4fa30b5f02p-10", "0x1.16ae13530551dp-10", "-0x1.01da64d2040fbp-59",
    "-0x1.84c350aacf6cfp-10", "-0x1.40d377da7a8dep-9", "-0x1.0700052f53411p-9",
    "0x1.9dbb79621dc70p-59", "0x1.5b81f186879cap-9", "0x1.186a29c763147p-8",
    "0x1.c2b092330eb1cp-9", "-0x1.2a8a8de600f95p-58", "-0x1.20045cf60f943p-8",
    "-0x1.ca7a5ee634d16p-8", "-0x1.6c0cf475626edp-8", "0x1.8dcd0890bcf53p-58",
    "0x1.c8925199e37c1p-8", "0x1.68dea87191e7ep-7", "0x1.1d0af026ae67bp-7",
    "-0x1.f0a230de2f0b9p-58", "-0x1.63b8d00520e29p-7", "-0x1.19592635fa7bfp-6",
    "-0x1.bdda8706b1727p-7", "0x1.250dd5b98ba71p-57", "0x1.1a82bd3777fc7p-6",
    "0x1.c4f9bc9efca6ep-6", "0x1.6db460605c314p-6", "-0x1.48c390d2693adp-57",
    "-0x1.ec11ff10a3ce3p-6", "-0x1.9d75948cc65dep-5", "-0x1.644e71625b76fp-5",
    "0x1.5fceed6b34bb8p-57", "0x1.2fa8ebc041f71p-4", "0x1.4456fa47e4ebcp-3",
    "0x1.cc9ca3edcf7c1p-3", "0x1.0029b7ca3d50ap-2", "0x1.cc9ca3edcf7c1p-3",
    "0x1.4456fa47e4ebcp-3", "0x1.2fa8ebc041f71p-4", "0x1.5fceed6b34bb8p-57",
    "-0x1.644e71625b76fp-5", "-0x1.9d75948cc65dep-5", "-0x1.ec11ff10a3ce3p-6",
    "-0x1.48c390d2693adp-57", "0x1.6db460605c314p-6", "0x1.c4f9bc9efca6ep-6",
    "0x1.1a82bd3777fc7p-6", "0x1.250dd5b98ba71p-57", "-0x1.bdda8706b1727p-7",
    "-0x1.19592635fa7bfp-6", "-0x1.63b8d00520e29p-7", "-0x1.f0a230de2f0b9p-58",
    "0x1.1d0af026ae67bp-7", "0x1.68dea87191e7ep-7", "0x1.c8925199e37c1p-8",
    "0x1.8dcd0890bcf53p-58", "-0x1.6c0cf475626edp-8", "-0x1.ca7a5ee634d16p-8",
    "-0x1.20045cf60f943p-8", "-0x1.2a8a8de600f95p-58", "0x1.c2b092330eb1cp-9",
    "0x1.186a29c763147p-8", "0x1.5b81f186879cap-9", "0x1.9dbb79621dc70p-59",
    "-0x1.0700052f53411p-9", "-0x1.40d377da7a8dep-9", "-0x1.84c350aacf6cfp-10",
    "-0x1.01da64d2040fbp-59", "0x1.16ae13530551dp-10", "0x1.48e4fa30b5f02p-10",
    "0x1.7f9584c74ee84p-11", "0x1.11adce2da5a3fp-60", "-0x1.f282c65a55606p-12",
    "-0x1.13aa9a5e3f476p-11", "-0x1.28611e8298483p-12", "-0x1.a6a4300ba71c9p-62",
)
"""The 81-tap 4x interpolation low-pass of the true-peak meter:
``scipy.signal.firwin(81, 1 / 4, window=("kaiser", 5.0))``, as ``resample_poly`` designs it."""


def bed_bands(kind: str, sample_rate: int) -> list[np.ndarray]:
    """The bands of bed ``kind`` (a :class:`~matcast.audio.bed.BedKind`): stored at
    :data:`RATE`, designed at any other rate."""
    if sample_rate != RATE:
        return designed_bed_bands(kind, sample_rate)
    return [np.array([[float.fromhex(v) for v in row] for row in band])
            for band in BANDS[kind]]


def designed_bed_bands(kind: str, sample_rate: int) -> list[np.ndarray]:
    """The bands of ``kind`` designed at ``sample_rate``, with :mod:`scipy.signal` (what
    :data:`BANDS` holds at :data:`RATE`, and what the test checks it against)."""
    from scipy import signal

    two_pi = 2 * np.pi
    match kind:
        case "rain":
            # Pink between 400 Hz and 3.2 kHz from two pole-zero pairs an octave apart
            # (-3 dB/octave on average, which is what makes noise sound soft rather than hissy),
            # a first-order high-pass at 250 Hz so there is no rumble, and a first-order roll-off
            # above 7 kHz so there is no sizzle.
            zeros = two_pi * -np.array([0.0, 800.0, 3200.0])
            poles = two_pi * -np.array([250.0, 400.0, 1600.0, 7000.0])
            return [_analog_sos(zeros, poles, sample_rate)]
        case "ocean":
            # The body of the wave: brown noise (a leaky integrator above 60 Hz) with the rumble
            # below 30 Hz cut (earbuds and phones cannot play it; it would only eat headroom) and
            # everything above 800 Hz rolled off steeply, so it roars rather than hisses.
            lp_z, lp_p, _ = signal.butter(2, two_pi * 800.0, analog=True, output="zpk")
            zeros = np.concatenate([[0.0], lp_z])
            poles = np.concatenate([two_pi * -np.array([30.0, 60.0]), lp_p])
            # The wash: a gentle band of hiss that rises as a wave breaks and fades as it
            # recedes.
            bp_z, bp_p, _ = signal.butter(1, [two_pi * 700.0, two_pi * 5000.0],
                                          btype="bandpass", analog=True, output="zpk")
            return [_analog_sos(zeros, poles, sample_rate),
                    _analog_sos(bp_z, bp_p, sample_rate)]
        case _:
            raise ValueError(f"no such bed: {kind!r}")


def _analog_sos(zeros: np.ndarray, poles: np.ndarray, sample_rate: int) -> np.ndarray:
    """SOS of an analog design (rad/s), scaled to unit output RMS for the raw noise."""
    from scipy import signal

    z, p, k = signal.bilinear_zpk(zeros, poles, 1.0, sample_rate)
    sos = signal.zpk2sos(z, p, k)
    power = WHITE_VAR * float(np.sum(impulse_response(sos, sample_rate) ** 2))
    sos[0, :3] /= math.sqrt(power)
    return sos


@functools.cache
def tp_filter() -> np.ndarray:
    """:data:`TP_FILTER_TAPS` as float64 (read only)."""
    taps = np.array([float.fromhex(v) for v in TP_FILTER_TAPS])
    taps.flags.writeable = False
    return taps
