"""Tests of config values as Snakemake plans with them: equal numbers in another form rerun
nothing, sweeps given with --config are typed by the schema, bad config files stop the run
with one line naming the key, and a 2,000-point grid plans within a stated bound."""

import resource
import time

import pytest
from helpers import built_copy, copy_project, edit_config, scheduled, snakemake

from rnnlab.download import bundled_corpus

# Planning a 2,000-point sweep (validating the config and Snakemake's dry run) takes about 8 s
# of CPU on one core of the development machine; the bound leaves room for slower machines.
GRID_CPU_SECONDS = 40
GRID_WALL_SECONDS = 300  # the same on a machine shared with other work


def tiny(config: dict) -> None:
    """One tiny variant, one epoch on a slice of the bundled text, offline."""
    config["data"].update(url=str(bundled_corpus()), train_tokens=600, val_tokens=300)
    config["training"].update(epochs=1, eval_every=1, checkpoint_every=1, num_preds=5,
                              batch_size=4, num_steps=8)
    config["variants"] = {"tiny": {"cell": "rnn", "impl": "torch", "hidden": 8, "lr": 1}}


@pytest.fixture(scope="module")
def built(project_root, tmp_path_factory):
    """The tiny project run once through `snakemake all`."""
    project = copy_project(project_root, tmp_path_factory.mktemp("values"))
    edit_config(project, tiny)
    result = snakemake(project, "all")
    assert result.returncode == 0, result.stderr[-3000:]
    return project


@pytest.mark.parametrize("section,key,value", [
    ("training", "clip", 1),  # config.yaml says 1.0
    ("training", "clip", 1.0),
    ("tiny", "lr", 1.0),  # the variant says 1
])
def test_the_same_number_in_another_form_plans_nothing(built, tmp_path, section, key, value):
    """`clip: 1` where the config said `clip: 1.0` (or `lr: 1.0` for `lr: 1`) gives the same
    settings, so a dry run plans nothing."""
    project = built_copy(built, tmp_path)
    edit_config(project, lambda c: (c["variants"]["tiny"] if section == "tiny"
                                    else c[section]).update({key: value}))
    result = snakemake(project, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert scheduled(result) == {}


def test_a_sweep_on_the_command_line_reads_numbers_as_the_schema_expects(built):
    """--config 'sweeps=...' plans one job per generated variant, its values typed (an lr of
    0.5 and 1.0e-1 as numbers, a seed as an integer)."""
    result = snakemake(built, "-n", "-p", "--config",
                       "sweeps={s: {base: [tiny], grid: {lr: [0.5, 1.0e-1], seed: [3]}}}")
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = scheduled(result)
    assert (jobs["train"], jobs["report"]) == (2, 1)
    assert '"lr":0.5,' in result.stdout and '"lr":0.1,' in result.stdout
    assert '"seed":3,' in result.stdout and "tiny--lr-0.5--seed-3" in result.stdout


ALIAS_BOMB = "".join(
    [f"a0: &a0 [{', '.join(['x'] * 10)}]\n"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)])


@pytest.mark.parametrize("text,named", [
    ('variants: {"a\\n": {cell: gru, impl: torch, hidden: 8, lr: 1}}\n',
     "config key variants: variant name 'a\\n' is not allowed"),
    ("results_dir: 'r$(touch X)x'\n", "config key results_dir: 'r$(touch X)x' is not allowed"),
    ("training: {clip: .inf}\n", "config key training.clip: inf is not a finite number"),
    (ALIAS_BOMB, "config holds more than 100000 values"),
    ("__use_yte__: true\ntraining: {epochs: 2}\n", "key __use_yte__ marks a template"),
])
def test_a_bad_config_file_stops_snakemake_with_one_line(project_root, tmp_path, text, named):
    """A bad --configfile stops `snakemake -n` with exit status 1 and one line naming the key:
    no traceback, no job, no folder written."""
    project = copy_project(project_root, tmp_path)
    (project / "bad.yaml").write_text(text, encoding="utf-8")
    result = snakemake(project, "-n", "--configfile", "bad.yaml")
    output = result.stdout + result.stderr
    assert result.returncode == 1
    lines = [line for line in output.splitlines() if line.startswith("rnnlab:")]
    assert len(lines) == 1 and named in lines[0], output[-2000:]
    assert "Traceback" not in output and 'File "' not in output
    assert not (project / "results").exists() and not (project / "X").exists()


def test_a_2000_point_grid_plans_within_the_bound(project_root, tmp_path):
    """A sweep of 2,000 points (two bases x 50 seeds x 20 rates) dry-runs within
    GRID_CPU_SECONDS of CPU, and says how many jobs it is planning first."""
    project = copy_project(project_root, tmp_path)
    seeds = ", ".join(map(str, range(1, 51)))
    rates = ", ".join(f"{r / 10}" for r in range(3, 23))
    (project / "grid.yaml").write_text(
        f"sweeps: {{big: {{base: [rnn_concise, gru_deep], grid: {{seed: [{seeds}], "
        f"lr: [{rates}]}}}}}}\n")
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    result = snakemake(project, "-n", "--quiet", "all", "--configfile", "grid.yaml")
    after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert cpu < GRID_CPU_SECONDS and wall < GRID_WALL_SECONDS, (cpu, wall)
    assert "rnnlab: planning 2010 training jobs" in result.stderr
