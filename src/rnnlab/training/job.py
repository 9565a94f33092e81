"""What a training job does around its loop: it holds a lock on its output folder, so that a
second job for the same folder stops at once instead of racing it, and it clears the
temporaries a killed job left there. (Signals: rnnlab.interrupts.)"""

from __future__ import annotations

from pathlib import Path

from rnnlab.fileio import is_rnnlab_temporary
from rnnlab.locks import TRAIN_LOCK, folder_lock

# The folder lock is rnnlab.locks' (filelock: flock, or a lock file where flock is missing).
LOCK_FILE = TRAIN_LOCK
__all__ = ["LOCK_FILE", "folder_lock", "remove_stale_temporaries"]


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the half-written files a killed rnnlab job left in ``folder`` (only rnnlab's own
    temporaries, see rnnlab.fileio; a user's ``.*.tmp`` stays). Call it holding the folder lock,
    so no live job of this folder is still writing one."""
    stale = [path for path in folder.iterdir() if is_rnnlab_temporary(path)]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
