"""Shared fixtures: the project root and a tiny preprocessed corpus."""

import os
from pathlib import Path

import pytest
import torch

from rnnlab.data import preprocess
from rnnlab.download import bundled_corpus

ROOT = Path(__file__).resolve().parents[1]
TINY_LINES = 120  # about 4000 characters of The Time Machine
# Tiny models run fastest on one thread, and on a shared 2-core machine several threads per
# test process spin against each other (10x slower under load); subprocesses inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tiny_text(tmp_path_factory) -> Path:
    """The first lines of the lab's text: a corpus small enough for 1-2 epoch tests."""
    lines = bundled_corpus().read_text("utf-8").splitlines()[:TINY_LINES]
    path = tmp_path_factory.mktemp("text") / "tiny.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_data(tiny_text, tmp_path_factory) -> Path:
    """A preprocessed character corpus of the tiny text."""
    out = tmp_path_factory.mktemp("data")
    preprocess(tiny_text, "char", out)
    return out
