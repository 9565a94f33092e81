"""rnnlab's word-level model and training step in lockstep with word_language_model's.

    python benchmarks/word_lm_lockstep.py PEER_DIR DATA_DIR [--steps 40] [--every 5]

DATA_DIR is what ``rnnlab preprocess --files TRAIN VALID TEST --token whitespace`` wrote;
PEER_DIR a checkout of pytorch/examples' ``word_language_model`` (its model.py is imported).
The peer's model (2-layer LSTM, 100 wide, tied, dropout 0) is built with seed 1 and its weights
are copied into rnnlab's; both then train on the same windows (``sampling: fixed``), the peer
with its own loop body (NLL of log-softmax, clip_grad_norm_, ``p -= lr * grad``) and rnnlab
with its ``EagerStep``, at lr 20 and clip 0.25. Prints both losses every ``--every`` steps:
equal at first, they drift apart by float rounding, which lr 20 amplifies, as it does between
two runs of the peer on different thread counts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from rnnlab.data import fixed_batches
from rnnlab.models import build_model
from rnnlab.training.step import SGD, EagerStep

sys.path.insert(0, str(Path(__file__).resolve().parent))
from word_lm_parts import peer_and_data  # noqa: E402

HIDDEN, BATCH, STEPS, LR, CLIP = 100, 20, 35, 20.0, 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--every", type=int, default=5)
    args = parser.parse_args()
    peer_model, vocab, train_ids, _ = peer_and_data(args.peer, args.data)
    torch.manual_seed(1)
    theirs = peer_model.RNNModel("LSTM", len(vocab), HIDDEN, HIDDEN, 2, 0.0, True)
    ours = build_model("lstm", "torch", len(vocab), HIDDEN, 2, embedding=HIDDEN, tied=True)
    names = {"encoder.weight": "embedding.weight", "decoder.bias": "linear.bias"}
    ours.load_state_dict({names.get(k, k): v for k, v in theirs.state_dict().items()
                          if k != "decoder.weight"}, strict=False)  # tied: the embedding's
    step = EagerStep(ours, SGD(ours.parameters(), LR), CLIP)
    criterion = torch.nn.NLLLoss()
    hidden, state = theirs.init_hidden(BATCH), ours.begin_state(BATCH)
    windows = fixed_batches(train_ids, BATCH, STEPS, torch.Generator())
    for k, (X, Y) in zip(range(args.steps), windows, strict=False):
        theirs.zero_grad()
        hidden = tuple(h.detach() for h in hidden)
        output, hidden = theirs(X.T, hidden)  # the peer is time-major: (steps, batch)
        loss = criterion(output, Y.T.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(theirs.parameters(), CLIP)
        for p in theirs.parameters():
            p.data.add_(p.grad, alpha=-LR)
        our_loss, state = step(X, Y, state)
        if k % args.every == 0:
            print(f"step {k}: peer loss {loss.item():.5f}, rnnlab loss {our_loss.item():.5f}, "
                  f"difference {our_loss.item() - loss.item():+.5f}", flush=True)


if __name__ == "__main__":
    main()
