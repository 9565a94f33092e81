"""The textbook's own training loop on one of the lab's variants, timed: the yardstick that
rnnlab's speed is measured against (benchmarks/throughput.py, benchmarks/whole_lab.sh).

    python benchmarks/textbook_loop.py VARIANT EPOCHS [--config config.yaml] [--d2l DIR]

It uses the d2l API the lab follows, from d2l 0.17.6 as published: ``load_data_time_machine``,
``RNNModelScratch`` (with the chapters' scratch RNN, GRU and LSTM functions), ``RNNModel``
around ``nn.RNN``/``nn.GRU``/``nn.LSTM``, ``sgd`` and ``train_epoch_ch8``. One untimed warm-up
epoch comes first; then EPOCHS epochs are timed in-process. It prints one line,

    RESULT variant=... device=... epochs=... ppl=... s=... ms/epoch=... tok/s=...

and a greedy sample. The variant's cell, implementation, layers, hidden size, lr and sampling,
the batch size, steps and training tokens come from the config, so the textbook trains the same
model on the same tokens as ``rnnlab train``. The text is the lab's corpus bundled with rnnlab
(the same SHA-1 the textbook checks), so nothing is downloaded. CUDA is used when present
(hide it with ``CUDA_VISIBLE_DEVICES=``).

d2l: ``make bench`` installs it (``pip install --no-deps d2l==0.17.6``: its pinned dependencies
are old and the RNN chapters need none beyond torch, numpy, pandas, matplotlib and requests), or
``--d2l DIR`` names a folder that holds the ``d2l`` package. Three modules d2l imports for other
chapters get stand-ins from ``benchmarks/textbook_stubs`` when they are not installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "src" / "rnnlab" / "resources" / "timemachine.txt"
CORPUS_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
SCRATCH_GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # input/hidden/bias triples per cell


def variant_spec(config: Path, name: str) -> dict:
    """The variant's settings over the config's training defaults, with the data's size."""
    import yaml

    config_data = yaml.safe_load(config.read_text("utf-8"))
    if name not in config_data.get("variants", {}):
        raise SystemExit(f"textbook_loop.py: no variant {name!r} in {config}")
    spec = {"sampling": "sequential", "batch_size": 32, "num_steps": 35,
            **config_data.get("training", {}), **config_data["variants"][name]}
    spec["train_tokens"] = config_data.get("data", {}).get("train_tokens", 10000)
    extra = [key for key in ("embedding", "tied", "dropout") if spec.get(key)]
    if extra or (spec.get("layers", 1) != 1 and spec["impl"] == "scratch"):
        raise SystemExit(f"textbook_loop.py: {name} uses what the textbook's models do not have "
                         f"({', '.join(extra) or 'scratch layers > 1'})")
    return spec


def scratch_functions(cell: str, vocab_size: int, hidden: int, device):
    """The chapters' get_params, init_state and forward functions of a scratch ``cell``."""
    import torch

    def normal(shape):
        return torch.randn(size=shape, device=device) * 0.01

    def get_params(_vocab_size, _hidden, _device):
        params = []
        for _ in range(SCRATCH_GATES[cell]):
            params += [normal((vocab_size, hidden)), normal((hidden, hidden)),
                       torch.zeros(hidden, device=device)]
        params += [normal((hidden, vocab_size)), torch.zeros(vocab_size, device=device)]
        for param in params:
            param.requires_grad_(True)
        return params

    def init_state(batch_size, _hidden, _device):
        count = 2 if cell == "lstm" else 1
        return tuple(torch.zeros((batch_size, hidden), device=device) for _ in range(count))

    def rnn(inputs, state, params):  # section 8.5
        W_xh, W_hh, b_h, W_hq, b_q = params
        H, = state  # (batch, hidden)
        outputs = []
        for X in inputs:  # (batch, vocab), one-hot
            H = torch.tanh(X @ W_xh + H @ W_hh + b_h)
            outputs.append(H @ W_hq + b_q)
        return torch.cat(outputs, dim=0), (H,)

    def gru(inputs, state, params):  # section 9.1
        W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
        H, = state
        outputs = []
        for X in inputs:
            Z = torch.sigmoid(X @ W_xz + H @ W_hz + b_z)
            R = torch.sigmoid(X @ W_xr + H @ W_hr + b_r)
            H_tilde = torch.tanh(X @ W_xh + (R * H) @ W_hh + b_h)
            H = Z * H + (1 - Z) * H_tilde
            outputs.append(H @ W_hq + b_q)
        return torch.cat(outputs, dim=0), (H,)

    def lstm(inputs, state, params):  # section 9.2
        (W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c,
         W_hq, b_q) = params
        H, C = state
        outputs = []
        for X in inputs:
            I = torch.sigmoid(X @ W_xi + H @ W_hi + b_i)  # noqa: E741 -- the textbook's name
            F = torch.sigmoid(X @ W_xf + H @ W_hf + b_f)
            O = torch.sigmoid(X @ W_xo + H @ W_ho + b_o)  # noqa: E741
            C_tilde = torch.tanh(X @ W_xc + H @ W_hc + b_c)
            C = F * C + I * C_tilde
            H = O * torch.tanh(C)
            outputs.append(H @ W_hq + b_q)
        return torch.cat(outputs, dim=0), (H, C)

    return get_params, init_state, {"rnn": rnn, "gru": gru, "lstm": lstm}[cell]


