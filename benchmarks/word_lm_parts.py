"""The parts of a word-level epoch, rnnlab against word_language_model, in one process.

    python benchmarks/word_lm_parts.py PEER_DIR DATA_DIR [--rounds 12] [--steps 8]

DATA_DIR is what ``rnnlab preprocess --files TRAIN VALID TEST --token whitespace`` wrote;
PEER_DIR a checkout of pytorch/examples' ``word_language_model`` (its model.py is imported).
The same model (2-layer LSTM, 100 wide, tied) is built by each; in every round each runs
``--steps`` training steps (rnnlab's ``EagerStep``; the peer's loop body from its main.py) and
one held-out evaluation with 10 rows, the two taking turns going first. Prints each round and
the median ratios (the peer's seconds over rnnlab's: above 1 means rnnlab is faster), and
rnnlab's time to copy its state and write best.pt, which it does at each new best epoch.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from rnnlab.checkpoint import save_checkpoint
from rnnlab.data import load_data, sequential_batches, split_data
from rnnlab.models import build_model
from rnnlab.training.epoch import evaluate
from rnnlab.training.step import SGD, EagerStep

BATCH, STEPS, EVAL_ROWS, HIDDEN = 20, 35, 10, 100


def rnnlab_parts(model, step, batches, valid, steps: int, folder: Path) -> tuple[float, ...]:
    """Seconds of ``steps`` training steps, one evaluation, and one state copy + best.pt."""
    state, start = model.begin_state(BATCH), time.perf_counter()
    for X, Y in batches[:steps]:
        loss, state = step(X, Y, state)
    loss.item()
    train = time.perf_counter() - start
    start = time.perf_counter()
    evaluate(model, valid, EVAL_ROWS, STEPS)
    held_out = time.perf_counter() - start
    start = time.perf_counter()
    save_checkpoint(folder / "best.pt",
                    model_state={k: v.detach().clone() for k, v in model.state_dict().items()})
    return train, held_out, time.perf_counter() - start


def peer_parts(model, train_rows, valid_rows, steps: int, folder: Path) -> tuple[float, float]:
    """The peer's training steps and its evaluation (with its torch.save of the model)."""
    criterion, start = nn.NLLLoss(), time.perf_counter()
    model.train()
    hidden = model.init_hidden(BATCH)
    for i in range(0, STEPS * steps, STEPS):
        data, targets = train_rows[i:i + STEPS], train_rows[i + 1:i + 1 + STEPS].reshape(-1)
        model.zero_grad()
        hidden = tuple(h.detach() for h in hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-20)
        loss.item()
    train = time.perf_counter() - start
    start = time.perf_counter()
    model.eval()
    hidden, total = model.init_hidden(EVAL_ROWS), 0.0
    with torch.no_grad():
        for i in range(0, valid_rows.size(0) - 1, STEPS):
            seq = min(STEPS, len(valid_rows) - 1 - i)
            output, hidden = model(valid_rows[i:i + seq], hidden)
            total += seq * criterion(output, valid_rows[i + 1:i + 1 + seq].reshape(-1)).item()
    with open(folder / "peer.pt", "wb") as f:
        torch.save(model, f)
    return train, time.perf_counter() - start


def peer_and_data(peer: Path, data: Path):
    """word_language_model's model.py imported from the checkout ``peer``, and the preprocessed
    ``data``: (that module, vocab, training ids, held-out ids), with torch on one thread."""
    sys.path.insert(0, str(peer.resolve()))
    import model as peer_model

    torch.set_num_threads(1)
    corpus, vocab, stats = load_data(data)
    train_ids, valid, _ = split_data(corpus, stats, {})
    return peer_model, vocab, train_ids, valid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    peer_model, vocab, train_ids, valid = peer_and_data(args.peer, args.data)
    torch.manual_seed(0)
    ours = build_model("lstm", "torch", len(vocab), HIDDEN, 2, embedding=HIDDEN, tied=True)
    step = EagerStep(ours, SGD(ours.parameters(), 20), 0.25)
    batches = list(sequential_batches(train_ids, BATCH, STEPS, torch.Generator().manual_seed(0)))
    theirs = peer_model.RNNModel("LSTM", len(vocab), HIDDEN, HIDDEN, 2, 0.0, True)
    train_rows = train_ids[:len(train_ids) // BATCH * BATCH].view(BATCH, -1).t().contiguous()
    valid_rows = valid[:len(valid) // EVAL_ROWS * EVAL_ROWS].view(EVAL_ROWS, -1).t().contiguous()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rnnlab_parts(ours, step, batches, valid, 2, folder)  # warm-up, untimed
        peer_parts(theirs, train_rows, valid_rows, 2, folder)
        steps_ratio, eval_ratio, saves = [], [], []
        for r in range(args.rounds):
            if r % 2:
                a = rnnlab_parts(ours, step, batches, valid, args.steps, folder)
                b = peer_parts(theirs, train_rows, valid_rows, args.steps, folder)
            else:
                b = peer_parts(theirs, train_rows, valid_rows, args.steps, folder)
                a = rnnlab_parts(ours, step, batches, valid, args.steps, folder)
            steps_ratio.append(b[0] / a[0])
            eval_ratio.append(b[1] / (a[1] + a[2]))
            saves.append(a[2])
            print(f"round {r}: steps rnnlab {a[0]:.2f} s, peer {b[0]:.2f} s; evaluation "
                  f"rnnlab {a[1]:.2f} s + best.pt {a[2]:.2f} s, peer {b[1]:.2f} s", flush=True)
    print(f"median speed rnnlab / peer: training steps {statistics.median(steps_ratio):.2f}x, "
          f"evaluation and best checkpoint {statistics.median(eval_ratio):.2f}x; rnnlab's state "
          f"copy and best.pt {statistics.median(saves):.2f} s")


if __name__ == "__main__":
    main()
