"""Tests of rnnlab.generate: greedy, sampling, beam search, checkpoints and the command line."""

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from rnnlab.checkpoint import rng_states, save_checkpoint
from rnnlab.data import Vocab
from rnnlab.errors import CheckpointError, GenerationError
from rnnlab.generate import beam_search, generate, greedy, sample
from rnnlab.models import CELLS, IMPLS, build_model

ROOT = Path(__file__).resolve().parents[1]
TEXT = "the time traveller for so it will be convenient to speak of him was expounding"
CHAR_VOCAB = Vocab(list(TEXT))
WORD_VOCAB = Vocab(TEXT.split())
PREFIX = "time tr"


def _model(cell="gru", impl="torch", vocab=CHAR_VOCAB, seed=0, **options):
    """A model with weights N(0, 0.5²): untrained, but with clear-cut next-token preferences."""
    torch.manual_seed(seed)
    model = build_model(cell, impl, len(vocab), 16, **options)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    return model


class TableModel(nn.Module):
    """A tiny language model with the rnnlab interface whose next-token logits are an arbitrary
    table indexed by the whole history: the state ``(1, batch, 1)`` holds the tokens fed so far
    as base-(V+1) digits (taken modulo the table's length, so a one-row table is constant)."""

    def __init__(self, table: torch.Tensor):
        super().__init__()
        self.vocab_size = table.shape[1]
        self.register_buffer("table", table)  # (codes, vocab)

    def begin_state(self, batch_size, device=None):
        return (torch.zeros(1, batch_size, 1, dtype=torch.float64, device=device),)

    def forward(self, X, state):
        code = state[0][0, :, 0].long()  # (batch,)
        logits = []
        for x in X.T:  # x (batch,)
            code = (code * (self.vocab_size + 1) + x + 1) % len(self.table)
            logits.append(self.table[code])  # (batch, vocab)
        return torch.cat(logits), (code.double()[None, :, None],)  # (steps*batch, vocab)


def _code(ids, vocab_size):
    """The table row a history of token ids reads (as in TableModel.forward)."""
    code = 0
    for i in ids:
        code = code * (vocab_size + 1) + i + 1
    return code


def _step_by_step_greedy(model, vocab, prefix, num_preds):
    """The textbook's predict_ch8, literally: one token per forward call."""
    state = model.begin_state(1, "cpu")
    outputs = [vocab[prefix[0]]]
    with torch.no_grad():
        for y in prefix[1:]:
            _, state = model(torch.tensor([[outputs[-1]]]), state)
            outputs.append(vocab[y])
        for _ in range(num_preds):
            logits, state = model(torch.tensor([[outputs[-1]]]), state)
            outputs.append(int(logits.argmax(dim=1)))
    return prefix + "".join(vocab.to_tokens(outputs[len(prefix):]))


def _log_prob(model, prefix_ids, ids):
    """log P(ids | prefix) under the model, feeding one token at a time."""
    state, total = model.begin_state(1), 0.0
    to_feed = list(prefix_ids)  # the whole prefix first, then each chosen token
    with torch.no_grad():
        for i in ids:
            for x in to_feed:
                logits, state = model(torch.tensor([[x]]), state)
            total += float(torch.log_softmax(logits[0].double(), dim=0)[i])
            to_feed = [i]
    return total


# ---------------------------------------------------------------------------------------------
# greedy


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_greedy_equals_step_by_step_argmax(cell, impl):
    """greedy (batched warm-up) gives exactly the textbook's one-token-at-a-time argmax text."""
    model = _model(cell, impl).eval()
    expected = _step_by_step_greedy(model, CHAR_VOCAB, PREFIX, 30)
    assert greedy(model, CHAR_VOCAB, PREFIX, 30) == expected
    assert len(set(expected[len(PREFIX):])) > 1  # not a degenerate repeat of one character


def test_greedy_restores_training_mode_and_ignores_dropout():
    """greedy runs in eval mode without autograd and leaves the model's mode as it found it."""
    model = _model("lstm", "torch", layers=2, dropout=0.5)
    reference = greedy(model.eval(), CHAR_VOCAB, PREFIX, 20)
    model.train()
    assert greedy(model, CHAR_VOCAB, PREFIX, 20) == reference
    assert model.training
    assert all(param.grad is None for param in model.parameters())
    model.eval()
    greedy(model, CHAR_VOCAB, PREFIX, 5)
    assert not model.training


