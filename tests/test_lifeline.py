"""Tests of rnnlab.lifeline: a job stops with SIGTERM once the workflow that started it dies,
through a shell in between, and not before."""

import os
import signal
import subprocess
import sys
import time

JOB = """
import signal, sys, time
from rnnlab.lifeline import watch_workflow
def stop(signum, frame):
    open(sys.argv[1], "w").write(signal.Signals(signum).name)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
assert watch_workflow() is not None
time.sleep(60)
"""
WORKFLOW = """
import subprocess, sys, time
from rnnlab.lifeline import name_workflow
name_workflow()
subprocess.Popen(["/bin/sh", "-c", sys.argv[1] + " ; true"])
time.sleep(60)
"""


def test_a_job_stops_when_its_workflow_is_killed(tmp_path):
    """kill -9 of the workflow process: the job (under a shell) gets SIGTERM within seconds."""
    marker = tmp_path / "stopped"
    job = f"{sys.executable} -c '{JOB}' {marker}"
    workflow = subprocess.Popen([sys.executable, "-c", WORKFLOW, job])
    time.sleep(3)
    assert not marker.exists()  # the workflow lives: the job runs on
    os.kill(workflow.pid, signal.SIGKILL)
    workflow.wait()
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.read_text() == "SIGTERM"


def test_no_workflow_no_watch(monkeypatch):
    """Run by hand (no workflow named, or one on another host), a job watches nothing."""
    from rnnlab.lifeline import ENV, watch_workflow

    monkeypatch.delenv(ENV, raising=False)
    assert watch_workflow() is None
    monkeypatch.setenv(ENV, f"another-host {os.getpid() + 1} 1")
    assert watch_workflow() is None
