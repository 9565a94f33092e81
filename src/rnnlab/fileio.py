"""Atomic writes: write to a temporary name beside the target, then rename it into place, so a
crash never leaves a half-written output."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)
# Temporaries are named ``.<target>.rnnlab-<pid>-<random>.tmp``: the marker and the writer's pid
# tell rnnlab's own half-written files from a user's, so a cleanup never deletes the latter.
TEMP_MARKER = "rnnlab-"
TEMP_NAME = re.compile(r"^\..+\.rnnlab-(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$")


def is_rnnlab_temporary(path: str | Path) -> bool:
    """True for a regular file that :func:`atomic_write` named and left behind."""
    path = Path(path)
    return bool(TEMP_NAME.match(path.name)) and path.is_file() and not path.is_symlink()


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` on a temporary file next to ``path``, then rename it to ``path``.

    The temporary file is removed if ``write`` raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{TEMP_MARKER}{os.getpid()}-",
                               suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the output the usual mode
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
