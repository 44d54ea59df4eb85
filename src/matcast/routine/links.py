"""Web addresses and e-mail addresses a library publishes: checked before they reach a feed or a
page. Plain functions, so that the command line can check ``--base-url`` without the models.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

URL_SCHEMES = ("https", "http")
"""The only schemes a feed link or a page link may use (no javascript:, data:, file: ...)."""

_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
"""Every character RFC 3986 allows in a URL; anything else (spaces, quotes, <, >, non-ASCII)
must be percent-encoded."""
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                   r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def url_problem(url: str, *, base: bool = False) -> str | None:
    """Why ``url`` cannot be a link in the feed and the page, or None.

    A link is an absolute http(s) URL with a host, written only with the characters a URL may
    hold. A ``base`` URL (where the output folder is served) has no query or fragment either,
    since episode file names are appended to it.
    """
    bad = next((c for c in url if not _URL_CHARS.fullmatch(c)), None)
    if bad is not None:
        shown = "a space" if bad == " " else f"{bad!r} (U+{ord(bad):04X})"
        return (f"{url!r} holds {shown}, which a URL cannot hold as it is; percent-encode it "
                "(%20 for a space; a domain name in its xn-- form)")
    parts = urlsplit(url)
    if parts.scheme.lower() not in URL_SCHEMES:
        scheme = f"{parts.scheme}:" if parts.scheme else "no scheme"
        return f"{url!r} has {scheme}; a link must start with https:// or http://"
    host = parts.hostname or ""
    if "@" in parts.netloc:
        return f"{url!r} carries a user name or password; a published link must not"
    if not (_HOST.fullmatch(host) or (":" in host and re.fullmatch(r"[0-9a-f:.]+", host))):
        return f"{url!r} has no valid host name after {parts.scheme}://"
    try:
        parts.port  # noqa: B018  (raises for a port that is not a number from 0 to 65535)
    except ValueError:
        return f"{url!r} has a port that is not a number from 0 to 65535"
    if base and (parts.query or parts.fragment or url.endswith(("?", "#"))):
        return f"{url!r} has a query or a fragment; episode file names are appended to it"
    return None


def email_problem(email: str) -> str | None:
    """Why ``email`` is not an e-mail address (name@example.org), or None."""
    if not _EMAIL.fullmatch(email) or len(email.partition("@")[0]) > 64:
        return f"{email!r} is not an e-mail address like owner@example.org"
    return None