def test_greedy_maps_unknown_characters_to_unk():
    """Characters outside the vocabulary become <unk>: no crash, the prefix comes back as given."""
    model = _model()
    text = greedy(model, CHAR_VOCAB, "QX!", 10)
    assert text.startswith("QX!") and len(text) > 3
    assert text[3:] == greedy(model, CHAR_VOCAB, "Z?#", 10)[3:]  # both are <unk> <unk> <unk>


def test_greedy_with_zero_predictions_returns_the_prefix():
    """num_preds=0 returns the prefix unchanged."""
    assert greedy(_model(), CHAR_VOCAB, PREFIX, 0) == PREFIX


@pytest.mark.parametrize("strategy", ["greedy", "sample", "beam"])
def test_word_tokens_are_joined_with_spaces(strategy):
    """With word tokens the prefix is split on whitespace and every word joined by one space."""
    model = _model(vocab=WORD_VOCAB)
    prefix = "  the time\ttraveller  "
    if strategy == "greedy":
        text = greedy(model, WORD_VOCAB, prefix, 6, token="word")
    elif strategy == "sample":
        text = sample(model, WORD_VOCAB, prefix, 6, generator=torch.Generator().manual_seed(0),
                      token="word")
    else:
        text = beam_search(model, WORD_VOCAB, prefix, 6, beam_size=3, token="word")[0][0]
    words = text.split(" ")
    assert words[:3] == ["the", "time", "traveller"] and len(words) == 9
    assert all(word in WORD_VOCAB.token_to_idx for word in words[3:])


# ---------------------------------------------------------------------------------------------
# beam search


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("cell", CELLS)
def test_beam_size_one_equals_greedy(cell, impl):
    """Beam search with one beam is greedy decoding."""
    model = _model(cell, impl)
    [(text, score)] = beam_search(model, CHAR_VOCAB, PREFIX, 20, beam_size=1)
    assert text == greedy(model, CHAR_VOCAB, PREFIX, 20)
    assert score < 0


def _exhaustive(model, vocab, prefix, num_preds, alpha, eos=None):
    """Every possible continuation scored by log P / L**alpha, best first; a continuation ends
    at its first <eos>, whose text leaves the <eos> out."""
    prefix_ids = vocab[list(prefix)]
    seen, results = set(), []
    for ids in itertools.product(range(len(vocab)), repeat=num_preds):
        if eos in ids:
            ids = ids[:ids.index(eos) + 1]
        if ids in seen:
            continue
        seen.add(ids)
        text = prefix + "".join(vocab.to_tokens([i for i in ids if i != eos]))
        results.append((text, _log_prob(model, prefix_ids, ids) / len(ids)**alpha))
    return sorted(results, key=lambda result: result[1], reverse=True)


@pytest.mark.parametrize("alpha", [0.0, 0.75])
@pytest.mark.parametrize("tokens", [["a", "b", "c"], ["<eos>", "a", "b"]])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wide_beam_matches_exhaustive_search(seed, tokens, alpha):
    """With a beam as wide as all sequences, beam search returns exhaustive search's ranking
    (with <eos>: finished candidates of every length, scored log P / L**alpha)."""
    vocab = Vocab.from_dict({"idx_to_token": ["<unk>", *tokens]})
    V, num_preds = len(vocab), 3
    table = torch.randn((V + 1)**(num_preds + 2), V, dtype=torch.float64,
                        generator=torch.Generator().manual_seed(seed)) * 2
    model = TableModel(table)
    expected = _exhaustive(model, vocab, "a", num_preds, alpha, vocab.token_to_idx.get("<eos>"))
    found = beam_search(model, vocab, "a", num_preds, beam_size=V**num_preds, alpha=alpha)
    assert found[0][0] == expected[0][0]
    assert [text for text, _ in found] == [text for text, _ in expected]
    torch.testing.assert_close([s for _, s in found], [s for _, s in expected])


def test_beam_search_escapes_the_greedy_trap():
    """A likely first token with a flat follow-up loses to a less likely one with a sure
    follow-up: greedy picks the first, beam search (2 beams) the better sequence."""
    vocab = Vocab.from_dict({"idx_to_token": ["<unk>", "a", "b", "c"]})
    V = len(vocab)
    table = torch.zeros((V + 1)**3, V, dtype=torch.float64)  # flat unless set below
    log = math.log
    table[_code([1], V)] = torch.tensor([-50.0, log(0.1), log(0.5), log(0.4)])  # after "a"
    table[_code([1, 3], V)] = torch.tensor([-50.0, 5.0, -50.0, -50.0])  # "c" -> surely "a"
    model = TableModel(table)
    assert greedy(model, vocab, "a", 2).startswith("ab")
    best, score = beam_search(model, vocab, "a", 2, beam_size=2, alpha=0.0)[0]
    assert best == "aca"
    assert score == pytest.approx(_log_prob(model, [1], [3, 1]))


