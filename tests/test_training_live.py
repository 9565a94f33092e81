"""Tests of rnnlab.training.live: a real TensorBoard shows every variant of a tiny run (scalars,
text, hparams) and a resumed job without duplicated steps; curve.png is there mid-run."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse

import pytest
import requests
from helpers import rnnlab, tiny_config, write_config
from report_inputs import PNG_MAGIC
from training_helpers import start_training

from rnnlab.cli import main
from rnnlab.training.live import FINAL_KEYS, SCALARS, Budget

pytest.importorskip("tensorboard", reason="the tracking extra is not installed")

EPOCHS = {"rnn": 3, "lstm": 3, "gru": 12}  # gru is killed after its checkpoint, then resumed


def train_in_process(config_path, data, root, variant):
    assert main(["train", "--config", str(config_path), "--variant", variant, "--data",
                 str(data), "--out", str(root / "models" / variant), "--epochs",
                 str(EPOCHS[variant]), "--quiet", "--tensorboard",
                 str(root / "tensorboard" / variant)]) == 0


def kill_past_checkpoint(config_path, data, root) -> None:
    """Train gru in a subprocess and SIGKILL it two epochs after its checkpoint at epoch 4, so
    its event files hold epochs that the resumed job trains again."""
    out = root / "models" / "gru"
    proc = start_training(config_path, data, out, "--quiet", "--tensorboard",
                          root / "tensorboard" / "gru")
    history, deadline = out / "history.csv", time.time() + 120
    while proc.poll() is None and time.time() < deadline:
        if history.exists() and history.read_text().count("\n") >= 7:  # header + 6 epochs
            break
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert not (out / "metrics.json").exists(), "the run finished before it could be killed"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def board(tiny_data, tmp_path_factory):
    """A real TensorBoard on a free localhost port over a tiny run's results/tensorboard:
    rnn and lstm trained whole, gru killed and resumed. Yields (base URL, results folder)."""
    root = tmp_path_factory.mktemp("results")
    config_path = write_config(root / "config.yaml",
                               tiny_config(epochs=12, eval_every=1, checkpoint_every=4))
    kill_past_checkpoint(config_path, tiny_data, root)
    for variant in EPOCHS:
        train_in_process(config_path, tiny_data, root, variant)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir",
                             root / "tensorboard", "--host", "127.0.0.1", "--port", str(port),
                             "--load_fast", "false", "--samples_per_plugin", "text=1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            assert proc.poll() is None, "tensorboard exited"
            try:
                tags = requests.get(f"{url}/data/plugin/scalars/tags", timeout=5).json()
                if set(tags) == set(EPOCHS) and all(
                        "final/train_perplexity" in t for t in tags.values()):
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        yield url, root
    finally:
        proc.terminate()
        proc.wait()


def scalars(url, run, tag):
    query = urllib.parse.urlencode({"run": run, "tag": tag})
    return requests.get(f"{url}/data/plugin/scalars/scalars?{query}", timeout=10).json()


def history(root, variant):
    return json.loads((root / "models" / variant / "metrics.json").read_text())["history"]


def test_every_variant_has_its_scalars_in_tensorboard(board):
    """TensorBoard's HTTP API lists every variant with perplexity, lr and tokens/s per epoch
    and the final results, each epoch once, with metrics.json's values."""
    url, root = board
    tags = requests.get(f"{url}/data/plugin/scalars/tags", timeout=10).json()
    assert set(tags) == set(EPOCHS)
    for variant, epochs in EPOCHS.items():
        assert {*SCALARS.values(), "final/best_val_perplexity"} <= set(tags[variant])
        rows = history(root, variant)
        train = scalars(url, variant, "perplexity/train")
        assert [step for _, step, _ in train] == list(range(1, epochs + 1))
        assert [value for _, _, value in train] == pytest.approx(
            [row["train_perplexity"] for row in rows], rel=1e-6)
        held_out = scalars(url, variant, "perplexity/held_out")
        assert [value for _, _, value in held_out] == pytest.approx(
            [row["val_perplexity"] for row in rows], rel=1e-6)
        assert {value for _, _, value in scalars(url, variant, "lr")} == {rows[0]["lr"]}


def test_a_resumed_job_has_no_duplicated_steps(board):
    """gru, killed two epochs after its checkpoint and resumed, shows each epoch once, and the
    values of the resumed job."""
    url, root = board
    rows = history(root, "gru")
    for tag, key in (("perplexity/train", "train_perplexity"), ("tokens_per_second", None)):
        points = scalars(url, "gru", tag)
        assert [step for _, step, _ in points] == list(range(1, 13))
        if key:
            assert [v for _, _, v in points] == pytest.approx([r[key] for r in rows], rel=1e-6)
    files = list((root / "tensorboard" / "gru").glob("events.out.tfevents.*"))
    assert len(files) == 2  # the killed job's and the resumed job's


