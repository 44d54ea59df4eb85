"""How a built session sounds in numbers: speaking rate, share of silence, longest quiet."""

from __future__ import annotations

from dataclasses import dataclass

from matcast.cues import SAMPLE_RATE, CueScript, EventKind


@dataclass(frozen=True)
class SessionStats:
    """Measured on a cue script with real speech lengths (a built session's ``.cues.json``)."""

    words_per_minute: float
    """Words spoken per minute of speech (silences and chimes left out)."""
    silence_share: float
    """Fraction of the session that is silence (no speech, no chime)."""
    longest_quiet: int
    """Samples of the longest unbroken silence."""
    longest_quiet_start: int
    longest_quiet_pose: str | None

    def lines(self) -> list[str]:
        at = self.longest_quiet_start / SAMPLE_RATE
        where = f" ({self.longest_quiet_pose})" if self.longest_quiet_pose else ""
        return [
            f"speaking rate   {self.words_per_minute:.0f} words per minute while speaking",
            f"silence         {self.silence_share * 100:.0f}% of the session",
            f"longest quiet   {self.longest_quiet / SAMPLE_RATE:.1f} s at "
            f"{int(at // 60)}:{at % 60:04.1f}{where}",
        ]


def session_stats(script: CueScript) -> SessionStats:
    words = speaking = silent = 0
    longest = run = run_start = best_start = 0
    best_pose = run_pose = None
    for event in script.events:
        if event.kind is EventKind.speech:
            words += len((event.text or "").split())
            speaking += event.length
        if event.kind is EventKind.silence:
            silent += event.length
            if run == 0:
                run_start, run_pose = event.start, event.pose
            run += event.length
            if run > longest:
                longest, best_start, best_pose = run, run_start, run_pose
        else:
            run = 0
    minutes = speaking / SAMPLE_RATE / 60
    return SessionStats(words / minutes if minutes else 0.0,
                        silent / script.duration if script.duration else 0.0,
                        longest, best_start, best_pose)
