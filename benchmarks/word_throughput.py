"""Word-level training throughput: one-hot input against a learned embedding.

    python benchmarks/word_throughput.py [--min-freq N] [--hidden H] [--batches B] [--repeats R]

Tokenizes the lab's bundled text into words (``--min-freq 0``, the default, keeps all 4580
words, as a new user gets them), then times the training step (forward, backward, clip, SGD:
``rnnlab.training.step.EagerStep``) of each model below on B sequential batches of 32 x 35
words. The models take turns, R rounds, so that a drift in the machine's load hits all alike;
it prints the median and the best (least disturbed) tokens/second of each. The first step of
each model is an untimed warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from rnnlab.data import Vocab, batches, build_corpus, read_lines, tokenize
from rnnlab.download import bundled_corpus
from rnnlab.models import build_model, num_params
from rnnlab.training.step import SGD, EagerStep

BATCH, STEPS = 32, 35


def models(vocab_size: int, hidden: int) -> dict:
    """name -> (cell, impl, options)."""
    return {
        "lstm torch, one-hot": ("lstm", "torch", {}),
        "lstm torch, embedding": ("lstm", "torch", {"embedding": hidden}),
        "lstm torch, tied": ("lstm", "torch", {"embedding": hidden, "tied": True}),
        "gru scratch, one-hot": ("gru", "scratch", {}),
        "gru scratch, embedding": ("gru", "scratch", {"embedding": hidden}),
        "gru scratch, tied": ("gru", "scratch", {"embedding": hidden, "tied": True}),
    }


def time_steps(step, model, data: list) -> float:
    """Seconds for the training steps over ``data`` (state carried, as sequential sampling)."""
    state = model.begin_state(BATCH)
    start = time.perf_counter()
    for X, Y in data:
        loss, state = step(X, Y, state)
    loss.item()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-freq", type=int, default=0)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    tokens = tokenize(read_lines(bundled_corpus()), "word")
    vocab = Vocab(tokens, min_freq=args.min_freq)
    corpus = torch.tensor(build_corpus(tokens, vocab))
    data = list(batches(corpus, BATCH, STEPS, "sequential", torch.Generator().manual_seed(0)))
    warmup, data = data[:1], data[1:1 + args.batches]
    print(f"{len(vocab)} words, hidden {args.hidden}, {len(data)} batches of {BATCH}x{STEPS}, "
          f"{args.repeats} rounds, torch {torch.__version__}, {torch.get_num_threads()} threads")
    runs, steps, sizes = {}, {}, {}
    for name, (cell, impl, options) in models(len(vocab), args.hidden).items():
        torch.manual_seed(0)
        model = build_model(cell, impl, len(vocab), args.hidden, **options)
        steps[name] = (EagerStep(model, SGD(model.parameters(), lr=1), 1.0), model)
        sizes[name] = num_params(model)
        time_steps(*steps[name], warmup)
        runs[name] = []
    for _ in range(args.repeats):
        for name, (step, model) in steps.items():
            runs[name].append(len(data) * BATCH * STEPS / time_steps(step, model, data))
    print("| model | parameters | median tokens/s | best tokens/s |\n|---|---:|---:|---:|")
    for name, rates in runs.items():
        print(f"| {name} | {sizes[name]} | {statistics.median(rates):.0f} | {max(rates):.0f} |")


if __name__ == "__main__":
    main()