def test_greedy_text_from_the_first_evaluation_to_the_end(board):
    """Each variant's greedy text after the prefix is in TensorBoard from the first evaluation
    (then within its time budget) to the last, which is metrics.json's prediction."""
    url, root = board
    tags = requests.get(f"{url}/data/plugin/text/tags", timeout=10).json()
    for variant, epochs in EPOCHS.items():
        (tag,) = [t for t in tags[variant] if "time traveller" in t]
        query = urllib.parse.urlencode({"run": variant, "tag": tag})
        texts = requests.get(f"{url}/data/plugin/text/text?{query}", timeout=10).json()
        steps = [entry["step"] for entry in texts]
        assert steps[0] == 1
        assert steps[-1] == epochs and steps == sorted(set(steps))
        metrics = json.loads((root / "models" / variant / "metrics.json").read_text())
        assert metrics["predictions"]["time traveller"].strip() in texts[-1]["text"]


def test_budget_allows_its_share_of_the_time():
    """A Budget is due at first, not right after spending, and again once its share of the
    time since it started covers what was spent."""
    budget = Budget(0.25)
    assert budget.due()
    with budget.spending():
        time.sleep(0.2)
    assert not budget.due()  # due once 0.8 s have passed
    time.sleep(0.7)
    assert budget.due()


def test_hparams_dashboard_lists_every_variant_with_its_results(board):
    """The HParams dashboard has one session per variant: its settings and final results."""
    url, root = board
    request = {"experimentName": "", "startIndex": 0, "sliceSize": 100, "colParams": [],
               "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
                                   "STATUS_RUNNING"]}
    groups = requests.post(f"{url}/data/plugin/hparams/session_groups", json=request,
                           headers={"X-TensorBoard-Feature-Flags": "{}"}, timeout=10).json()
    sessions = {g["name"]: g for g in groups["sessionGroups"]}
    assert set(sessions) == set(EPOCHS)
    for variant in EPOCHS:
        metrics = json.loads((root / "models" / variant / "metrics.json").read_text())
        group = sessions[variant]
        assert group["hparams"]["cell"] == metrics["cell"]
        assert group["hparams"]["hidden"] == metrics["hidden"]
        values = {m["name"]["tag"]: m["value"] for m in group["metricValues"]}
        assert values["final/best_val_perplexity"] == pytest.approx(
            metrics["best_val_perplexity"], rel=1e-6)
        assert set(values) <= {f"final/{key}" for key in FINAL_KEYS}


def test_without_tensorboard_installed_one_line_and_training_goes_on(tiny_data, tmp_path):
    """Where the tensorboard package cannot be imported, the job says so in one line, writes
    no event files and trains as usual."""
    hidden = tmp_path / "site" / "tensorboard"
    hidden.mkdir(parents=True)  # shadows the installed package, as if it were absent
    (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'tensorboard'\")\n")
    config_path = write_config(tmp_path / "config.yaml", tiny_config(epochs=1))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tmp_path / "site"), os.environ.get("PYTHONPATH", "")])}
    result = rnnlab("train", "--config", config_path, "--variant", "gru", "--data", tiny_data,
                    "--out", tmp_path / "out", "--quiet", "--tensorboard", tmp_path / "tb",
                    env=env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "TensorBoard" in line]
    assert lines == [f"TensorBoard is not installed (pip install 'rnnlab[tracking]'): not "
                     f"writing {tmp_path / 'tb'}"]
    assert not (tmp_path / "tb").exists()
    assert (tmp_path / "out" / "metrics.json").exists()


def test_curve_png_is_there_while_the_job_runs(tiny_data, tmp_path):
    """curve.png is written at the first evaluation, so a real PNG is there before the job
    ends."""
    config_path = write_config(tmp_path / "config.yaml",
                               tiny_config(epochs=6, eval_every=1, checkpoint_every=100))
    out = tmp_path / "out"
    proc = start_training(config_path, tiny_data, out, "--quiet")
    seen = None
    while proc.poll() is None:
        if seen is None and (out / "curve.png").exists():
            seen = (out / "curve.png").read_bytes()
            running = proc.poll() is None and not (out / "metrics.json").exists()
        time.sleep(0.005)
    assert proc.returncode == 0, proc.stderr.read()
    assert seen is not None and running, "curve.png appeared only when the job ended"
    assert seen[:8] == PNG_MAGIC
