"""Gradient clipping: rnnlab's own (rnnlab.training.step.clip_gradients, the textbook's
``grad_clipping`` without a host sync) against ``torch.nn.utils.clip_grad_norm_(foreach=True)``.

    python benchmarks/clip.py [--calls N] [--repeats R]

For the lab's deep LSTM (torch.nn, 2 x 256) and scratch GRU (256), after one real backward
pass, it checks that both give the same gradients and times N calls of each, alternating, R
rounds, on one thread; it prints the median microseconds per call of each and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rnnlab.models import build_model
from rnnlab.training.step import clip_gradients


def compare(cell: str, impl: str, layers: int, calls: int, repeats: int) -> str:
    """One model's line: same gradients?, microseconds per call of each and their ratio."""
    model = build_model(cell, impl, 28, 256, layers)
    params = list(model.parameters())
    logits, _ = model(torch.randint(0, 28, (32, 35)), model.begin_state(32))
    logits.sum().backward()
    grads = [p.grad.clone() for p in params]

    def reset():
        for p, g in zip(params, grads, strict=True):
            p.grad = g.clone()

    ways = {"own": lambda: clip_gradients(params, 1.0),
            "clip_grad_norm_": lambda: torch.nn.utils.clip_grad_norm_(params, 1.0, foreach=True)}
    clipped = {}
    for name, clip in ways.items():
        reset()
        clip()
        clipped[name] = [p.grad.clone() for p in params]
    same = all(torch.equal(a, b) for a, b in zip(*clipped.values(), strict=True))
    times = {name: [] for name in ways}
    for _ in range(repeats):
        for name, clip in ways.items():
            reset()
            start = time.perf_counter()
            for _ in range(calls):
                clip()
            times[name].append((time.perf_counter() - start) / calls * 1e6)
    own, lib = (statistics.median(times[name]) for name in ways)
    return (f"{cell} {impl} {layers}x256: same gradients {same}; own {own:.0f} us, "
            f"clip_grad_norm_ {lib:.0f} us per call ({lib / own:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for cell, impl, layers in (("lstm", "torch", 2), ("gru", "scratch", 1)):
        print(compare(cell, impl, layers, args.calls, args.repeats))


if __name__ == "__main__":
    main()
