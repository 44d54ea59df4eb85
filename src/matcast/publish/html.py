"""The Jinja environment the HTML writers (show notes, library page) render with.

Every routine title, tip and spoken line ends up in these pages, so autoescaping is always on: a
template has to say ``|safe`` out loud to emit markup, and none does. Templates ship as package
data under ``publish/templates/``.
"""

from __future__ import annotations

import functools

import jinja2

from matcast.publish.clock import clock


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@functools.cache
def environment() -> jinja2.Environment:
    """The shared environment; built once, as template compilation is the slow part."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("matcast.publish", "templates"),
        autoescape=True,
        # A misspelt variable should fail the build, not leave a silent hole in a page.
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["clock"] = clock
    env.filters["megabytes"] = _megabytes
    return env


def render(template: str, **context: object) -> str:
    """Render one of the package's templates."""
    return environment().get_template(template).render(**context)