def test_beam_search_returns_candidates_best_first():
    """All final candidates come back, sorted by score, as many as the beam."""
    results = beam_search(_model(), CHAR_VOCAB, PREFIX, 8, beam_size=5)
    assert len(results) == 5
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True)
    assert len({text for text, _ in results}) == 5


# ---------------------------------------------------------------------------------------------
# sampling


def _seeded(seed):
    return torch.Generator().manual_seed(seed)


def test_seeded_sampling_is_reproducible():
    """The same seed gives the same text; different seeds give different texts."""
    model = _model()
    first = sample(model, CHAR_VOCAB, PREFIX, 40, generator=_seeded(0))
    assert first == sample(model, CHAR_VOCAB, PREFIX, 40, generator=_seeded(0))
    assert first != sample(model, CHAR_VOCAB, PREFIX, 40, generator=_seeded(1))
    assert first.startswith(PREFIX) and len(first) > len(PREFIX) + 30


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("options", [{"temperature": 1e-4}, {"temperature": 1e-30},
                                     {"temperature": 5.0, "top_k": 1}])
def test_cold_or_top_1_sampling_is_greedy(cell, options):
    """A temperature near 0 (no overflow even at 1e-30) or top_k=1 gives the greedy text."""
    model = _model(cell)
    text = sample(model, CHAR_VOCAB, PREFIX, 30, generator=_seeded(0), **options)
    assert text == greedy(model, CHAR_VOCAB, PREFIX, 30)


def test_top_k_draws_only_the_k_most_likely_tokens():
    """With top_k=2 only the two most likely tokens are ever drawn, and both are."""
    vocab = Vocab.from_dict({"idx_to_token": ["<unk>", "a", "b", "c", "d"]})
    model = TableModel(torch.tensor([[0.0, 1.0, 2.0, 3.0, 3.5]]))  # the same at every step
    text = sample(model, vocab, "a", 200, temperature=100.0, top_k=2, generator=_seeded(0))
    assert set(text[1:]) == {"c", "d"}


# ---------------------------------------------------------------------------------------------
# bad arguments


@pytest.mark.parametrize(("call", "needle"), [
    (lambda m: sample(m, CHAR_VOCAB, "a", 5, temperature=0), "temperature must be"),
    (lambda m: sample(m, CHAR_VOCAB, "a", 5, temperature=-1.5), "-1.5"),
    (lambda m: sample(m, CHAR_VOCAB, "a", 5, temperature=float("nan")), "nan"),
    (lambda m: sample(m, CHAR_VOCAB, "a", 5, top_k=0), "top_k must be >= 1, got 0"),
    (lambda m: beam_search(m, CHAR_VOCAB, "a", 5, beam_size=0), "beam_size must be >= 1, got 0"),
    (lambda m: beam_search(m, CHAR_VOCAB, "a", 5, 2, alpha=float("inf")), "alpha"),
    (lambda m: greedy(m, CHAR_VOCAB, "a", -1), "num_preds must be >= 0, got -1"),
    (lambda m: greedy(m, CHAR_VOCAB, "a", 2.5), "num_preds must be an integer"),
    (lambda m: greedy(m, CHAR_VOCAB, "", 5), "prefix must hold at least one char, got ''"),
    (lambda m: greedy(m, WORD_VOCAB, " \t ", 5, token="word"), "at least one word"),
    (lambda m: greedy(m, CHAR_VOCAB, "a", 5, token="byte"), "unknown token kind 'byte'"),
])
def test_bad_arguments_raise_generation_error(call, needle):
    """Bad strategy arguments raise GenerationError naming the bad value."""
    with pytest.raises(GenerationError) as info:
        call(_model())
    assert needle in str(info.value)


# ---------------------------------------------------------------------------------------------
# checkpoints


