"""The coaching lint: checks a compiled session the way a teacher listens to a class.

``lint_script(script, context)`` runs every rule of :data:`~matcast.lint.rules.RULES` over a cue
script; :func:`~matcast.lint.sessions.lint_session` compiles a routine and checks it;
:mod:`~matcast.lint.command` is ``matcast lint``. Pure: no audio, no files written.
"""

from __future__ import annotations

from matcast.lint.rules import RULES, Finding, LintContext, PoseFacts, lint_script

__all__ = ["RULES", "Finding", "LintContext", "PoseFacts", "lint_script"]