def build(d2l, spec: dict, vocab_size: int, device):
    """The textbook's model and updater for ``spec``."""
    import torch
    from torch import nn

    if spec["impl"] == "scratch":
        get_params, init_state, forward = scratch_functions(spec["cell"], vocab_size,
                                                            spec["hidden"], device)
        net = d2l.RNNModelScratch(vocab_size, spec["hidden"], device, get_params, init_state,
                                  forward)
        return net, lambda batch_size: d2l.sgd(net.params, spec["lr"], batch_size)
    layer_class = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[spec["cell"]]
    net = d2l.RNNModel(layer_class(vocab_size, spec["hidden"], spec["layers"]), vocab_size)
    net = net.to(device)
    return net, torch.optim.SGD(net.parameters(), spec["lr"])


def import_d2l(d2l_dir: Path | None):
    """d2l's torch module, with the stand-ins last on the path."""
    if d2l_dir is not None:
        sys.path.insert(0, str(d2l_dir))
    sys.path.append(str(ROOT / "benchmarks" / "textbook_stubs"))
    try:
        from d2l import torch as d2l
    except ImportError as err:
        raise SystemExit(f"textbook_loop.py: d2l is not importable ({err}); run `make bench` "
                         "or `pip install --no-deps d2l==0.17.6`, or pass --d2l DIR") from None
    return d2l


def load_data(d2l, spec: dict):
    """d2l's ``load_data_time_machine`` for ``spec``: (train_iter, vocab)."""
    with tempfile.TemporaryDirectory(prefix="textbook-loop-") as work:
        # d2l reads ../data/timemachine.txt relative to the working directory when its SHA-1
        # matches: the bundled copy, so nothing is downloaded.
        (Path(work) / "data").mkdir()
        (Path(work) / "run").mkdir()
        shutil.copyfile(CORPUS, Path(work) / "data" / "timemachine.txt")
        d2l.DATA_HUB["time_machine"] = (d2l.DATA_URL + "timemachine.txt", CORPUS_SHA1)
        here = os.getcwd()
        os.chdir(Path(work) / "run")
        try:
            return d2l.load_data_time_machine(spec["batch_size"], spec["num_steps"],
                                              spec["sampling"] == "random",
                                              spec["train_tokens"] or 10**9)
        finally:
            os.chdir(here)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variant")
    parser.add_argument("epochs", type=int, help="timed epochs, after one untimed warm-up epoch")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--d2l", type=Path, help="a folder holding the d2l package")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("EPOCHS must be >= 1")
    spec = variant_spec(args.config, args.variant)
    d2l = import_d2l(args.d2l)
    # d2l 0.17.6 calls float() on a tensor that requires grad; newer torch warns each batch.
    warnings.filterwarnings("ignore", module="d2l")
    import torch
    from torch import nn

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(spec.get("seed", 0))
    random_iter = spec["sampling"] == "random"
    train_iter, vocab = load_data(d2l, spec)
    net, updater = build(d2l, spec, len(vocab), device)
    loss = nn.CrossEntropyLoss()
    d2l.train_epoch_ch8(net, train_iter, loss, updater, device, random_iter)  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.epochs):
        ppl, _ = d2l.train_epoch_ch8(net, train_iter, loss, updater, device, random_iter)
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    tokens = args.epochs * sum(Y.numel() for _, Y in train_iter)
    print(f"RESULT variant={args.variant} device={device} epochs={args.epochs} ppl={ppl:.3f} "
          f"s={seconds:.2f} ms/epoch={1000 * seconds / args.epochs:.2f} "
          f"tok/s={tokens / seconds:.0f}")
    print("SAMPLE", d2l.predict_ch8("time traveller", 50, net, vocab, device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
