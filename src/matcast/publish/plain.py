"""Plain text for the feed's plain-text fields (``description``, ``itunes:summary``).

Those fields are plain text by the RSS spec, but many podcast apps render them as HTML: a routine
description with ``<b>`` or ``&lt;`` in it would turn into markup there and stay literal elsewhere.
:func:`plain_text` makes the text mean the same thing to both kinds of reader: character references
are decoded, tags and comments removed, and any ``<`` or ``&`` left that an HTML reader could still
take for markup replaced by a look-alike that it cannot. Text that is no markup ("a < b", "Q&A",
"->") stays as it is.
"""

from __future__ import annotations

import html
import re

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
"""A "<" an HTML parser would start a tag, comment or declaration at."""
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);?")


def plain_text(text: str) -> str:
    """``text`` with no markup an HTML reader would act on; line breaks and spacing kept."""
    text = _COMMENT.sub("", html.unescape(text))
    text = _TAG.sub("", text)
    text = _TAG_OPEN.sub("‹", text)
    # "&" is only markup when it starts a character reference ("&amp;", "&copy", "&#60;");
    # "Q&A" or "salt & pepper" read the same either way and stay as they are.
    return _REFERENCE.sub(
        lambda m: "＆" + m.group(0)[1:] if html.unescape(m.group(0)) != m.group(0)
        else m.group(0), text)
