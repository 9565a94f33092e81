"""SIGTERM and SIGINT (Slurm's notice before a time limit, and Ctrl-C) for a training job: while
the job starts, a signal is only recorded, and answered once its imports are done; while it
trains, a signal raises :class:`Interrupted`, which the loop answers by saving ``resume.pt``.
Standard library only, so that the command line installs this before it imports torch."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived. A BaseException, like KeyboardInterrupt, so that no
    ``except Exception`` on the way swallows it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def _handlers(handler) -> Iterator[None]:
    """Install ``handler`` for the stop signals while the block runs (main thread only: Python
    cannot install handlers elsewhere, so there the block runs with the handlers as they are)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


@contextlib.contextmanager
def stop_signals_deferred() -> Iterator[None]:
    """Record a stop signal during the block and raise :class:`Interrupted` when it ends.

    For imports: a KeyboardInterrupt raised inside ``import torch`` can be caught by the import
    machinery or leave half-initialised modules behind, so the job trained on and failed later,
    or stopped without a word. Recording it and raising after the imports is reliable.
    """
    received: list[int] = []
    with _handlers(lambda signum, frame: received.append(signum)):
        yield
    if received:
        raise Interrupted(received[0])


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT raise :class:`Interrupted` in the main thread.

    After the first one both are ignored until the block ends: the job is already stopping,
    and a second Ctrl-C would only cut short the save of ``resume.pt``.
    """
    def handler(signum, frame):
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        raise Interrupted(signum)

    with _handlers(handler):
        yield
