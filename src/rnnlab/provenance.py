"""Where a result came from: a fingerprint of the code that shapes each pipeline stage's result
(the rules pass it as a param, so a code change makes exactly the affected jobs stale), and the
rnnlab version and git commit a job ran with (metrics.json records them)."""

from __future__ import annotations

import ast
import functools
import hashlib
import subprocess
from pathlib import Path

import rnnlab

PACKAGE_DIR = Path(rnnlab.__file__).resolve().parent
# The modules (files, or folders for packages) under src/rnnlab whose code shapes each stage's
# outputs. Not the command line, errors, file writing, locking or the plan: they change how a
# job runs, never what it writes.
STAGE_CODE = {
    "data": ("data", "preprocess.py"),  # the texts' SHA-1s fix what download writes
    "train": ("training/settings.py", "training/setup.py", "training/state.py",
              "training/epoch.py", "training/step.py", "training/resume.py",
              "training/observers.py", "training/outputs.py", "training/loop.py", "models",
              "cells.py", "dropout.py", "data", "checkpoint.py", "plots.py", "generate"),
    "predict": ("predict.py", "generate", "models", "cells.py", "dropout.py",
                "checkpoint.py"),
    "report": ("report", "plots.py"),
}
# The rest of the package, which no stage's result depends on (tests/test_provenance.py checks
# that every module is in a stage or here, so a new module is placed on purpose).
NO_STAGE_CODE = ("__init__.py", "cli", "errors.py", "fileio.py", "interrupts.py",
                 "training/__init__.py", "training/job.py", "training/live.py", "plan.py",
                 "lifeline.py", "locks.py", "memory.py", "provenance.py", "config",
                 "config.schema.yaml", "download.py", "export.py", "compare", "resources")


def _without_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` with the docstring of its module, classes and functions removed (comments are
    not part of a syntax tree at all)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def file_fingerprint(path: Path) -> bytes:
    """SHA-256 of what counts of one file: a Python module's syntax tree without docstrings (so
    comments, docstrings and layout do not count), any other file's bytes (a report template)."""
    stat = path.stat()
    return _fingerprint(path, stat.st_mtime_ns, stat.st_size)


@functools.cache  # stages share modules: each version of a file is parsed once
def _fingerprint(path: Path, mtime_ns: int, size: int) -> bytes:
    if path.suffix == ".py":
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        return hashlib.sha256(ast.dump(_without_docstrings(tree)).encode()).digest()
    return hashlib.sha256(path.read_bytes()).digest()


def stage_files(stage: str, package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The files of ``stage``'s code, in a fixed order; listed modules that do not exist are
    skipped (tests/test_provenance.py checks that each one does)."""
    if stage not in STAGE_CODE:
        raise ValueError(f"unknown stage {stage!r} (valid: {', '.join(STAGE_CODE)})")
    files: set[Path] = set()
    for name in STAGE_CODE[stage]:
        path = package_dir / name
        if path.is_dir():
            files |= {file for file in path.rglob("*")
                      if file.is_file() and "__pycache__" not in file.parts}
        elif path.is_file():
            files.add(path)
    return sorted(files)


def code_fingerprint(stage: str, package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 (hex) over ``stage``'s files: each one's path in the package and what counts of
    it (file_fingerprint). It changes when the code that shapes the stage's result does."""
    digest = hashlib.sha256()
    for path in stage_files(stage, package_dir):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(file_fingerprint(path))
    return digest.hexdigest()


def _git(*args: str) -> str | None:
    """The output of a git command run in the package's folder; None when it fails (no git, or
    not a checkout)."""
    try:
        done = subprocess.run(["git", "-C", str(PACKAGE_DIR), *args], capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def provenance() -> dict:
    """rnnlab's version, and the git commit of the checkout rnnlab runs from with whether its
    tracked files differ from that commit; commit and dirty are None when the package is not a
    tracked part of a git checkout (an installed wheel, or a copy)."""
    commit = dirty = None
    if _git("ls-files", "--error-unmatch", "__init__.py") is not None:
        head = _git("rev-parse", "HEAD")
        status = _git("status", "--porcelain", "--untracked-files=no")
        if head is not None and status is not None:
            commit, dirty = head.strip(), bool(status.strip())
    return {"rnnlab_version": rnnlab.__version__, "git_commit": commit, "git_dirty": dirty}
