"""Tests of rnnlab.train: the loop, held-out perplexity, checkpoints, resume, bad input."""

import csv
import json
import math
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import rnnlab, tiny_config, write_config

from rnnlab.checkpoint import load_checkpoint, model_from_checkpoint
from rnnlab.config import load_config, resolve_variant, validate_config
from rnnlab.data import (
    Vocab,
    build_corpus,
    load_data,
    read_lines,
    split_corpus,
    tokenize,
)
from rnnlab.download import bundled_corpus
from rnnlab.errors import TrainingError
from rnnlab.generate import greedy
from rnnlab.job import LOCK_FILE
from rnnlab.models import build_model
from rnnlab.preprocess import preprocess, preprocess_files
from rnnlab.step import SGD, EagerStep
from rnnlab.train import (
    DIVERGENCE_FACTOR,
    HISTORY_COLUMNS,
    RESUME_FILE,
    evaluate,
    train,
    train_epoch,
)

TIMING_KEYS = ("seconds", "train_seconds", "tokens_per_second", "train_started", "train_ended")


def settings_for(variant="gru", overrides=None, **training):
    config = validate_config(tiny_config(**training))
    return resolve_variant(config, variant, overrides)


def without_timing(metrics):
    """Metrics with the wall-clock fields removed (they differ between any two runs)."""
    clean = {k: v for k, v in metrics.items() if k not in TIMING_KEYS}
    clean["history"] = [{k: v for k, v in row.items() if k not in TIMING_KEYS}
                        for row in metrics["history"]]
    return clean


@pytest.mark.parametrize("variant", ["rnn", "gru", "lstm"])
def test_perplexity_falls(variant, tiny_data, tmp_path):
    """A few epochs on a small corpus lower training perplexity, for each cell."""
    metrics = train(settings_for(variant, epochs=4), tiny_data, tmp_path, progress=False)
    ppl = [row["train_perplexity"] for row in metrics["history"]]
    assert ppl[-1] < ppl[0] < 28


def test_metrics_keys_and_types(tiny_data, tmp_path):
    """metrics.json holds every key docs/design.md lists with the right types."""
    before = time.time()
    train(settings_for("rnn", epochs=2), tiny_data, tmp_path, progress=False)
    after = time.time()
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    types = {"variant": str, "cell": str, "impl": str, "layers": int, "hidden": int,
             "lr": (int, float), "epochs": int, "batch_size": int, "num_steps": int,
             "sampling": str, "seed": int, "device": str, "num_params": int,
             "train_perplexity": float, "val_perplexity": float, "best_val_perplexity": float,
             "train_seconds": float, "tokens_per_second": float, "history": list,
             "predictions": dict, "best_epoch": int, "stopped_epoch": int,
             "train_started": float, "train_ended": float}
    for key, kind in types.items():
        assert isinstance(metrics[key], kind), key
    assert metrics["device"] == "cpu" and metrics["epochs"] == 2
    assert metrics["stopped_epoch"] == 2 and metrics["patience"] == 0
    assert before <= metrics["train_started"] < metrics["train_ended"] <= after
    assert metrics["train_ended"] - metrics["train_started"] >= metrics["train_seconds"]
    assert [row["epoch"] for row in metrics["history"]] == [1, 2]
    assert all(set(row) >= {"epoch", "train_perplexity", "val_perplexity", "seconds"}
               for row in metrics["history"])
    assert metrics["best_val_perplexity"] == min(r["val_perplexity"] for r in metrics["history"])
    tokens = sum(row["tokens"] for row in metrics["history"])
    assert metrics["tokens_per_second"] == pytest.approx(tokens / metrics["train_seconds"])
    prediction = metrics["predictions"]["time traveller"]
    assert prediction.startswith("time traveller") and len(prediction) == 14 + 10
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / RESUME_FILE).exists()  # superseded by the final checkpoint


def test_held_out_gap_shows_memorisation(tiny_data, tmp_path):
    """Training far past the data shows train perplexity well below held-out perplexity."""
    metrics = train(settings_for("gru", epochs=12, eval_every=5), tiny_data, tmp_path,
                    progress=False)
    assert metrics["train_perplexity"] < metrics["val_perplexity"]
    assert [r["epoch"] for r in metrics["history"] if "val_perplexity" in r] == [5, 10, 12]