def _save(path, model, vocab, token="char", model_args=None):
    return save_checkpoint(path, model_state=model.state_dict(), optimizer_state={},
                           model_args=model_args or model.model_args(), vocab=vocab.to_dict(),
                           token=token, epoch=1, rng_state=rng_states(torch.Generator()),
                           best_val_perplexity=None, settings={}, history=[])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A checkpoint of a (randomly initialised) scratch LSTM, and the model itself."""
    model = _model("lstm", "scratch")
    return _save(tmp_path_factory.mktemp("ckpt") / "checkpoint.pt", model, CHAR_VOCAB), model


def test_checkpoint_round_trips_through_generate(checkpoint):
    """generate() on a saved checkpoint gives what the strategies give on the model itself."""
    path, model = checkpoint
    assert generate(path, PREFIX, num_preds=25) == [(greedy(model, CHAR_VOCAB, PREFIX, 25), None)]
    [(text, score)] = generate(path, PREFIX, 25, strategy="sample", temperature=0.7, top_k=5,
                               seed=3)
    assert score is None
    assert text == sample(model, CHAR_VOCAB, PREFIX, 25, 0.7, 5, generator=_seeded(3))
    best = generate(path, PREFIX, 10, strategy="beam", beam_size=4, alpha=0.5, num_best=3)
    assert best == beam_search(model, CHAR_VOCAB, PREFIX, 10, 4, alpha=0.5)[:3]


def test_word_checkpoint_joins_words(tmp_path):
    """A checkpoint with word tokens generates space-separated words."""
    model = _model("rnn", "scratch", vocab=WORD_VOCAB)
    path = _save(tmp_path / "words.pt", model, WORD_VOCAB, token="word")
    [(text, _)] = generate(path, "the time", num_preds=4)
    assert text == greedy(model, WORD_VOCAB, "the time", 4, token="word")
    assert len(text.split(" ")) == 6


@pytest.mark.parametrize(("options", "needle"), [
    ({"strategy": "nucleus"}, "unknown strategy 'nucleus'"),
    ({"num_best": 0}, "num_best must be >= 1, got 0"),
    ({"device": "tpu"}, "unknown device 'tpu'"),
    ({"seed": -3}, "seed must be >= 0, got -3"),
    ({"temperature": 0.0}, "temperature must be a number > 0, got 0.0"),
])
def test_generate_refuses_bad_options(checkpoint, options, needle):
    """generate() checks every option, whatever the strategy, and names the bad value."""
    with pytest.raises(GenerationError) as info:
        generate(checkpoint[0], PREFIX, **options)
    assert needle in str(info.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_generate_refuses_cuda_without_a_gpu(checkpoint):
    """Asking for CUDA where there is none is a GenerationError; auto falls back to the CPU."""
    with pytest.raises(GenerationError, match="'cuda' is not available"):
        generate(checkpoint[0], PREFIX, device="cuda")
    assert generate(checkpoint[0], PREFIX, 5, device="auto") == generate(checkpoint[0], PREFIX, 5)


def test_checkpoint_with_bad_model_args_is_a_checkpoint_error(tmp_path):
    """A checkpoint whose model cannot be rebuilt is a CheckpointError, not a crash."""
    model = _model("lstm", "scratch")
    path = _save(tmp_path / "bad.pt", model, CHAR_VOCAB,
                 model_args={**model.model_args(), "cell": "tree"})
    with pytest.raises(CheckpointError, match="cannot rebuild its model"):
        generate(path, PREFIX)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
def test_generate_on_cuda_matches_cpu(checkpoint):
    """On a GPU, greedy and beam search give the CPU's text."""
    path = checkpoint[0]
    for options in ({}, {"strategy": "beam", "num_best": 2}):
        on_gpu = generate(path, PREFIX, 30, device="cuda", **options)
        on_cpu = generate(path, PREFIX, 30, **options)
        assert [text for text, _ in on_gpu] == [text for text, _ in on_cpu]


# ---------------------------------------------------------------------------------------------
# the command line


