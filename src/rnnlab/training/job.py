"""What a training job does around its loop: it holds a lock on its output folder, so that a
second job for the same folder stops at once instead of racing it, and it clears the
temporaries a killed job left there. (Signals: rnnlab.interrupts.)"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from rnnlab.errors import TrainingError
from rnnlab.fileio import is_rnnlab_temporary

LOCK_FILE = ".rnnlab-train.lock"


@contextlib.contextmanager
def folder_lock(folder: Path, job: str) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``folder/.rnnlab-train.lock`` while the block runs.

    The file names the holder (pid, host, start time, ``job``), so a second job can say which
    job it met. The kernel drops the lock when the holder exits, however it exits, so a killed
    job never leaves a stale lock; the file itself stays (removing it would let a third job lock
    a fresh inode while the second still holds the old one).
    """
    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as err:
        raise TrainingError(f"cannot create the lock file {str(path)!r}: {err.strerror}") \
            from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text("utf-8", errors="replace").strip() or "a job just starting"
            raise TrainingError(f"{str(folder)!r} is in use by another training job ({holder});"
                                " wait for it to finish or stop it") from None
        except OSError as err:
            raise TrainingError(f"cannot lock {str(path)!r}: {err.strerror}") from None
        started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {started}, "
                     f"{job}\n".encode())
        yield path
    finally:
        os.close(fd)  # releases the lock


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the half-written files a killed rnnlab job left in ``folder`` (only rnnlab's own
    temporaries, see rnnlab.fileio; a user's ``.*.tmp`` stays). Call it holding the folder lock,
    so no live job of this folder is still writing one."""
    stale = [path for path in folder.iterdir() if is_rnnlab_temporary(path)]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
