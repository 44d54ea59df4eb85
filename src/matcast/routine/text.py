"""What a spoken line must be: something a voice can say, with well-formed placeholders.

Plain functions over strings; the models attach them to every spoken field.
"""

from __future__ import annotations

import re
import unicodedata

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
"""A ``{name}`` placeholder in spoken text."""


def speech_problem(text: str) -> str | None:
    """Why ``text`` cannot be a spoken line, or None.

    A line needs at least one letter or digit: whitespace, punctuation and invisible characters
    (zero-width spaces, joiners, soft hyphens) alone say nothing. Braces only appear in pairs
    around a placeholder name, as in ``{side}``.
    """
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        shown = "only whitespace" if not text.strip() else "no letter or digit"
        invisible = [c for c in text if unicodedata.category(c) in ("Cf", "Zs") and c != " "]
        if invisible:
            shown += f" (it holds invisible characters such as U+{ord(invisible[0]):04X})"
        return f"a spoken line needs words; this one has {shown}"
    rest = PLACEHOLDER.sub("", text)
    for brace in "{}":
        if brace in rest:
            where = _unpaired(text, brace) + 1
            return (f"a lone {brace!r} (character {where}): braces only go around a "
                    "placeholder, as in {side}")
    return None


def _unpaired(text: str, brace: str) -> int:
    """The index of the first ``brace`` in ``text`` that is not part of a placeholder."""
    paired = {i for m in PLACEHOLDER.finditer(text) for i in (m.start(), m.end() - 1)}
    return next(i for i, c in enumerate(text) if c == brace and i not in paired)