def test_checkpoint_reloads_with_weights_only(tiny_data, tmp_path):
    """The final checkpoint is a plain dict that rebuilds the trained model."""
    metrics = train(settings_for("lstm", epochs=1), tiny_data, tmp_path, progress=False)
    raw = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert set(raw) >= {"model_state", "optimizer_state", "model_args", "vocab", "epoch",
                        "rng_state", "best_val_perplexity", "settings"}
    payload = load_checkpoint(tmp_path / "checkpoint.pt")
    model, vocab = model_from_checkpoint(payload)
    assert payload["epoch"] == 1 and payload["settings"]["variant"] == "lstm"
    assert greedy(model, vocab, "time traveller", 10) == metrics["predictions"]["time traveller"]


def test_same_seed_same_history(tiny_data, tmp_path):
    """Two runs with the same seed on CPU give the same history."""
    first = train(settings_for("rnn", sampling="random"), tiny_data, tmp_path / "a",
                  progress=False)
    second = train(settings_for("rnn", sampling="random"), tiny_data, tmp_path / "b",
                   progress=False)
    assert without_timing(first) == without_timing(second)
    third = train(settings_for("rnn", sampling="random", seed=1), tiny_data, tmp_path / "c",
                  progress=False)
    assert third["history"] != first["history"]


class RecordingStep(EagerStep):
    """The real eager step, remembering the state each batch starts from and ends with."""

    def __init__(self, *args):
        super().__init__(*args)
        self.seen = []

    def __call__(self, X, Y, state):
        loss, new_state = super().__call__(X, Y, state)
        self.seen.append((state, new_state))
        return loss, new_state


@pytest.mark.parametrize("sampling", ["sequential", "random"])
def test_state_handling_per_sampling(sampling, tiny_data):
    """Sequential sampling carries the detached state; random starts each batch from zero."""
    settings = settings_for("gru", sampling=sampling)
    corpus, vocab, _ = load_data(tiny_data)
    model = build_model("gru", "torch", len(vocab), 16)
    step = RecordingStep(model, SGD(model.parameters(), lr=1), 1.0)
    train_epoch(step, model, corpus, settings, torch.Generator().manual_seed(0))
    assert len(step.seen) > 2
    assert all(not s.requires_grad for _, out in step.seen for s in out)
    for (_, previous_out), (state_in, _) in zip(step.seen, step.seen[1:], strict=False):
        if sampling == "sequential":
            assert state_in[0] is previous_out[0]
        else:
            assert not state_in[0].any()
    assert not step.seen[0][0][0].any()  # every epoch begins from the zero state


def run_train(config_path, data, out, *extra, **kwargs):
    return rnnlab("train", "--config", config_path, "--variant", "gru", "--data", data,
                  "--out", out, "--quiet", *extra, **kwargs)


