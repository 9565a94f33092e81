"""The scratch cells' recurrences, one layer over all steps, with backpropagation through time
written by hand.

Each ``*Scan`` is a ``torch.autograd.Function``: ``forward`` runs the textbook equations step by
step, writing every step's state and gates into preallocated buffers (no autograd graph of
``steps x ops`` nodes), and ``backward`` walks the steps in reverse. Only the work that really is
sequential stays in the loop: the gradient flowing back through ``H_{t-1} W_h``. Everything
that can be batched over steps is done once: the gate derivatives before the loop, and the
recurrent weight's gradient after it as ONE matrix product over all steps,
``dW_h = H_prev_all^T @ dA_all`` with ``(hidden, steps*batch) @ (steps*batch, gates*hidden)``,
instead of ``steps`` rank-``batch`` updates and adds. The input projection ``XW = X W_x + b``
is computed by the caller for all steps at once, so its gradients are one product too.

Shapes: ``XW`` (steps, batch, g*h) with the gate blocks side by side, states (batch, h),
``W_h`` (h, g*h). Everything is ordinary tensor ops on the inputs' device and dtype, without
host syncs or data-dependent shapes, so a training step stays capturable as a CUDA graph.
"""

from __future__ import annotations

import torch
from torch.autograd import Function
from torch.autograd.function import once_differentiable


def _states(XW: torch.Tensor, H0: torch.Tensor) -> torch.Tensor:
    """Buffer for the state before and after every step: ``Hs[0] = H0``, (steps+1, batch, h)."""
    Hs = XW.new_empty((XW.shape[0] + 1, *H0.shape))
    Hs[0] = H0
    return Hs


def _state_grads(dY: torch.Tensor, dH_T: torch.Tensor) -> torch.Tensor:
    """``dHs[t]``: the gradient reaching ``Hs[t]`` from outside the recurrence (the outputs and
    the final state), (steps+1, batch, h). The loop adds each step's recurrent part to it."""
    dHs = torch.cat([dY.new_zeros((1, *dY.shape[1:])), dY])
    dHs[-1] += dH_T
    return dHs


