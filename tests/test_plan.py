"""Tests of rnnlab.plan: the estimate printed before a run, from measured per-epoch costs."""

import re

import pytest

from rnnlab.config import load_config, resolve_variant
from rnnlab.plan import (
    EPOCH_SECONDS,
    describe_run,
    describe_workflow,
    duration,
    epoch_seconds,
    wall_seconds,
)


@pytest.fixture(scope="module")
def lab(project_root):
    config = load_config(project_root / "config.yaml")
    return [resolve_variant(config, name) for name in config["variants"]]


def test_every_lab_shape_has_a_measured_cost(lab):
    """Each lab variant's shape is in the table, so its estimate is a measurement."""
    for settings in lab:
        key = (settings["cell"], settings["impl"], settings["layers"], settings["hidden"])
        assert key in EPOCH_SECONDS


def test_epoch_cost_scales_with_tokens_and_size(lab):
    """Twice the training tokens cost about twice as much; a wider model costs more."""
    settings = next(s for s in lab if s["variant"] == "lstm_concise")
    cpu, gpu = epoch_seconds(settings)
    cpu2, gpu2 = epoch_seconds({**settings, "train_tokens": 20000})
    assert 1.8 < cpu2 / cpu < 2.1 and 1.8 < gpu2 / gpu < 2.1
    wide, _ = epoch_seconds({**settings, "hidden": 512})
    assert wide > 2 * cpu


def test_all_tokens_need_the_corpus_length(lab):
    """train_tokens 0 (all) gives no estimate until the corpus length is known."""
    settings = {**lab[0], "train_tokens": 0}
    assert epoch_seconds(settings) is None
    assert epoch_seconds(settings, corpus_tokens=170580)[0] > epoch_seconds(lab[0])[0]


@pytest.mark.parametrize("jobs,slots,expected", [
    ([5, 3, 2], 1, 10), ([5, 3, 2], 2, 5), ([5, 3, 2], 8, 5), ([4, 4, 4, 4], 2, 8),
])
def test_wall_time_of_parallel_jobs(jobs, slots, expected):
    """Jobs run `slots` at a time, longest first."""
    assert wall_seconds(jobs, slots) == expected


def test_the_lab_estimate_is_minutes_on_cpu_and_about_a_minute_on_gpu(lab):
    """The lab at 500 epochs on 2 cores is many minutes; on one GPU about a minute."""
    text = describe_run(lab, 2, "results/logs")
    assert "10 training jobs: 500 epochs of rnn_scratch" in text
    cpu, gpu = re.search(r"about (\d+ \w+) on a CPU.* about (\d+ \w+) on one GPU",
                         text).groups()
    assert cpu.endswith("min") and 5 <= int(cpu.split()[0]) <= 60
    assert gpu.endswith(" s") or gpu == "2 min"
    assert "results/logs/train/<variant>.log" in text


def test_nothing_to_train_says_so():
    """With no training job, the plan says the models are up to date."""
    assert "no training job" in describe_run([], 2, "results/logs")


@pytest.mark.parametrize("seconds,text", [(40, "40 s"), (420, "7 min"), (9000, "2.5 h")])
def test_duration(seconds, text):
    """Durations read as seconds, minutes or hours."""
    assert duration(seconds) == text


class Changed:
    """A Snakemake workflow object from a release that renamed what the plan reads."""

    dag = None


@pytest.mark.parametrize("workflow", [Changed(), object()])
def test_a_changed_snakemake_gives_one_line_not_an_error(workflow, tmp_path):
    """Whatever Snakemake's internals look like, describing the run returns one short line."""
    text = describe_workflow(workflow, ["rnn"], "results/logs", tmp_path / "stats.json")
    assert text.startswith("rnnlab: no plan for this run") and "\n" not in text
