"""One training step (forward, loss, backward, clip, SGD), run eagerly or replayed from a CUDA
graph. Both return the loss as a device tensor, so the loop syncs with the host once an epoch."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from rnnlab.data import batches


def clip_gradients(params: list[torch.Tensor], max_norm: float) -> None:
    """The textbook's ``grad_clipping``: scale all gradients by min(1, max_norm / ||g||), where
    ||g|| is the norm over all parameters together. Done on the device, without a host sync.
    Not torch.nn.utils.clip_grad_norm_(foreach=True): it divides by ||g|| + 1e-6, not the
    textbook's ||g||, and took 1.5x as long per call on the CPU (BENCHMARKS.md)."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    torch._foreach_mul_(grads, (max_norm / norm).clamp(max=1.0))


class SGD:
    """Minibatch SGD, ``p -= lr * p.grad``, as the textbook's ``d2l.sgd`` and
    ``torch.optim.SGD`` without momentum compute it, with one foreach kernel. (Building any
    ``torch.optim`` optimizer imports torch._dynamo: about 2 s of start-up for every job.)"""

    def __init__(self, params, lr: float):
        self.params, self.lr = list(params), lr

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        params = [p for p in self.params if p.grad is not None]
        torch._foreach_add_(params, [p.grad for p in params], alpha=-self.lr)

    def state_dict(self) -> dict:
        return {"lr": self.lr}

    def load_state_dict(self, state: dict) -> None:
        self.lr = state["lr"]


class EagerStep:
    """The step as plain PyTorch calls."""

    def __init__(self, model: torch.nn.Module, optimizer: SGD, clip: float):
        self.model, self.optimizer, self.clip = model, optimizer, clip
        self.params = [p for p in model.parameters() if p.requires_grad]

    def forward_backward(self, X, Y, state):
        """Loss and new state for one batch; gradients land in ``.grad``, clipped, then SGD."""
        logits, state = self.model(X, state)  # (steps*batch, vocab), time-major
        loss = F.cross_entropy(logits, Y.T.reshape(-1))  # targets in the same time-major order
        loss.backward()
        clip_gradients(self.params, self.clip)
        self.optimizer.step()
        return loss.detach(), state

    def __call__(self, X, Y, state):
        """Train on ``(X, Y)`` (each ``(batch, steps)``) from ``state``; return (loss, state).

        The returned state is detached: the next batch continues from its values, but gradients
        stop at the batch boundary (truncated backpropagation through time). Without it the
        graph would grow across the whole epoch and backward would reach freed buffers.
        """
        self.optimizer.zero_grad(set_to_none=True)
        loss, state = self.forward_backward(X, Y, state)
        return loss, tuple(s.detach() for s in state)


class GraphStep(EagerStep):
    """The same step captured once as a CUDA graph for a fixed (batch, steps) shape and replayed:
    one launch per step instead of hundreds, which is what small recurrent models on a GPU are
    bound by. The inputs and state are copied into static buffers before each replay."""

    def __init__(self, model, optimizer, clip, X, Y, state, warmup: int = 3):
        super().__init__(model, optimizer, clip)
        self.X, self.Y = X.clone(), Y.clone()
        self.state_in = tuple(s.clone() for s in state)
        # Warm up on a side stream (allocates autograd and library workspaces), then restore the
        # weights, optimizer and RNG, so the warm-up steps do not change what training computes.
        saved = [p.detach().clone() for p in self.params]
        saved_optimizer = copy.deepcopy(optimizer.state_dict())
        saved_rng = torch.cuda.get_rng_state(X.device)
        side = torch.cuda.Stream(X.device)
        side.wait_stream(torch.cuda.current_stream(X.device))
        with torch.cuda.stream(side):
            for _ in range(warmup):
                optimizer.zero_grad(set_to_none=True)
                self.forward_backward(self.X, self.Y, self.state_in)
        torch.cuda.current_stream(X.device).wait_stream(side)
        with torch.no_grad():
            torch._foreach_copy_(self.params, saved)
        optimizer.load_state_dict(saved_optimizer)
        torch.cuda.set_rng_state(saved_rng, X.device)

        self.graph = torch.cuda.CUDAGraph()
        optimizer.zero_grad(set_to_none=True)
        with torch.cuda.graph(self.graph):
            loss, state_out = self.forward_backward(self.X, self.Y, self.state_in)
        self.loss = loss
        self.state_out = tuple(s.detach() for s in state_out)

    def __call__(self, X, Y, state):
        if X.shape != self.X.shape:  # fixed sampling's last, shorter window: run it eagerly
            return super().__call__(X, Y, state)
        self.X.copy_(X)
        self.Y.copy_(Y)
        for buffer, value in zip(self.state_in, state, strict=True):
            buffer.copy_(value)
        self.graph.replay()
        # Clones, so the caller may keep them while the next replay overwrites the buffers.
        return self.loss.clone(), tuple(s.clone() for s in self.state_out)


def make_step(model, optimizer: SGD, settings, device: torch.device, ids: torch.Tensor,
              generator: torch.Generator) -> EagerStep:
    """The eager step, or on CUDA (unless ``cuda_graph`` is off) the CUDA-graph step, captured
    with a batch of the right shape (drawn from a copy of the generator, so the data order is
    not disturbed)."""
    if device.type != "cuda" or not settings.cuda_graph:
        return EagerStep(model, optimizer, settings.clip)
    probe = torch.Generator().manual_seed(0)
    probe.set_state(generator.get_state())
    X, Y = next(batches(ids, settings.batch_size, settings.num_steps, settings.sampling, probe))
    state = model.begin_state(settings.batch_size, device)
    return GraphStep(model, optimizer, settings.clip, X, Y, state)
