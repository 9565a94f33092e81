"""Atomic writes: write to a temporary name beside the target, then rename it into place, so a
crash never leaves a half-written output.

File-system errors come out as ``OSError`` naming the user's path (the folder or the final file,
never the temporary name) with the OS's reason; the command line prints them as one line.
"""

from __future__ import annotations

import errno
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


def _renamed(err: OSError, path: str | Path) -> OSError:
    """``err`` with ``path`` as its file name (the same OSError subclass, from the errno)."""
    if err.errno is None:
        return err
    return OSError(err.errno, err.strerror, str(path))


def describe_os_error(err: OSError) -> str:
    """One line for an OSError: the path(s) it names and the OS's reason."""
    reason = err.strerror or str(err) or type(err).__name__
    if err.filename is None:
        return reason
    names = repr(str(err.filename))
    if err.filename2 is not None:
        names += f" -> {str(err.filename2)!r}"
    return f"{names}: {reason}"


def ensure_dir(path: str | Path) -> Path:
    """Create the folder ``path`` and its parents. A file in the way is a NotADirectoryError
    naming that file (mkdir alone says only "File exists")."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)) from None
    return path


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` on a temporary file next to ``path``, then rename it to ``path``.

    The temporary file is removed if ``write`` raises. An OSError about the temporary file
    (a full disk, a read-only folder) is raised naming ``path`` instead.
    """
    path = Path(path)
    ensure_dir(path.parent)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{TEMP_MARKER}{os.getpid()}-",
                                   suffix=".tmp", dir=path.parent)
    except OSError as err:
        raise _renamed(err, path.parent) from None
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the output the usual mode
        write(tmp)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        if err.filename not in (None, tmp):  # about another file (a download's source)
            raise
        raise _renamed(err, path) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
