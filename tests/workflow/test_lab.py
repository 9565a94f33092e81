"""Tests of the Snakemake pipeline in a temporary copy of the project: the whole lab end to end,
no-op reruns, one-variant edits, single targets, the HTML report, config errors, settings that
reach the jobs exactly (--configfile, --config), `run`, `results_dir`, presets and make run."""

import csv
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ENV, SNAKEMAKE, built_copy, copy_project, edit_config, scheduled, snakemake

from rnnlab.download import bundled_corpus


def shorten(config: dict) -> None:
    """The lab's ten variants at 2 epochs on a small slice, offline."""
    config["data"].update(url=str(bundled_corpus()), train_tokens=1200, val_tokens=600)
    config["training"].update(epochs=2, eval_every=1, checkpoint_every=1, num_preds=10)


def run_all(project_root: Path, dest: Path, edit) -> tuple[Path, subprocess.CompletedProcess]:
    """Copy the project to ``dest``, edit its config and run ``snakemake all``, which must pass."""
    project = copy_project(project_root, dest)
    edit_config(project, edit)
    result = snakemake(project, "all")
    assert result.returncode == 0, result.stderr[-3000:]
    return project, result


@pytest.fixture(scope="module")
def lab_run(project_root, tmp_path_factory):
    """The whole lab run once at 2 epochs in a temporary copy of the project."""
    return run_all(project_root, tmp_path_factory.mktemp("lab"), shorten)


@pytest.fixture(scope="module")
def lab(lab_run):
    return lab_run[0]


def shell_commands(result: subprocess.CompletedProcess) -> list[str]:
    """The shell commands a dry run with -p prints."""
    return re.findall(r"^Shell command: (rnnlab .*)$", result.stdout + result.stderr, re.M)


def test_the_run_first_says_what_it_will_do(lab_run):
    """Before the first job, the run names the training jobs and epochs, estimates the time on
    CPU and GPU, and says where to watch."""
    text = lab_run[1].stderr
    assert "rnnlab: 10 training jobs: 2 epochs of rnn_scratch" in text
    assert re.search(r"about \d+ (s|min) on a CPU .* about \d+ s on one GPU", text)
    assert "tail -f results/logs/train/<variant>.log" in text
    assert text.index("rnnlab: 10 training jobs") < text.index("rule train")


