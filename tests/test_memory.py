"""Tests of rnnlab.memory: glibc's malloc keeps a training step's freed blocks for the next."""

import subprocess
import sys

import pytest

# A word-level training step in a fresh process: a 2-layer LSTM under a 7000-word output layer
# (its logits and their gradient are 20 MB blocks), faults counted over steps after warm-up.
STEPS = """
import resource, sys, torch
import torch.nn.functional as F
from rnnlab.memory import keep_freed_memory
from rnnlab.models import build_model
applied = keep_freed_memory() if sys.argv[1] == "keep" else None
torch.set_num_threads(1)
torch.manual_seed(0)
model = build_model("lstm", "torch", 7000, 100, 2, embedding=100, tied=True)
X, Y = torch.randint(0, 7000, (20, 35)), torch.randint(0, 7000, (20, 35))

def step():
    logits, _ = model(X)
    F.cross_entropy(logits, Y.T.reshape(-1)).backward()
    model.zero_grad(set_to_none=True)

for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(8):
    step()
print(applied, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 8)
"""


def faults_per_step(mode: str) -> tuple[str, float]:
    out = subprocess.run([sys.executable, "-c", STEPS, mode], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0], float(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux")
def test_training_steps_reuse_their_memory():
    """With the setting, steady training steps fault in fewer pages than one 20 MB block
    holds (4883): the freed blocks are reused, not returned to the kernel and asked for again."""
    applied, faults = faults_per_step("keep")
    assert applied == "True"
    assert faults < 1000, f"{faults:.0f} page faults per step"


def test_keep_freed_memory_says_whether_it_applied():
    """It answers True where glibc takes the settings (Linux here), and calling it again is
    harmless. (In a fresh process: the test's own allocator stays as it is.)"""
    twice = subprocess.run([sys.executable, "-c", "from rnnlab.memory import keep_freed_memory "
                            "as keep; print(keep(), keep())"], capture_output=True, text=True,
                           check=True).stdout.split()
    assert twice == [str(sys.platform.startswith("linux"))] * 2
