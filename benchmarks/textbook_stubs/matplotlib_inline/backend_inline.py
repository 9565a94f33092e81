"""Stand-in for matplotlib_inline.backend_inline (notebook figure formats)."""


def set_matplotlib_formats(*args, **kwargs) -> None:
    """Notebook figure formats: nothing to set outside a notebook."""
