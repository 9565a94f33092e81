"""One epoch, as the textbook's ``train_epoch_ch8``: a pass over the training tokens in minibatches
of ``num_steps`` windows; and the held-out perplexity, read in order without gradients."""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from rnnlab.data import batches
from rnnlab.errors import TrainingError

# An epoch whose mean training loss exceeds this many times log(vocab size), the loss of the
# uniform model, has diverged (see check_divergence).
DIVERGENCE_FACTOR = 2.0


def perplexity(mean_loss: float) -> float:
    """exp(mean cross-entropy per token), capped so that JSON stays finite."""
    return math.exp(min(mean_loss, 700.0))


def train_epoch(step, model, ids: torch.Tensor, settings,
                generator: torch.Generator) -> tuple[float, float, int]:
    """One pass over the training tokens. Returns (mean loss, seconds, tokens)."""
    batch_size, num_steps, sampling = settings.batch_size, settings.num_steps, settings.sampling
    start = time.perf_counter()
    total, tokens, state = torch.zeros((), device=ids.device), 0, None
    for X, Y in batches(ids, batch_size, num_steps, sampling, generator):
        if state is None or sampling == "random":
            # Random sampling: batches are not contiguous, so each starts from a fresh state.
            state = model.begin_state(batch_size, ids.device)
        # The step returns the state detached from this batch's graph: the next batch goes on
        # from its values (sequential windows continue each other), but backpropagation stops at
        # the batch boundary (truncated BPTT). Kept attached, the graph would grow over the whole
        # epoch and the next backward would run into the buffers this one freed.
        loss, state = step(X, Y, state)
        total += loss * Y.numel()
        tokens += Y.numel()
    mean_loss = total.item() / tokens  # the one host sync of the epoch
    return mean_loss, time.perf_counter() - start, tokens


@torch.no_grad()
def evaluate(model, ids: torch.Tensor, batch_size: int, num_steps: int) -> float | None:
    """Held-out perplexity: the tail read in order as ``batch_size`` rows, state carried across
    windows, no gradients, dropout off. None when there is no held-out text."""
    if len(ids) < 2:
        return None
    rows = max(1, min(batch_size, (len(ids) - 1) // num_steps))
    length = (len(ids) - 1) // rows * rows
    inputs = ids[:length].reshape(rows, -1)  # (rows, length / rows)
    targets = ids[1:length + 1].reshape(rows, -1)
    was_training = model.training
    model.eval()
    state, total = model.begin_state(rows, ids.device), torch.zeros((), device=ids.device)
    for start in range(0, inputs.shape[1], num_steps):
        logits, state = model(inputs[:, start:start + num_steps], state)
        target = targets[:, start:start + num_steps].T.reshape(-1)  # time-major, as logits
        total += F.cross_entropy(logits, target, reduction="sum")
    model.train(was_training)
    return perplexity(total.item() / targets.numel())


def check_divergence(mean_loss: float, vocab_size: int, variant: str, epoch: int,
                     resume_path: Path) -> None:
    """Stop a run whose epoch's mean training loss is not finite or above DIVERGENCE_FACTOR times
    log(vocab_size), the loss of the uniform model: such a model predicts far worse than
    guessing, and SGD will not bring it back. Healthy runs start near log(vocab_size) (small
    initial weights) and only go down (the lab's first epochs: about log 28 = 3.3)."""
    limit = DIVERGENCE_FACTOR * math.log(vocab_size)
    if math.isfinite(mean_loss) and mean_loss <= limit:
        return
    last = f"the last good checkpoint is {resume_path}" if resume_path.exists() else \
        "no checkpoint was written yet"
    raise TrainingError(f"variant {variant!r} diverged at epoch {epoch}: its mean training loss "
                        f"{mean_loss:.4g} is not below {limit:.3g} = {DIVERGENCE_FACTOR:g} x "
                        f"log({vocab_size}), where guessing uniformly gives log({vocab_size}) "
                        f"(try a smaller lr); {last}")