def test_all_ten_variants_give_every_output(lab):
    """`snakemake all` writes the data, each variant's three files and the report."""
    variants = list(yaml.safe_load((lab / "config.yaml").read_text())["variants"])
    assert len(variants) == 10
    for variant in variants:
        for name in ("checkpoint.pt", "metrics.json", "curve.png"):
            assert (lab / "results/models" / variant / name).stat().st_size > 0
        assert (lab / "results/logs/train" / f"{variant}.log").exists()
        assert (lab / "results/benchmarks/train" / f"{variant}.tsv").exists()
    with open(lab / "results/report/comparison.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["variant"] for row in rows) == sorted(variants)
    for name in ("comparison.md", "perplexity.png", "gru_vs_lstm.png", "speed.png"):
        assert (lab / "results/report" / name).stat().st_size > 0


def test_every_training_job_writes_tensorboard_events(lab):
    """With the tracking extra, each variant's job writes its event files to
    results/tensorboard/<variant>/, one run per variant for `tensorboard --logdir`."""
    pytest.importorskip("tensorboard", reason="the tracking extra is not installed")
    variants = yaml.safe_load((lab / "config.yaml").read_text())["variants"]
    runs = {path.parent.name for path in (lab / "results/tensorboard").glob("*/events.out.*")}
    assert runs == set(variants)


def test_second_dry_run_has_nothing_to_do(lab):
    """Once everything is built, a dry run schedules nothing."""
    result = snakemake(lab, "-n")
    assert result.returncode == 0, result.stderr
    assert scheduled(result) == {}
    assert "Nothing to be done" in result.stdout + result.stderr


def test_editing_one_variant_reruns_only_it_and_the_report(lab, tmp_path):
    """Changing one variant's lr schedules that variant's training and the report, no more."""
    project = built_copy(lab, tmp_path)
    edit_config(project, lambda c: c["variants"]["gru_deep"].update(lr=1.5))
    result = snakemake(project, "-n")
    assert result.returncode == 0, result.stderr
    assert scheduled(result) == {"train": 1, "predict": 1, "report": 1, "all": 1}
    assert "results/models/gru_deep/metrics.json" in result.stdout
    assert "results/models/lstm_deep/metrics.json" not in result.stdout.split("rule report")[0]


def test_single_target_runs_one_variant(lab, tmp_path):
    """Naming one variant's metrics.json trains that variant only."""
    project = built_copy(lab, tmp_path)
    (project / "results/models/lstm_deep/metrics.json").unlink()
    result = snakemake(project, "-n", "results/models/lstm_deep/metrics.json")
    assert scheduled(result) == {"train": 1}


def test_html_report(lab):
    """`snakemake --report` builds a self-contained HTML report."""
    result = subprocess.run([*SNAKEMAKE, "--report", "results/report/report.html"], cwd=lab,
                            capture_output=True, text=True, env=ENV)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (lab / "results/report/report.html").stat().st_size > 10_000


@pytest.mark.parametrize("edit,named", [
    (lambda c: c["training"].update(batch_size=0), "training.batch_size"),
    (lambda c: c["variants"]["lstm_deep"].update(cell="transformer"), "variants.lstm_deep.cell"),
    (lambda c: c["data"].update(tokens="char"), "data.tokens"),
])
def test_bad_config_fails_before_any_job(edit, named, project_root, tmp_path):
    """A bad config stops the dry run with the key named and no job run."""
    project = copy_project(project_root, tmp_path)
    edit_config(project, edit)
    result = snakemake(project, "-n")
    assert result.returncode != 0
    assert named in result.stderr + result.stdout
    assert not (project / "results").exists()


def tiny_sweep(config: dict) -> None:
    """One tiny base variant and a seed sweep of two generated variants, 1 epoch, offline."""
    config["data"].update(url=str(bundled_corpus()), train_tokens=600, val_tokens=300)
    config["training"].update(epochs=1, eval_every=1, checkpoint_every=1, num_preds=5,
                              batch_size=4, num_steps=8)
    config["variants"] = {"tiny": {"cell": "rnn", "impl": "torch", "layers": 1, "hidden": 8,
                                   "lr": 1}}
    config["sweeps"] = {"seeds": {"base": ["tiny"], "grid": {"seed": [1, 2]}}}


@pytest.fixture(scope="module")
def sweep_project(project_root, tmp_path_factory):
    """A seed sweep of two generated variants run once through Snakemake."""
    project, _ = run_all(project_root, tmp_path_factory.mktemp("sweep"), tiny_sweep)
    return project


def test_a_sweep_runs_each_generated_variant_as_its_own_job(sweep_project):
    """Each generated variant trains in its own folder with its seed and enters the report."""
    for variant, seed in (("tiny", 0), ("tiny--seed-1", 1), ("tiny--seed-2", 2)):
        folder = sweep_project / "results/models" / variant
        for name in ("checkpoint.pt", "metrics.json", "curve.png"):
            assert (folder / name).stat().st_size > 0
        metrics = json.loads((folder / "metrics.json").read_text())
        assert (metrics["variant"], metrics["seed"], metrics["hidden"]) == (variant, seed, 8)
        assert (sweep_project / "results/logs/train" / f"{variant}.log").exists()
    histories = {v: json.loads((sweep_project / "results/models" / v / "metrics.json")
                               .read_text())["train_perplexity"]
                 for v in ("tiny--seed-1", "tiny--seed-2")}
    assert histories["tiny--seed-1"] != histories["tiny--seed-2"]  # the seed reached the job
    with open(sweep_project / "results/report/comparison.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["variant"] for row in rows) == ["tiny", "tiny--seed-1", "tiny--seed-2"]


def test_changing_one_sweep_value_reruns_only_that_variant(sweep_project, tmp_path):
    """Replacing seed 2 by 3 schedules the new variant and the report; seed 1 and the base stay."""
    project = copy_project(sweep_project, tmp_path)
    shutil.copytree(sweep_project / "results", project / "results")
    shutil.copytree(sweep_project / ".snakemake", project / ".snakemake")
    assert scheduled(snakemake(project, "-n")) == {}
    edit_config(project, lambda c: c["sweeps"]["seeds"]["grid"].update(seed=[1, 3]))
    result = snakemake(project, "-n")
    assert result.returncode == 0, result.stderr
    assert scheduled(result) == {"train": 1, "predict": 1, "report": 1, "all": 1}
    trained = result.stdout.split("rule report")[0]
    assert "results/models/tiny--seed-3/metrics.json" in trained
    assert "tiny--seed-1/" not in trained and "models/tiny/" not in trained


def test_a_bad_sweep_fails_before_any_job(project_root, tmp_path):
    """A sweep over an unknown base stops the dry run naming the key, with no job run."""
    project = copy_project(project_root, tmp_path)
    edit_config(project, lambda c: c.update(
        sweeps={"seeds": {"base": ["gru_depe"], "grid": {"seed": [1]}}}))
    result = snakemake(project, "-n")
    assert result.returncode != 0
    assert "sweeps.seeds.base: unknown variant 'gru_depe'" in result.stderr + result.stdout
    assert not (project / "results").exists()
def test_same_values_elsewhere_rerun_nothing(lab, tmp_path):
    """The same settings from a config file at another path, in another key order, rerun
    nothing: jobs receive values, not file paths."""
    project = built_copy(lab, tmp_path / "project")
    config = yaml.safe_load((project / "config.yaml").read_text())
    shuffled = {key: (dict(reversed(list(value.items()))) if isinstance(value, dict) else value)
                for key, value in reversed(list(config.items()))}
    shuffled["variants"] = {name: dict(reversed(list(v.items())))
                            for name, v in shuffled["variants"].items()}
    elsewhere = tmp_path / "somewhere" / "renamed.yaml"
    elsewhere.parent.mkdir()
    elsewhere.write_text(yaml.safe_dump(shuffled, sort_keys=False))
    result = snakemake(project, "-n", "--configfile", str(elsewhere))
    assert result.returncode == 0, result.stderr
    assert scheduled(result) == {}


def test_a_changed_value_in_another_file_reruns_its_variant(lab, tmp_path):
    """A --configfile that changes one variant's value reruns that variant and the report."""
    project = built_copy(lab, tmp_path / "project")
    mine = tmp_path / "mine.yaml"
    mine.write_text("variants: {rnn_deep: {lr: 0.5}}\n")
    result = snakemake(project, "-n", "-p", "--configfile", str(mine))
    assert scheduled(result) == {"train": 1, "predict": 1, "report": 1, "all": 1}
    assert ['"lr":0.5' in cmd and '"variant":"rnn_deep"' in cmd
            for cmd in shell_commands(result) if cmd.startswith("rnnlab train")] == [True]


@pytest.mark.parametrize("override,expected", [
    ('training={"sampling": "random"}', '"sampling":"random"'),
    ('training={"epochs": 3, "clip": 0.5}', '"clip":0.5,'),
    ('variants={"gru_deep": {"reset_after": true}}', '"reset_after":true'),
    ('variants={"gru_deep": {"lr": 1e-1}}', '"lr":0.1,'),
])
def test_config_overrides_reach_every_job_typed(lab, tmp_path, override, expected):
    """A --config value reaches the training jobs with the schema's type and reruns them."""
    project = built_copy(lab, tmp_path)
    result = snakemake(project, "-n", "-p", "--config", override)
    assert result.returncode == 0, result.stderr
    commands = shell_commands(result)
    changed = [cmd for cmd in commands if cmd.startswith("rnnlab train") and expected in cmd]
    assert changed and len(changed) == scheduled(result)["train"]


@pytest.mark.parametrize("override,named", [
    ('training={"epochs": "many"}', "training.epochs"),
    ('training={"sampling": "randm"}', "training.sampling"),
    ('training={"epoch": 3}', "training.epoch"),
    ("run=[lstm_deep,nope]", "run"),
    ("results_dir=", "results_dir"),
])
def test_bad_config_overrides_fail_before_any_job(project_root, tmp_path, override, named):
    """A --config value of the wrong type, value or key fails the run before any job, naming
    the key."""
    project = copy_project(project_root, tmp_path)
    result = snakemake(project, "--config", override)
    assert result.returncode != 0
    assert named in result.stderr
    assert not (project / "results").exists()


def test_run_narrows_the_lab(lab, tmp_path):
    """A --configfile with `run` trains only those variants, and the report holds only them."""
    project = built_copy(lab, tmp_path / "project")
    mine = tmp_path / "two.yaml"
    mine.write_text("run: [lstm_deep, gru_deep]\ntraining: {seed: 1}\n")
    result = snakemake(project, "-n", "-p", "--configfile", str(mine))
    assert scheduled(result) == {"train": 2, "predict": 2, "report": 1, "all": 1}
    report = [cmd for cmd in shell_commands(result) if cmd.startswith("rnnlab report")]
    assert "--variants gru_deep lstm_deep --out" in report[0]


def test_results_dir_holds_every_output_and_log(project_root, tmp_path):
    """With results_dir set, every output, log and benchmark of the run is under it."""
    project = copy_project(project_root, tmp_path)
    result = snakemake(project, "-n", "--config", "results_dir=elsewhere/out")
    assert result.returncode == 0, result.stderr
    paths = re.findall(r"^    (?:output|log|benchmark): (.*)$", result.stdout, re.M)
    files = [path for line in paths for path in line.split(", ")]
    assert len(files) > 30
    assert all(path.startswith("elsewhere/out/") for path in files), files


def test_quick_preset_dry_run(project_root, tmp_path):
    """The quick preset schedules the whole chain, every variant, under results/quick."""
    project = copy_project(project_root, tmp_path)
    result = snakemake(project, "-n", "-p", "--configfile", "workflow/presets/quick.yaml")
    assert result.returncode == 0, result.stderr
    assert scheduled(result) == {"download": 1, "preprocess": 1, "train": 10, "predict": 10,
                                 "report": 1, "all": 1}
    trains = [cmd for cmd in shell_commands(result) if cmd.startswith("rnnlab train")]
    assert all('"epochs":20' in cmd and "results/quick/models/" in cmd for cmd in trains)


def test_words_preset_dry_run(project_root, tmp_path):
    """The words preset preprocesses word tokens (min_freq 3) and trains its three tied-embedding
    variants with annealing and a test split, under results/words."""
    project = copy_project(project_root, tmp_path)
    result = snakemake(project, "-n", "-p", "--configfile", "workflow/presets/words.yaml")
    assert result.returncode == 0, result.stderr
    assert scheduled(result) == {"download": 1, "preprocess": 1, "train": 3, "predict": 3,
                                 "report": 1, "all": 1}
    commands = shell_commands(result)
    assert any("--token word --min-freq 3 --out results/words/data" in cmd for cmd in commands)
    trains = [cmd for cmd in commands if cmd.startswith("rnnlab train")]
    assert {re.search(r'"cell":"(\w+)"', cmd).group(1) for cmd in trains} == {"rnn", "gru", "lstm"}
    for cmd in trains:
        assert '"tied":true' in cmd and '"test_tokens":3000' in cmd and '"anneal":4' in cmd
        assert '"dropout":0.2' in cmd and "results/words/models/" in cmd


def make_run(project_root, project, *args):
    """`make run` in a project copy with this test's Python environment (no reinstall)."""
    shutil.copy(project_root / "Makefile", project / "Makefile")
    venv = Path(sys.executable).parent.parent
    return subprocess.run(["make", "-s", "-C", str(project), "run", f"VENV={venv}",
                           "-o", f"{venv}/.installed", *args],
                          capture_output=True, text=True, env=ENV)


def test_make_run_takes_a_preset_and_snakemake_arguments(project_root, tmp_path):
    """make run PRESET=quick ARGS="..." passes the preset and the arguments to Snakemake."""
    project = copy_project(project_root, tmp_path)
    result = make_run(project_root, project, "PRESET=quick",
                      "ARGS=-n --cores 1 results/quick/models/gru_deep/metrics.json")
    assert result.returncode == 0, result.stderr
    assert scheduled(result) == {"download": 1, "preprocess": 1, "train": 1}
    unknown = make_run(project_root, project, "PRESET=nope")
    assert unknown.returncode != 0 and "no preset 'nope' (there is: " in unknown.stderr
    assert "quick" in unknown.stderr.split("there is:")[1]


def test_license_and_min_version(project_root):
    """LICENSE is the MIT licence pyproject names, and the Snakefile requires Snakemake 9."""
    assert (project_root / "LICENSE").read_text().startswith("MIT License")
    assert 'license = { text = "MIT" }' in (project_root / "pyproject.toml").read_text()
    assert 'min_version("9.0")' in (project_root / "Snakefile").read_text()
    assert '"snakemake>=9,' in (project_root / "pyproject.toml").read_text()


def test_the_report_reads_a_two_key_grid_in_its_own_order(project_root, tmp_path):
    """The report rule passes each grid in config order, so the report finds every generated
    variant of a grid whose keys are not in alphabetical order."""
    from rnnlab.report.sweeps import sweep_members

    project = copy_project(project_root, tmp_path)
    edit_config(project, tiny_sweep)
    edit_config(project, lambda c: c["sweeps"].update(
        mix={"base": ["tiny"], "grid": {"lr": [0.5], "hidden": [4, 16]}}))
    result = snakemake(project, "-n", "-p")
    assert result.returncode == 0, result.stderr
    command = next(line for line in result.stdout.splitlines() if "rnnlab report" in line)
    specs = json.loads(shlex.split(command)[shlex.split(command).index("--sweeps") + 1])
    assert list(specs["mix"]["grid"]) == ["lr", "hidden"]
    names = ["tiny", "tiny--seed-1", "tiny--lr-0.5--hidden-4", "tiny--lr-0.5--hidden-16"]
    members = sweep_members(specs["mix"], "tiny", [{"variant": name} for name in names])
    assert [m["variant"] for m in members] == ["tiny", *names[2:]]


def test_run_takes_one_name_on_the_command_line(project_root, tmp_path):
    """`--config run=NAME` selects that one variant (Snakemake gives it as a plain string)."""
    project = copy_project(project_root, tmp_path)
    result = snakemake(project, "-n", "--config", "run=lstm_deep")
    assert result.returncode == 0, result.stderr
    assert scheduled(result) == {"download": 1, "preprocess": 1, "train": 1, "predict": 1,
                                 "report": 1, "all": 1}
