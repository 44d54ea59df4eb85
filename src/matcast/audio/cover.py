"""Cover art: a square PNG with the session's title, for the MP3's APIC frame and the feed.

Owns what a matcast cover looks like: a calm two-colour gradient (picked from the title, so a
series gets varied but stable covers), the title word-wrapped and centred in large type, an
optional subtitle, and a small "matcast" mark. The same input always gives the same bytes.

The type is Pillow's built-in font, so covers look the same on every machine. It covers ASCII
and a little punctuation only: other text is folded to what it can draw (É to E, — to -), and
characters with no such form (non-Latin scripts) are left out.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import unicodedata

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_PALETTES: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...] = (
    ((31, 78, 95), (122, 168, 155)),    # deep teal to sage
    ((52, 58, 94), (156, 137, 184)),    # dusk blue to lavender
    ((94, 64, 76), (214, 162, 142)),    # plum to clay
    ((38, 70, 60), (171, 196, 150)),    # forest to moss
    ((70, 82, 110), (196, 176, 150)),   # slate to sand
)
"""Dark top-left to light bottom-right; every pair keeps white text readable."""

_TEXT = (250, 248, 242)
_MARK = (250, 248, 242, 170)

_MARGIN = 0.1
"""Blank border on each side, as a fraction of the size (apps round the corners and crop)."""

_TITLE_MAX = 0.12
_TITLE_MIN = 0.035
_SUBTITLE_RATIO = 0.45
_LINE_GAP = 0.18
"""Extra space between lines, as a fraction of the font size."""


_FOLD = str.maketrans({
    "\u2013": "-", "\u2014": " - ", "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u00a0": " ",
    "\u00df": "ss", "\u00e6": "ae", "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE",
    "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D",
    "\u00f0": "d", "\u00d0": "D", "\u00fe": "th", "\u00de": "Th", "\u0131": "i",
})
"""Letters and dashes that Unicode decomposition does not reduce to ASCII."""


def make_cover(title: str, subtitle: str | None = None, size: int = 1400) -> bytes:
    """PNG bytes of a ``size`` x ``size`` cover (podcast apps want 1400 to 3000 pixels)."""
    if size < 64:
        raise ValueError(f"cover size must be at least 64 pixels, got {size}")
    title = _drawable(title)
    subtitle = _drawable(subtitle) if subtitle else None
    image = _gradient(size, _palette(title, subtitle))
    draw = ImageDraw.Draw(image)
    width = size * (1 - 2 * _MARGIN)

    title_size, title_lines = _fit(draw, title, width, size * 0.5, size)
    blocks: list[tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, list[str], int]] = [
        (_font(title_size), title_lines, title_size),
    ]
    if subtitle:
        sub_size = max(round(title_size * _SUBTITLE_RATIO), round(size * 0.03))
        sub_size, sub_lines = _fit(draw, subtitle, width, size * 0.2, size, start=sub_size)
        blocks.append((_font(sub_size), sub_lines, sub_size))

    heights = [_height(len(lines), px) for _, lines, px in blocks]
    gap = round(size * 0.05)
    top = (size - sum(heights) - gap * (len(blocks) - 1)) / 2 - size * 0.03
    for (font, lines, px), height in zip(blocks, heights, strict=True):
        y = top
        for line in lines:
            draw.text((size / 2, y), line, font=font, fill=_TEXT, anchor="mt")
            y += px * (1 + _LINE_GAP)
        top += height + gap

    mark_font = _font(max(12, round(size * 0.028)))
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).text(
        (size / 2, size * (1 - _MARGIN * 0.6)), "matcast", font=mark_font, fill=_MARK, anchor="ms"
    )
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _palette(title: str, subtitle: str | None) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    # A hash, not hash(): str hashing is salted per process, and covers must be reproducible.
    digest = hashlib.sha256(f"{title}\0{subtitle or ''}".encode()).digest()
    return _PALETTES[digest[0] % len(_PALETTES)]


def _gradient(size: int, colours: tuple[tuple[int, int, int], tuple[int, int, int]]) -> Image.Image:
    # Diagonal, eased so the middle (where the title sits) is an even tone. A pixel's colour
    # depends only on row + column, so build that one ramp and index it (cheap at 3000 px).
    t = np.linspace(0.0, 1.0, 2 * size - 1)
    t = t * t * (3 - 2 * t)
    start, end = (np.array(c, dtype=np.float64) for c in colours)
    ramp = np.round(start + (end - start) * t[:, None]).astype(np.uint8)
    diagonal = np.arange(size)[:, None] + np.arange(size)[None, :]
    return Image.fromarray(ramp[diagonal])


def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=px)


def _drawable(text: str) -> str:
    """``text`` folded to characters the built-in font has, with whitespace collapsed."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    kept = "".join(c for c in folded if not unicodedata.combining(c) and _has_glyph(c))
    return " ".join(kept.split())