def _cli_command(*args):
    """``python -m rnnlab.cli generate ARGS`` and an environment that finds this rnnlab."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    return [sys.executable, "-m", "rnnlab.cli", "generate", *map(str, args)], env


def _cli(*args, timeout=120):
    """Run the generate command line and return the finished process."""
    command, env = _cli_command(*args)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)


CLI_ERRORS = {  # case -> (arguments, what the error line says)
    "missing checkpoint": (["--checkpoint", "{dir}/missing.pt"], "no checkpoint at"),
    "random bytes": (["--checkpoint", "{dir}/random.pt"], "corrupt or not a checkpoint"),
    "foreign dict": (["--checkpoint", "{dir}/other.pt"], "is not an rnnlab checkpoint"),
    "temperature 0": (["--temperature", "0"], "temperature must be a number > 0, got 0.0"),
    "beam size 0": (["--strategy", "beam", "--beam-size", "0"], "beam_size must be >= 1, got 0"),
    "num-preds -1": (["--num-preds", "-1"], "num_preds must be >= 0, got -1"),
    "empty prefix": (["--prefix", ""], "prefix must hold at least one char, got ''"),
}


@pytest.fixture(scope="module")
def cli_runs(checkpoint, tmp_path_factory):
    """Every bad command line of CLI_ERRORS, run at once: each one pays torch's import (seconds
    here), so they overlap instead of queueing. Maps case -> (exit code, stdout, stderr)."""
    folder = tmp_path_factory.mktemp("bad")
    (folder / "random.pt").write_bytes(bytes(range(256)) * 8)
    torch.save({"state_dict": {"w": torch.zeros(2)}}, folder / "other.pt")
    cases = {case: [arg.format(dir=folder) for arg in args]
             for case, (args, _) in CLI_ERRORS.items()}
    running = {}
    for case, args in cases.items():
        if "--checkpoint" not in args:
            args = [*args, "--checkpoint", checkpoint[0]]
        if "--prefix" not in args:
            args = [*args, "--prefix", PREFIX]
        command, env = _cli_command(*args)
        running[case] = subprocess.Popen(command, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, env=env)
    results = {}
    for case, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        results[case] = (process.returncode, stdout, stderr)
    return results


def test_cli_prints_beam_candidates_with_scores(checkpoint, capsys):
    """With --num-best k the command prints k lines `score<TAB>text`, best first."""
    from rnnlab.cli import main

    path, model = checkpoint
    assert main(["generate", "--checkpoint", str(path), "--prefix", PREFIX, "--num-preds", "6",
                 "--strategy", "beam", "--num-best", "3"]) == 0
    expected = beam_search(model, CHAR_VOCAB, PREFIX, 6, beam_size=4)[:3]
    assert capsys.readouterr().out == "".join(f"{score:.4f}\t{text}\n"
                                              for text, score in expected)


@pytest.mark.parametrize("case", CLI_ERRORS)
def test_cli_bad_input_is_one_line_error(cli_runs, case):
    """Bad input exits 1 with a single `rnnlab generate: error:` line and no traceback."""
    returncode, stdout, stderr = cli_runs[case]
    assert returncode == 1, stderr
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnlab generate: error: "), stderr
    assert CLI_ERRORS[case][1] in lines[0]
    assert "Traceback" not in stderr


def test_cli_on_a_checkpoint_trained_for_one_epoch(tmp_path):
    """preprocess + `rnnlab train` for 1 epoch, then `rnnlab generate` prints the same greedy
    text as the training job's own predictions in metrics.json."""
    pytest.importorskip("rnnlab.training")
    from rnnlab.cli import main
    from rnnlab.preprocess import preprocess

    text = (ROOT / "src/rnnlab/resources/timemachine.txt").read_text("utf-8")[:700]
    (tmp_path / "text.txt").write_text(text, "utf-8")
    preprocess(tmp_path / "text.txt", "char", tmp_path / "data")
    (tmp_path / "config.yaml").write_text(
        "data: {train_tokens: 0, val_tokens: 100}\n"
        "training: {batch_size: 4, num_steps: 8, epochs: 1, eval_every: 1, "
        "checkpoint_every: 1, num_preds: 12, prefixes: [time traveller], device: cpu}\n"
        "variants: {tiny: {cell: gru, impl: torch, hidden: 16, lr: 1}}\n", "utf-8")
    assert main(["train", "--config", str(tmp_path / "config.yaml"), "--variant", "tiny",
                 "--data", str(tmp_path / "data"), "--out", str(tmp_path / "tiny"),
                 "--epochs", "1", "--quiet"]) == 0
    done = _cli("--checkpoint", tmp_path / "tiny/checkpoint.pt", "--prefix", "time traveller",
                "--num-preds", 12)
    assert done.returncode == 0, done.stderr
    metrics = json.loads((tmp_path / "tiny/metrics.json").read_text("utf-8"))
    assert done.stdout == metrics["predictions"]["time traveller"] + "\n"
    assert len(done.stdout) == len("time traveller") + 12 + 1
