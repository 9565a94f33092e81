"""A training job that Snakemake started stops when that Snakemake dies.

Snakemake killed with ``kill -9`` cannot stop its jobs, and a job left running holds its
folder while the next run wants it. So the workflow names itself in the environment its jobs
inherit (``RNNLAB_WORKFLOW``: host, pid and the pid's start time, through any shell in between),
and ``rnnlab train`` watches that process from a thread: once it is gone, the job sends itself
SIGTERM and stops as on any SIGTERM, writing ``resume.pt``, so the next run resumes. On a Slurm
node the job's own Snakemake (the job step) names itself, so the job watches that one.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading

ENV = "RNNLAB_WORKFLOW"
POLL_SECONDS = 1.0


def _start_time(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (Linux), None where /proc has no
    answer; "" for a zombie, which has exited."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return "" if fields[0] == "Z" else fields[19]


def name_workflow() -> None:
    """Name this process (the workflow) in the environment of the jobs it starts."""
    os.environ[ENV] = f"{socket.gethostname()} {os.getpid()} {_start_time(os.getpid()) or '-'}"


def _alive(pid: int, started: str) -> bool:
    """Whether process ``pid``, started at ``started`` ("-": unknown), still runs (a pid reused
    by a newer process does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _start_time(pid)
    return now is None or now == started if started != "-" else now != ""


def watch_workflow() -> threading.Thread | None:
    """Start the watch when a workflow on this host started this process; None otherwise."""
    try:
        host, pid_text, started = os.environ[ENV].split()
        pid = int(pid_text)
    except (KeyError, ValueError):
        return None
    if host != socket.gethostname() or pid == os.getpid():
        return None

    def watch() -> None:
        stop = threading.Event()
        while _alive(pid, started):
            stop.wait(POLL_SECONDS)
        print(f"rnnlab: the Snakemake that started this job (pid {pid}) is gone; stopping as "
              "on SIGTERM", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="rnnlab-lifeline", daemon=True)
    thread.start()
    return thread