@functools.lru_cache(maxsize=4096)
def _has_glyph(char: str) -> bool:
    if char.isspace():
        return True
    # A missing character renders as the font's "notdef" box; compare against a known-missing one.
    return _mask_of(char) != _mask_of("\uffff")


@functools.lru_cache(maxsize=4096)
def _mask_of(char: str) -> bytes:
    image = Image.new("L", (48, 48))
    ImageDraw.Draw(image).text((8, 8), char, font=_font(24), fill=255)
    return image.tobytes()


def _fit(
    draw: ImageDraw.ImageDraw,
    text: str,
    width: float,
    height: float,
    size: int,
    start: int | None = None,
) -> tuple[int, list[str]]:
    """The largest font size (and its lines) at which ``text`` fits ``width`` x ``height``.

    Shrinking is preferred to breaking a word mid-way; at the smallest size, long words are
    broken and lines that still do not fit are cut with an ellipsis.
    """
    px = start or round(size * _TITLE_MAX)
    smallest = max(8, round(size * _TITLE_MIN * (_SUBTITLE_RATIO if start else 1)))
    while True:
        font = _font(px)
        lines, broken = _wrap(draw, text, font, width)
        tall = _height(len(lines), px)
        if (tall <= height and not broken) or px <= smallest:
            break
        px = max(smallest, int(px * 0.9))
    if tall > height:
        lines = _truncate(draw, lines, font, width, max(1, int(height // (px * (1 + _LINE_GAP)))))
    return px, lines


def _height(lines: int, px: int) -> int:
    return lines * px + (lines - 1) * round(px * _LINE_GAP)


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: float,
) -> tuple[list[str], bool]:
    """Greedy wrap at spaces and after hyphens; returns the lines and whether a word had to be
    broken between letters because even it alone was wider than a line."""
    lines: list[str] = []
    current = ""
    broken = False
    for word in text.split():
        # "Legs-up-the-wall" may wrap after any of its hyphens, and joins back without a space.
        for i, part in enumerate(re.split(r"(?<=-)(?=.)", word)):
            joined = (current + part if i else f"{current} {part}") if current else part
            if draw.textlength(joined, font=font) <= width:
                current = joined
                continue
            if current:
                lines.append(current)
            current = part
            while draw.textlength(current, font=font) > width and len(current) > 1:
                broken = True
                cut = len(current) - 1
                while cut > 1 and draw.textlength(current[:cut] + "-", font=font) > width:
                    cut -= 1
                lines.append(current[:cut] + "-")
                current = current[cut:]
    if current:
        lines.append(current)
    return lines, broken


def _truncate(
    draw: ImageDraw.ImageDraw, lines: list[str], font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: float, keep: int,
) -> list[str]:
    """Keep the first ``keep`` lines, ending the last with an ellipsis when text was dropped."""
    if len(lines) <= keep:
        return lines
    kept = lines[:keep]
    last = kept[-1].rstrip("-")
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + "…"
    return kept