def kill_once_resumable(config_path, data, out) -> None:
    """Train variant gru in a subprocess and SIGKILL it as soon as resume.pt exists."""
    proc = subprocess.Popen([sys.executable, "-m", "rnnlab.cli", "train", "--config",
                             config_path, "--variant", "gru", "--data", data, "--out", out,
                             "--quiet"], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (out / RESUME_FILE).exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"


def test_resume_after_kill_equals_uninterrupted_run(tiny_data, tmp_path):
    """A job killed with SIGKILL resumes from its periodic checkpoint and ends with exactly the
    metrics and history of an uninterrupted run."""
    config = tiny_config(epochs=12, checkpoint_every=4, eval_every=3, batch_size=16)
    config_path = write_config(tmp_path / "config.yaml", config)
    out = tmp_path / "killed"
    kill_once_resumable(config_path, tiny_data, out)
    assert not (out / "metrics.json").exists()
    resumed = run_train(config_path, tiny_data, out)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed gru from epoch 4" in resumed.stderr
    assert not (out / RESUME_FILE).exists()
    whole = run_train(config_path, tiny_data, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    assert_same_outputs(out, tmp_path / "whole")


def history_rows(path):
    """history.csv as a list of dicts, without its wall-clock columns."""
    with open(path, newline="", encoding="utf-8") as file:
        return [{k: v for k, v in row.items() if k not in TIMING_KEYS}
                for row in csv.DictReader(file)]


def assert_same_outputs(first, second):
    """Two output folders hold the same metrics (but wall-clock), history.csv, checkpoint.pt and
    best.pt weights."""
    metrics = [json.loads((folder / "metrics.json").read_text()) for folder in (first, second)]
    assert without_timing(metrics[0]) == without_timing(metrics[1])
    assert history_rows(first / "history.csv") == history_rows(second / "history.csv")
    epochs = [row["epoch"] for row in history_rows(first / "history.csv")]
    assert epochs == [str(n) for n in range(1, metrics[0]["stopped_epoch"] + 1)]
    for name in ("checkpoint.pt", "best.pt"):
        a, b = (load_checkpoint(folder / name) for folder in (first, second))
        assert a["epoch"] == b["epoch"]
        assert a["model_state"].keys() == b["model_state"].keys()
        assert all(torch.equal(a["model_state"][k], b["model_state"][k])
                   for k in a["model_state"])


def test_summary_line_in_textbook_style(tiny_data, tmp_path):
    """The command ends with 'perplexity X, Y tokens/sec on cpu' on stdout."""
    config_path = write_config(tmp_path / "config.yaml", tiny_config(epochs=1))
    result = run_train(config_path, tiny_data, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("perplexity ") and result.stdout.rstrip().endswith("on cpu")


@pytest.mark.parametrize("lr", [1e38, 1e6])
def test_divergence_stops_with_clear_error(lr, tiny_data, tmp_path):
    """An absurd lr (a non-finite loss, or one stuck far above the uniform model's) stops the
    job naming the variant and epoch, exiting 1."""
    config = tiny_config(epochs=3, checkpoint_every=1)
    config["variants"]["gru"]["lr"] = lr
    config_path = write_config(tmp_path / "config.yaml", config)
    result = run_train(config_path, tiny_data, tmp_path / "out")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "'gru' diverged at epoch" in lines[0]
    assert not (tmp_path / "out" / "metrics.json").exists()


@pytest.mark.parametrize("change,args,message", [
    (None, ("--variant", "nope"), "unknown variant 'nope' (valid: gru, lstm, rnn)"),
    (("training", "batch_size", 1000), (), "needs at least"),
    (("data", "val_tokens", 100000), (), "leaves nothing to train on"),
    (None, ("--epochs", "0"), "epochs"),
    (("variants", "gru", "lr", 0), (), "variants.gru.lr"),
    (None, ("--data", "/nonexistent/data"), "does not exist"),
    (None, ("--device", "tpu"), "device"),
    (("data", "min_freq", 2), (), "preprocessed with min_freq 0, but the config asks for 2"),
    (("data", "train_tokens", 100000), (), "data.train_tokens=100000 is more than the"),
])
def test_bad_input_gives_one_line_and_no_outputs(change, args, message, tiny_data, tmp_path):
    """Bad input exits 1 with one clear line, no traceback and nothing written."""
    config = tiny_config()
    if change:
        *path, value = change
        node = config
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    config_path = write_config(tmp_path / "config.yaml", config)
    base = {"--variant": "gru", "--data": str(tiny_data)}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    result = rnnlab("train", "--config", config_path, "--out", tmp_path / "out", "--quiet",
                    *flat)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_patience_needs_held_out_text(tiny_data, tmp_path):
    """Early stopping without held-out text is refused before anything is written."""
    config = tiny_config(patience=3)
    config["data"]["val_tokens"] = 0
    settings = resolve_variant(validate_config(config), "gru")
    with pytest.raises(TrainingError, match="data.val_tokens=0 holds out no text"):
        train(settings, tiny_data, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def held_out_ids(settings, data):
    corpus, _, _ = load_data(data)
    return split_corpus(corpus, settings["train_tokens"], settings["val_tokens"])[1]


def test_best_pt_holds_the_best_epochs_weights(tiny_data, tmp_path):
    """best.pt reloads (weights_only) into the model of best_epoch: its held-out perplexity,
    recomputed, is best_val_perplexity, and patience stops the run after the best."""
    settings = settings_for("gru", epochs=40, eval_every=1, patience=2)
    metrics = train(settings, tiny_data, tmp_path, progress=False)
    held_out = {row["epoch"]: row["val_perplexity"] for row in metrics["history"]}
    assert metrics["best_epoch"] == min(held_out, key=held_out.get)
    assert metrics["best_val_perplexity"] == held_out[metrics["best_epoch"]]
    # patience 2: two evaluations without a new best, then stop, well before 40 epochs
    assert metrics["stopped_epoch"] == metrics["best_epoch"] + 2 < 40
    assert len(metrics["history"]) == metrics["stopped_epoch"]
    raw = torch.load(tmp_path / "best.pt", weights_only=True)
    assert raw["epoch"] == metrics["best_epoch"]
    assert load_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == metrics["stopped_epoch"]
    model, _ = model_from_checkpoint(raw)
    recomputed = evaluate(model, held_out_ids(settings, tiny_data), settings["batch_size"],
                          settings["num_steps"])
    assert recomputed == pytest.approx(metrics["best_val_perplexity"], rel=1e-6)
    last, _ = model_from_checkpoint(load_checkpoint(tmp_path / "checkpoint.pt"))
    assert evaluate(last, held_out_ids(settings, tiny_data), settings["batch_size"],
                    settings["num_steps"]) > recomputed


def test_generate_reads_best_and_last_checkpoint(tiny_data, tmp_path):
    """rnnlab generate continues a prefix from best.pt and from checkpoint.pt, each with its
    own weights."""
    train(settings_for("gru", epochs=30, eval_every=1, patience=1), tiny_data, tmp_path,
          progress=False)
    for name in ("best.pt", "checkpoint.pt"):
        result = rnnlab("generate", "--checkpoint", tmp_path / name, "--prefix",
                        "time traveller", "--num-preds", "20", check=True)
        model, vocab = model_from_checkpoint(load_checkpoint(tmp_path / name))
        assert result.stdout.rstrip("\n") == greedy(model, vocab, "time traveller", 20)


def test_history_csv_grows_while_training(tiny_data, tmp_path):
    """history.csv gains its rows while the job runs, each read a prefix of the final file, and
    ends with one row per epoch matching metrics.json."""
    config_path = write_config(tmp_path / "config.yaml",
                               tiny_config(epochs=30, eval_every=3, checkpoint_every=100))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "rnnlab.cli", "train", "--config",
                             config_path, "--variant", "gru", "--data", tiny_data, "--out", out,
                             "--quiet"], stderr=subprocess.PIPE, text=True)
    seen = []
    while proc.poll() is None:
        if (out / "history.csv").exists():
            seen.append((out / "history.csv").read_text())
        time.sleep(0.005)
    assert proc.returncode == 0, proc.stderr.read()
    final = (out / "history.csv").read_text()
    lines = final.splitlines()
    assert lines[0] == ",".join(HISTORY_COLUMNS) and len(lines) == 31
    partial = {text.count("\n") for text in seen if text != final}
    assert any(2 <= count < 31 for count in partial), "never saw a partly written history"
    assert all(final.startswith(text) for text in seen)
    metrics = json.loads((out / "metrics.json").read_text())
    with open(out / "history.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    for row, record in zip(rows, metrics["history"], strict=True):
        assert int(row["epoch"]) == record["epoch"]
        assert float(row["train_perplexity"]) == record["train_perplexity"]
        assert (float(row["val_perplexity"]) if row["val_perplexity"] else None) == \
            record.get("val_perplexity")
        assert float(row["tokens_per_second"]) == record["tokens"] / record["seconds"]


def start_training(config_path, data, out, *extra):
    """A training job in its own process, its stderr captured."""
    return subprocess.Popen([sys.executable, "-m", "rnnlab.cli", "train", "--config",
                             config_path, "--variant", "gru", "--data", data, "--out", out,
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_rows(out, rows, proc):
    """Wait until history.csv holds ``rows`` epochs (the job still running)."""
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (out / "history.csv").exists() and \
                (out / "history.csv").read_text().count("\n") > rows:
            return
        time.sleep(0.01)
    raise AssertionError(f"the job ended or stalled before {rows} epochs: "
                         f"{proc.communicate()[1]}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_writes_resume_and_rerun_matches(signum, tiny_data, tmp_path, capsys):
    """SIGTERM or SIGINT mid-run writes resume.pt for the last finished epoch, says so in one
    line and exits 128+signal; the rerun resumes and ends as an uninterrupted run."""
    config_path = write_config(tmp_path / "config.yaml",
                               tiny_config(epochs=25, eval_every=2, checkpoint_every=1000,
                                           patience=0))
    out = tmp_path / "out"
    proc = start_training(config_path, tiny_data, out, "--quiet")
    wait_for_rows(out, 3, proc)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and f"interrupted by {signal.Signals(signum).name}" in lines[0]
    resume = load_checkpoint(out / RESUME_FILE)
    assert f"wrote {out / RESUME_FILE} (epoch {resume['epoch']})" in lines[0]
    assert resume["epoch"] >= 3 and not (out / "metrics.json").exists()
    settings = resolve_variant(load_config(config_path), "gru")
    capsys.readouterr()
    train(settings, tiny_data, out, progress=False)
    assert f"resumed gru from epoch {resume['epoch']}" in capsys.readouterr().err
    train(settings, tiny_data, tmp_path / "whole", progress=False)
    assert_same_outputs(out, tmp_path / "whole")


def test_second_job_for_the_same_folder_stops_at_once(tiny_data, tmp_path):
    """While a job trains into a folder, a second job for it exits 1 with one line naming the
    first (its pid), and the first job finishes untouched."""
    config_path = write_config(tmp_path / "config.yaml",
                               tiny_config(epochs=60, checkpoint_every=1000))
    out = tmp_path / "out"
    first = start_training(config_path, tiny_data, out, "--quiet")
    wait_for_rows(out, 1, first)
    second = run_train(config_path, tiny_data, out)
    assert second.returncode == 1
    assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    assert "is in use by another training job" in second.stderr
    assert f"pid {first.pid} on " in second.stderr and "--variant gru" in second.stderr
    assert first.poll() is None, "the first job should still be running"
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=60)
    assert (out / LOCK_FILE).exists() and (out / RESUME_FILE).exists()
    after = run_train(config_path, tiny_data, out, "--epochs", "2")
    assert after.returncode == 0, after.stderr  # the lock went with the first job


def test_plain_progress_lines_when_stderr_is_not_a_terminal(tiny_data, tmp_path):
    """Without a terminal the job logs plain lines (epoch, perplexities, tokens/s, ETA), no \\r
    frames, and its last line says where the outputs went."""
    config_path = write_config(tmp_path / "config.yaml", tiny_config(epochs=4, eval_every=2))
    out = tmp_path / "out"
    result = rnnlab("train", "--config", config_path, "--variant", "gru", "--data", tiny_data,
                    "--out", out)
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr
    lines = result.stderr.strip().splitlines()
    progress = [line for line in lines if line.startswith("gru epoch ")]
    assert [line.split()[2] for line in progress] == ["1/4:", "3/4:", "4/4:"]
    assert "held-out -" in progress[0] and "held-out" in progress[1] and "(epoch 2)" in progress[1]
    assert all("tokens/s, ETA " in line for line in progress)
    assert lines[-1].startswith("wrote checkpoint.pt, best.pt") and lines[-1].endswith(str(out))


def test_only_rnnlabs_own_temporaries_are_cleaned(tiny_data, tmp_path):
    """A run deletes the temporaries a killed rnnlab job left, but not a user's .*.tmp files or
    a folder named like a temporary."""
    out = tmp_path / "out"
    out.mkdir()
    (out / ".notes.tmp").write_text("mine")
    (out / ".metrics.json.rnnlab-4242-x1y2.tmp").mkdir()
    stale = out / ".metrics.json.rnnlab-4242-abc_12.tmp"
    stale.write_text("half written")
    train(settings_for("rnn", epochs=1), tiny_data, out, progress=False)
    assert (out / ".notes.tmp").read_text() == "mine"
    assert (out / ".metrics.json.rnnlab-4242-x1y2.tmp").is_dir()
    assert not stale.exists()
    assert not [p for p in out.glob(".*rnnlab-*.tmp") if p.is_file()]


def recoded_data(tiny_text, tmp_path, name, change):
    """The tiny text changed by ``change`` and preprocessed into ``tmp_path / name``."""
    text = tmp_path / f"{name}.txt"
    text.write_text(change(tiny_text.read_text()))
    preprocess(text, "char", tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("change,size_differs", [
    (lambda text: "\n".join(reversed(text.splitlines())), False),  # same vocabulary size
    (lambda text: text.replace("x", "y").replace("X", "Y"), True),  # one letter fewer
])
def test_resume_from_other_data_is_ignored(change, size_differs, tiny_data, tiny_text,
                                           tmp_path, capsys):
    """A resume checkpoint of the same settings but other data is ignored with one note (no
    size-mismatch traceback), and the run equals a fresh one; on the same data it resumes."""
    other = recoded_data(tiny_text, tmp_path, "other", change)
    assert (len(load_data(other)[1]) != len(load_data(tiny_data)[1])) == size_differs
    train(settings_for("gru", epochs=1), tiny_data, tmp_path / "first", progress=False)
    # what an interrupted run leaves after epoch 1: its checkpoint and, as the best, itself
    payload = torch.load(tmp_path / "first" / "checkpoint.pt", weights_only=True)
    for name in ("same", "changed"):
        (tmp_path / name).mkdir()
        torch.save({**payload, "best_checkpoint": payload}, tmp_path / name / RESUME_FILE)
    capsys.readouterr()
    train(settings_for("gru", epochs=2), tiny_data, tmp_path / "same", progress=False)
    assert "resumed gru from epoch 1" in capsys.readouterr().err
    train(settings_for("gru", epochs=2), other, tmp_path / "changed", progress=False)
    notes = [line for line in capsys.readouterr().err.splitlines()
             if line.startswith(("resumed", "ignoring"))]
    assert len(notes) == 1 and "trained on other data" in notes[0]
    train(settings_for("gru", epochs=2), other, tmp_path / "fresh", progress=False)
    assert_same_outputs(tmp_path / "changed", tmp_path / "fresh")


def test_lab_variants_start_far_below_the_divergence_limit(project_root):
    """Each lab variant's untrained model, where a healthy run's loss is highest, is near the
    uniform model's log 28 on the lab's text, far below the divergence limit."""
    config = load_config(project_root / "config.yaml")
    tokens = tokenize(read_lines(bundled_corpus()), "char")
    vocab = Vocab(tokens)
    ids = torch.tensor(build_corpus(tokens, vocab)[:3000])
    assert len(vocab) == 28
    torch.manual_seed(0)
    for name in config["variants"]:
        settings = resolve_variant(config, name)
        model = build_model(settings["cell"], settings["impl"], len(vocab), settings["hidden"],
                            settings["layers"])
        loss = math.log(evaluate(model, ids, settings["batch_size"], settings["num_steps"]))
        assert abs(loss - math.log(28)) < 0.1, name
        assert loss < DIVERGENCE_FACTOR * math.log(28), name


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("variant", ["rnn", "gru", "lstm"])
def test_cuda_graph_matches_eager(variant, tiny_data, tmp_path):
    """On CUDA, the graph-captured step gives the eager path's history within tolerance."""
    eager = train(settings_for(variant, epochs=3, device="cuda", cuda_graph=False), tiny_data,
                  tmp_path / "eager", progress=False)
    graph = train(settings_for(variant, epochs=3, device="cuda", cuda_graph=True), tiny_data,
                  tmp_path / "graph", progress=False)
    assert graph["cuda_graph"] and not eager["cuda_graph"]
    for a, b in zip(eager["history"], graph["history"], strict=True):
        assert b["train_perplexity"] == pytest.approx(a["train_perplexity"], rel=1e-4)
        assert b["val_perplexity"] == pytest.approx(a["val_perplexity"], rel=1e-4)


@pytest.mark.parametrize("impl", ["scratch", "torch"])
def test_embedding_and_tying_reach_the_checkpoint(impl, tiny_data, tmp_path):
    """A variant with a tied embedding trains, and its checkpoint's model arguments rebuild the
    same model for model_from_checkpoint and `rnnlab generate`."""
    config = tiny_config(epochs=1)
    config["variants"]["tied"] = {"cell": "gru", "impl": impl, "hidden": 16, "lr": 1,
                                  "embedding": 16, "tied": True}
    metrics = train(resolve_variant(validate_config(config), "tied"), tiny_data, tmp_path,
                    progress=False)
    payload = load_checkpoint(tmp_path / "checkpoint.pt")
    assert (payload["model_args"]["embedding"], payload["model_args"]["tied"]) == (16, True)
    model, _ = model_from_checkpoint(payload)
    assert (model.embedding_size, model.tied) == (16, True)
    result = rnnlab("generate", "--checkpoint", tmp_path / "checkpoint.pt",
                    "--prefix", "time traveller", "--num-preds", 10)
    assert result.returncode == 0, result.stderr
    assert result.stdout.removesuffix("\n") == metrics["predictions"]["time traveller"]


def test_rnnlab_train_runs_a_generated_variant_by_name(tiny_data, tmp_path):
    """`rnnlab train --config FILE --variant <base>--seed-3` trains the sweep's variant."""
    config = tiny_config(epochs=1)
    config["sweeps"] = {"seeds": {"base": ["gru"], "grid": {"seed": [3]}}}
    config_path = write_config(tmp_path / "config.yaml", config)
    result = rnnlab("train", "--config", config_path, "--variant", "gru--seed-3", "--data",
                    tiny_data, "--out", tmp_path / "out", "--quiet")
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert (metrics["variant"], metrics["seed"], metrics["hidden"]) == ("gru--seed-3", 3, 16)


def annealing_config(**training):
    """A gru whose lr of 4 overshoots on the tiny corpus, so held-out perplexity stalls early
    (at epoch 4 with seed 0) and annealing acts."""
    config = tiny_config(eval_every=1, batch_size=16, anneal=2, **training)
    config["variants"]["gru"]["lr"] = 4
    return config


def test_anneal_divides_lr_when_held_out_perplexity_stalls(tiny_data, tmp_path):
    """With anneal F, the lr of the next epoch is divided by F exactly after each evaluation
    without a new best held-out perplexity; the lr in use is in every history row."""
    config = annealing_config(epochs=8)
    metrics = train(resolve_variant(validate_config(config), "gru"), tiny_data, tmp_path,
                    progress=False)
    history, best, lr = metrics["history"], None, 4
    for row in history:
        assert row["lr"] == lr
        if best is None or row["val_perplexity"] < best:
            best = row["val_perplexity"]
        else:
            lr /= 2
    assert lr < 4, "held-out perplexity never stalled, so annealing was not exercised"
    plain = train(settings_for("gru", epochs=2), tiny_data, tmp_path / "plain", progress=False)
    assert [row["lr"] for row in plain["history"]] == [1, 1]  # anneal off: lr stays


def test_resume_with_annealing_equals_uninterrupted_run(tiny_data, tmp_path):
    """A run with annealing killed after its lr was lowered resumes with the lowered lr (saved
    in the checkpoint) and ends exactly as the uninterrupted run."""
    config_path = write_config(tmp_path / "config.yaml",
                               annealing_config(epochs=12, checkpoint_every=4))
    out = tmp_path / "killed"
    kill_once_resumable(config_path, tiny_data, out)
    saved = load_checkpoint(out / RESUME_FILE)
    assert saved["optimizer_state"]["lr"] < 4  # lowered before the checkpoint was written
    resumed = run_train(config_path, tiny_data, out)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed gru from epoch {saved['epoch']}" in resumed.stderr
    whole = run_train(config_path, tiny_data, tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr
    first = json.loads((out / "metrics.json").read_text())
    second = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    assert without_timing(first) == without_timing(second)


def init_from_settings(path, variant="gru", **changes):
    config = tiny_config(epochs=1)
    config["variants"][variant].update(init_from=str(path), **changes)
    return resolve_variant(validate_config(config), variant)


def test_init_from_starts_from_the_checkpoint_weights(tiny_data, tmp_path):
    """init_from loads a trained checkpoint's weights: at a negligible lr the run ends where
    that checkpoint was, unlike a fresh run; dropout may differ."""
    train(settings_for("lstm", epochs=1), tiny_data, tmp_path / "first", progress=False)
    start = load_checkpoint(tmp_path / "first" / "checkpoint.pt")["model_state"]
    train(init_from_settings(tmp_path / "first" / "checkpoint.pt", "lstm", lr=1e-9, dropout=0.2),
          tiny_data, tmp_path / "second", progress=False)
    end = load_checkpoint(tmp_path / "second" / "checkpoint.pt")["model_state"]
    for name, tensor in start.items():
        torch.testing.assert_close(end[name], tensor, atol=1e-6, rtol=0)
    train(settings_for("lstm", epochs=1, seed=1), tiny_data, tmp_path / "fresh", progress=False)
    fresh = load_checkpoint(tmp_path / "fresh" / "checkpoint.pt")["model_state"]
    assert not all(torch.allclose(fresh[n], t, atol=1e-3) for n, t in start.items())


@pytest.mark.parametrize("changes, message", [
    ({"hidden": 8}, "the architecture differs: hidden 16 there, 8 here"),
    ({"impl": "scratch", "reset_after": True}, "impl 'torch' there, 'scratch' here"),
    ({"embedding": 16}, "embedding None there, 16 here"),
])
def test_init_from_refuses_another_architecture(changes, message, tiny_data, tmp_path):
    """init_from a checkpoint of another architecture is refused naming what differs."""
    train(settings_for("gru", epochs=1), tiny_data, tmp_path / "first", progress=False)
    with pytest.raises(TrainingError, match=re.escape(message)):
        train(init_from_settings(tmp_path / "first" / "checkpoint.pt", **changes), tiny_data,
              tmp_path / "second", progress=False)


def test_init_from_refuses_another_vocabulary_or_no_checkpoint(tiny_text, tiny_data, tmp_path):
    """init_from a checkpoint trained on other tokens, or a missing file, is a one-line error
    naming init_from."""
    preprocess(tiny_text, "word", tmp_path / "words")
    config = tiny_config(epochs=1)
    config["data"]["token"] = "word"
    train(resolve_variant(validate_config(config), "gru"), tmp_path / "words", tmp_path / "w",
          progress=False)
    with pytest.raises(TrainingError, match=r"init_from .*its vocabulary \(\d+ tokens\) is not "
                       r"this data's \(\d+ tokens\)"):
        train(init_from_settings(tmp_path / "w" / "checkpoint.pt"), tiny_data, tmp_path / "c",
              progress=False)
    config = tiny_config(epochs=1)
    config["variants"]["gru"]["init_from"] = str(tmp_path / "missing.pt")
    config_path = write_config(tmp_path / "config.yaml", config)
    result = run_train(config_path, tiny_data, tmp_path / "out")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "init_from: no checkpoint at" in result.stderr


def test_test_perplexity_is_measured_on_best_weights(tiny_data, tmp_path):
    """With data.test_tokens, metrics.json has test_perplexity: best.pt's weights on the last
    test_tokens of the text, read like the held-out text; training and validation stay clear
    of them."""
    config = tiny_config(epochs=3)
    config["data"]["test_tokens"] = 500
    settings = resolve_variant(validate_config(config), "gru")
    metrics = train(settings, tiny_data, tmp_path, progress=False)
    corpus, _, _ = load_data(tiny_data)
    model, _ = model_from_checkpoint(load_checkpoint(tmp_path / "best.pt"))
    expected = evaluate(model, corpus[-500:], settings["batch_size"], settings["num_steps"])
    assert metrics["test_perplexity"] == pytest.approx(expected, rel=1e-6)
    val_only = evaluate(model, corpus[-1100:-500], settings["batch_size"], settings["num_steps"])
    assert metrics["best_val_perplexity"] == pytest.approx(val_only, rel=1e-6)
    plain = train(settings_for("gru", epochs=1), tiny_data, tmp_path / "plain", progress=False)
    assert "test_perplexity" not in plain and "test_tokens" not in plain


def test_split_files_and_eval_batch_size(tmp_path):
    """On a corpus of three files the valid file is the held-out text and the test file the
    test text, and both are read with eval_batch_size rows (not batch_size)."""
    words = Path(__file__).parent / "data" / "words"
    preprocess_files({s: words / f"{s}.txt" for s in ("train", "valid", "test")}, "whitespace",
                     tmp_path / "data")
    config = tiny_config(epochs=1, eval_batch_size=2)
    config["data"] = {"files": {s: {"url": str(words / f"{s}.txt"), "sha1": "0" * 40}
                                for s in ("train", "valid", "test")}, "token": "whitespace"}
    settings = resolve_variant(validate_config(config), "gru")
    metrics = train(settings, tmp_path / "data", tmp_path / "out", progress=False)
    corpus, _, stats = load_data(tmp_path / "data")
    _, valid, test = corpus.split(list(stats["splits"].values()))
    model, _ = model_from_checkpoint(load_checkpoint(tmp_path / "out" / "best.pt"))
    steps = settings["num_steps"]
    assert metrics["best_val_perplexity"] == pytest.approx(evaluate(model, valid, 2, steps))
    assert metrics["test_perplexity"] == pytest.approx(evaluate(model, test, 2, steps))
    assert metrics["test_perplexity"] != pytest.approx(evaluate(model, test, 4, steps))
