"""Stand-in for matplotlib-inline: d2l imports it for notebooks only."""

from . import backend_inline  # noqa: F401