def _flat(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(-1, t.shape[-1])  # (steps, batch, n) -> (steps*batch, n), a view here


def _dsigmoid(S):  # sigmoid'(a) from S = sigmoid(a)
    return S * (1 - S)


def _dtanh(T):  # tanh'(a) from T = tanh(a)
    return 1 - T * T


class RNNScan(Function):
    """``H_t = tanh(XW_t + H_{t-1} W_h)``. Returns outputs (steps, batch, h) and ``H_T``."""

    @staticmethod
    def forward(ctx, XW, H0, W_h):
        Hs = _states(XW, H0)
        for t in range(XW.shape[0]):
            torch.addmm(XW[t], Hs[t], W_h, out=Hs[t + 1]).tanh_()
        ctx.save_for_backward(Hs, W_h)
        return Hs[1:], Hs[-1]

    @staticmethod
    @once_differentiable
    def backward(ctx, dY, dH_T):
        Hs, W_h = ctx.saved_tensors
        dHs, D = _state_grads(dY, dH_T), _dtanh(Hs[1:])  # D: tanh' (steps, batch, h)
        dA = torch.empty_like(D)  # gradient of the pre-activation XW_t + H_{t-1} W_h
        for t in reversed(range(len(dA))):
            torch.mul(dHs[t + 1], D[t], out=dA[t])
            dHs[t].addmm_(dA[t], W_h.T)
        return dA, dHs[0], _flat(Hs[:-1]).T @ _flat(dA)


class LSTMScan(Function):
    """Gates ``[I, F, O] = sigmoid(.)`` and candidate ``C~ = tanh(.)`` of ``XW_t + H_{t-1} W_h``;
    ``C_t = F*C_{t-1} + I*C~``, ``H_t = O*tanh(C_t)``. Returns outputs, ``H_T`` and ``C_T``."""

    @staticmethod
    def forward(ctx, XW, H0, C0, W_h):
        h = H0.shape[-1]
        Hs, Cs = _states(XW, H0), _states(XW, C0)
        G = torch.empty_like(XW)            # gates I, F, O, C~ of every step (steps, batch, 4h)
        TC = torch.empty_like(Hs[1:])       # tanh(C_t) (steps, batch, h)
        for t in range(XW.shape[0]):
            gates = torch.addmm(XW[t], Hs[t], W_h, out=G[t])
            gates[:, :3 * h].sigmoid_()
            gates[:, 3 * h:].tanh_()
            I_, F_, O_, C_tilde = gates.split(h, dim=1)
            torch.mul(F_, Cs[t], out=Cs[t + 1]).addcmul_(I_, C_tilde)
            torch.mul(O_, torch.tanh(Cs[t + 1], out=TC[t]), out=Hs[t + 1])
        ctx.save_for_backward(Hs, Cs, G, TC, W_h)
        return Hs[1:], Hs[-1], Cs[-1]

    @staticmethod
    @once_differentiable
    def backward(ctx, dY, dH_T, dC_T):
        Hs, Cs, G, TC, W_h = ctx.saved_tensors
        steps, batch, h = TC.shape
        I_, F_, O_, C_tilde = G.split(h, dim=2)
        # Pre-activation gradient = factor * (dC_t for I, F, C~; dH_t for O), as in G's order.
        P = torch.cat([C_tilde * _dsigmoid(I_), Cs[:-1] * _dsigmoid(F_), TC * _dsigmoid(O_),
                       I_ * _dtanh(C_tilde)], dim=2)           # (steps, batch, 4h)
        dC_dH = O_ * _dtanh(TC)                                 # dC_t from dH_t (steps, batch, h)
        dHs, dC = _state_grads(dY, dH_T), dC_T.clone()
        dA = torch.empty_like(G)
        for t in reversed(range(steps)):
            dC.addcmul_(dHs[t + 1], dC_dH[t])                   # all of dL/dC_t
            torch.mul(P[t].view(batch, 4, h), dC.unsqueeze(1), out=dA[t].view(batch, 4, h))
            torch.mul(dHs[t + 1], P[t, :, 2 * h:3 * h], out=dA[t, :, 2 * h:3 * h])  # O: dH
            dC.mul_(F_[t])                                      # dL/dC_{t-1} via F*C_{t-1}
            dHs[t].addmm_(dA[t], W_h.T)
        return dA, dHs[0], dC, _flat(Hs[:-1]).T @ _flat(dA)


class GRUScan(Function):
    """The textbook GRU, reset before the product: ``[R, Z] = sigmoid(XW_rz + H W_hrz)``,
    ``H~ = tanh(XW_h + (R*H) W_hh)``, ``H_t = Z*H + (1-Z)*H~``. Returns outputs and ``H_T``."""

    @staticmethod
    def forward(ctx, XW, H0, W_h):
        steps, h = XW.shape[0], H0.shape[-1]
        W_hrz, W_hh = W_h.split([2 * h, h], dim=1)            # (h, 2h), (h, h)
        Hs = _states(XW, H0)
        RZ = XW.new_empty((steps, *H0.shape[:-1], 2 * h))       # R, Z (steps, batch, 2h)
        RH, H_tilde = torch.empty_like(Hs[1:]), torch.empty_like(Hs[1:])  # (steps, batch, h)
        for t in range(steps):
            torch.addmm(XW[t, :, :2 * h], Hs[t], W_hrz, out=RZ[t]).sigmoid_()
            torch.mul(RZ[t, :, :h], Hs[t], out=RH[t])
            torch.addmm(XW[t, :, 2 * h:], RH[t], W_hh, out=H_tilde[t]).tanh_()
            torch.lerp(H_tilde[t], Hs[t], RZ[t, :, h:], out=Hs[t + 1])
        ctx.save_for_backward(Hs, RZ, RH, H_tilde, W_h)
        return Hs[1:], Hs[-1]

    @staticmethod
    @once_differentiable
    def backward(ctx, dY, dH_T):
        Hs, RZ, RH, H_tilde, W_h = ctx.saved_tensors
        steps, batch, h = H_tilde.shape
        W_hrz, W_hh = W_h.split([2 * h, h], dim=1)
        R, Z = RZ.split(h, dim=2)
        # Pre-activation gradients of Z and H~ are dH_t times these factors (steps, batch, 2h);
        # R's is d(R*H)_t * H_{t-1} * sigmoid'.
        P_zh = torch.cat([(Hs[:-1] - H_tilde) * _dsigmoid(Z), (1 - Z) * _dtanh(H_tilde)], dim=2)
        P_r = Hs[:-1] * _dsigmoid(R)
        dHs = _state_grads(dY, dH_T)
        dA = RZ.new_empty((steps, batch, 3 * h))
        for t in reversed(range(steps)):
            torch.mul(P_zh[t].view(batch, 2, h), dHs[t + 1].unsqueeze(1),
                      out=dA[t, :, h:].view(batch, 2, h))
            dRH = dA[t, :, 2 * h:] @ W_hh.T                     # d(R*H_{t-1}) (batch, h)
            torch.mul(dRH, P_r[t], out=dA[t, :, :h])
            dHs[t].addcmul_(dHs[t + 1], Z[t]).addcmul_(dRH, R[t]).addmm_(dA[t, :, :2 * h],
                                                                       W_hrz.T)
        dW_h = torch.cat([_flat(Hs[:-1]).T @ _flat(dA[..., :2 * h]),
                          _flat(RH).T @ _flat(dA[..., 2 * h:])], dim=1)
        return dA, dHs[0], dW_h


class GRUResetAfterScan(Function):
    """torch.nn.GRU's form: ``[R, Z] = sigmoid(XW_rz + H W_hrz)``, ``N = H W_hh + b_hh``,
    ``H~ = tanh(XW_h + R*N)``, ``H_t = Z*H + (1-Z)*H~``. Returns outputs and ``H_T``."""

    @staticmethod
    def forward(ctx, XW, H0, W_h, b_hh):
        h = H0.shape[-1]
        Hs = _states(XW, H0)
        # S[t] = [XW_rz, b_hh] + H_{t-1} W_h = pre-activations of R, Z and then N; one product.
        S = torch.cat([XW[..., :2 * h], b_hh.expand_as(XW[..., 2 * h:])], dim=2)
        H_tilde = torch.empty_like(Hs[1:])                      # (steps, batch, h)
        for t in range(XW.shape[0]):
            RZN = S[t].addmm_(Hs[t], W_h)                       # (batch, 3h)
            R, Z = RZN[:, :2 * h].sigmoid_().split(h, dim=1)
            torch.addcmul(XW[t, :, 2 * h:], R, RZN[:, 2 * h:], out=H_tilde[t]).tanh_()
            torch.lerp(H_tilde[t], Hs[t], Z, out=Hs[t + 1])
        ctx.save_for_backward(Hs, S, H_tilde, W_h)
        return Hs[1:], Hs[-1]

    @staticmethod
    @once_differentiable
    def backward(ctx, dY, dH_T):
        Hs, S, H_tilde, W_h = ctx.saved_tensors
        steps, batch, h = H_tilde.shape
        R, Z, N = S.split(h, dim=2)
        P_h = (1 - Z) * _dtanh(H_tilde)          # dH_t -> pre-activation of H~ (= dXW_h)
        # dH_t -> gradient of S's pre-activations [R, Z, N] (steps, batch, 3h)
        P = torch.cat([P_h * N * _dsigmoid(R), (Hs[:-1] - H_tilde) * _dsigmoid(Z), P_h * R],
                      dim=2)
        dHs = _state_grads(dY, dH_T)
        dS = torch.empty_like(S)
        for t in reversed(range(steps)):
            torch.mul(P[t].view(batch, 3, h), dHs[t + 1].unsqueeze(1), out=dS[t].view(batch, 3, h))
            dHs[t].addcmul_(dHs[t + 1], Z[t]).addmm_(dS[t], W_h.T)
        dXW = torch.cat([dS[..., :2 * h], dHs[1:] * P_h], dim=2)
        return dXW, dHs[0], _flat(Hs[:-1]).T @ _flat(dS), dS[..., 2 * h:].sum((0, 1))


def scan(cell: str, reset_after: bool, XW: torch.Tensor, state: tuple[torch.Tensor, ...],
         W_h: torch.Tensor, b_hh: torch.Tensor | None = None):
    """Run one layer over all steps of ``XW`` from ``state``: (outputs, new state tuple)."""
    if cell == "rnn":
        Y, H = RNNScan.apply(XW, *state, W_h)
        return Y, (H,)
    if cell == "lstm":
        Y, H, C = LSTMScan.apply(XW, *state, W_h)
        return Y, (H, C)
    if reset_after:
        Y, H = GRUResetAfterScan.apply(XW, *state, W_h, b_hh)
    else:
        Y, H = GRUScan.apply(XW, *state, W_h)
    return Y, (H,)
