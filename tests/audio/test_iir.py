"""The build's filtering without scipy.signal: the same bits as scipy, and scipy.signal unloaded.

A bed build used to import scipy.signal for one filter (~50 MB of resident memory); now it runs
SciPy's compiled SOS kernel on its own (:mod:`matcast.audio.iir`) with precomputed designs
(:mod:`matcast.audio.designs`). These tests hold both to scipy.signal's own results, bit for bit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import whole_oracle
from pyloudnorm.iirfilter import IIRfilter
from scipy import signal

from matcast.audio import designs
from matcast.audio.bed import BedKind
from matcast.audio.iir import kernel, sosfilt
from matcast.audio.kweighting import KWeighting
from matcast.audio.loudness import _Limiter
from matcast.audio.stream import ArraySignal
from matcast.audio.truepeak import SCREEN_STEP


def test_the_kernel_is_found_without_scipy_signal() -> None:
    """If SciPy moves its kernel this fails: builds would still be right, but 50 MB heavier."""
    assert kernel() is not None


def test_a_bed_mix_and_its_loudness_never_import_scipy_signal() -> None:
    code = textwrap.dedent("""
        import sys
        import numpy as np
        from matcast.audio.generated_bed import BedPlan
        from matcast.audio.bed import BedKind
        from matcast.audio.loudness import plan_normalize
        from matcast.audio.stream import ArraySignal
        from matcast.audio import encoded, session_mix  # noqa: F401
        plan = BedPlan(BedKind.rain, 200_000, 44_100, 3)
        block = plan.render(0)[:200_000]
        voice = np.sin(np.arange(block.size) / 7.0).astype(np.float32) * 0.5
        mixed = (voice + block).reshape(-1, 1)
        normalized = plan_normalize(ArraySignal(mixed), 44_100)
        assert normalized is not None and sum(b.shape[0] for b in normalized.blocks()) == 200_000
        print(sorted(m for m in sys.modules if m.startswith("scipy.signal")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "['scipy.signal._sosfilt']"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((3000,), -1), ((3000, 2), 0), ((2, 3000), 1)])
def test_sosfilt_is_scipy_sosfilt_to_the_bit(dtype: type, shape: tuple[int, ...],
                                             axis: int) -> None:
    rng = np.random.default_rng(7)
    sos = KWeighting(44_100, 1).sos
    x = rng.standard_normal(shape).astype(dtype)
    zi_shape = [2, *shape]
    zi_shape[1 + axis % len(shape)] = 2
    zi = rng.standard_normal(zi_shape).astype(dtype)
    ours, ours_zf = sosfilt(sos, x, zi, axis=axis)
    theirs, theirs_zf = signal.sosfilt(sos, x, axis=axis, zi=zi)
    assert ours.dtype == theirs.dtype and ours_zf.dtype == theirs_zf.dtype
    assert np.array_equal(ours, theirs) and np.array_equal(ours_zf, theirs_zf)
    assert not np.array_equal(ours, x)  # it filtered (and left its input alone)


def test_sosfilt_refuses_a_state_of_the_wrong_shape() -> None:
    sos = KWeighting(44_100, 1).sos
    with pytest.raises(ValueError, match="zi must have shape"):
        sosfilt(sos, np.zeros((100, 2)), np.zeros((2, 2)), axis=0)


@pytest.mark.parametrize("kind", list(BedKind))
def test_the_stored_bed_designs_are_scipys(kind: BedKind) -> None:
    stored = designs.bed_bands(kind, designs.RATE)
    fresh = designs.designed_bed_bands(kind, designs.RATE)
    assert len(stored) == len(fresh)
    for a, b in zip(stored, fresh, strict=True):
        assert np.array_equal(a, b)


def test_the_stored_true_peak_filter_is_scipys() -> None:
    assert np.array_equal(designs.tp_filter(),
                          signal.firwin(81, 1 / 4, window=("kaiser", 5.0)))


@pytest.mark.parametrize("rate", [44_100, 48_000, 22_050])
def test_k_weighting_is_pyloudnorms_to_the_bit(rate: int) -> None:
    stages = (IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf"),
              IIRfilter(0.0, 0.5, 38.0, rate, "high_pass"))
    theirs = np.array([np.concatenate([s.b, s.a]) for s in stages])
    assert np.array_equal(KWeighting(rate, 1).sos, theirs)


def test_limiter_spans_worked_out_step_by_step_are_the_whole_arrays() -> None:
    """Spans run on across screening steps; cut per step they are what the whole array gives."""
    rng = np.random.default_rng(11)
    n = 3 * SCREEN_STEP + 12_345
    x = (rng.standard_normal(n) * 0.05).astype(np.float32)
    bursts = rng.integers(0, n - 2000, 60)
    bursts[:3] = [SCREEN_STEP - 300, 2 * SCREEN_STEP - 5, 3 * SCREEN_STEP + 40]  # straddling
    for at in bursts:
        x[at:at + 2000] += np.sin(np.arange(2000) / 3.0).astype(np.float32) * rng.uniform(0.5, 1)
    ours = _Limiter(ArraySignal(x.reshape(-1, 1)), 44_100, -1.5)
    oracle = whole_oracle._Limiter(x.reshape(-1, 1), 44_100, -1.5)
    for gain_db in (0.0, 1.0, 3.0):
        ours.scan(gain_db + 1.0)
        got, want = ours.spans(gain_db), oracle.spans(gain_db)
        assert len(got) == len(want) > 3
        for a, b in zip(got, want, strict=True):
            assert (a.start, a.stop) == (b.start, b.stop)
            assert np.array_equal(a.positions, b.positions)
            assert np.array_equal(a.reduction_db, b.reduction_db)
