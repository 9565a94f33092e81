"""Tests of rnnlab.training.observers: history.csv and the progress lines."""

import csv
import json
import time

from helpers import rnnlab, tiny_config, write_config
from training_helpers import start_training

from rnnlab.training.observers import HISTORY_COLUMNS


def test_history_csv_grows_while_training(tiny_data, tmp_path):
    """history.csv gains its rows while the job runs, each read a prefix of the final file, and
    ends with one row per epoch matching metrics.json, the lr it trained with included."""
    config_path = write_config(tmp_path / "config.yaml",
                               tiny_config(epochs=30, eval_every=3, checkpoint_every=100))
    out = tmp_path / "out"
    proc = start_training(config_path, tiny_data, out, "--quiet")
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
        assert float(row["lr"]) == record["lr"]


def test_plain_progress_lines_when_stderr_is_not_a_terminal(tiny_data, tmp_path):
    """Without a terminal the job logs plain lines (epoch, perplexities, tokens/s, ETA), no \\r
    frames, each after its epoch's evaluation, and its last line says where the outputs went."""
    config_path = write_config(tmp_path / "config.yaml", tiny_config(epochs=4, eval_every=2))
    out = tmp_path / "out"
    result = rnnlab("train", "--config", config_path, "--variant", "gru", "--data", tiny_data,
                    "--out", out)
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr
    lines = result.stderr.strip().splitlines()
    progress = [line for line in lines if line.startswith("gru epoch ")]
    # each line follows its epoch's evaluation; the last shows the final held-out perplexity
    assert [line.split()[2] for line in progress] == ["1/4:", "2/4:", "4/4:"]
    assert "held-out -" in progress[0] and "held-out" in progress[1] and "(epoch 2)" in progress[1]
    assert "held-out " in progress[2] and "(epoch 4)," in progress[2]
    assert all("tokens/s, ETA " in line for line in progress)
    assert lines[-1].startswith("wrote checkpoint.pt, best.pt") and lines[-1].endswith(str(out))
