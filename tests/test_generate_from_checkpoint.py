"""Tests of rnnlab.generate.generate on checkpoints, and of the generate command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from generate_helpers import CHAR_VOCAB, PREFIX, WORD_VOCAB, random_model, seeded

from rnnlab.checkpoint import rng_states, save_checkpoint
from rnnlab.errors import CheckpointError, GenerationError
from rnnlab.generate import beam_search, generate, greedy, sample

ROOT = Path(__file__).resolve().parents[1]


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
    model = random_model("lstm", "scratch")
    return _save(tmp_path_factory.mktemp("ckpt") / "checkpoint.pt", model, CHAR_VOCAB), model


def test_checkpoint_round_trips_through_generate(checkpoint):
    """generate() on a saved checkpoint gives what the strategies give on the model itself."""
    path, model = checkpoint
    assert generate(path, PREFIX, num_preds=25) == [(greedy(model, CHAR_VOCAB, PREFIX, 25), None)]
    [(text, score)] = generate(path, PREFIX, 25, strategy="sample", temperature=0.7, top_k=5,
                               seed=3)
    assert score is None
    assert text == sample(model, CHAR_VOCAB, PREFIX, 25, 0.7, 5, generator=seeded(3))
    best = generate(path, PREFIX, 10, strategy="beam", beam_size=4, alpha=0.5, num_best=3)
    assert best == beam_search(model, CHAR_VOCAB, PREFIX, 10, 4, alpha=0.5)[:3]


def test_word_checkpoint_joins_words(tmp_path):
    """A checkpoint with word tokens generates space-separated words."""
    model = random_model("rnn", "scratch", vocab=WORD_VOCAB)
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
    model = random_model("lstm", "scratch")
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
