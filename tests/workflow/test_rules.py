"""Tests of the rules themselves (rules/*.smk): shell lines that no config text can break out
of, and a plan before the first job that never fails a run."""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ENV, copy_project, edit_config, snakemake

from rnnlab.download import bundled_corpus

RULES = sorted((Path(__file__).resolve().parents[2] / "rules").glob("*.smk"))


def shell_lines(path: Path) -> list[str]:
    """The shell command text of each rule in one rules file (its string literals joined)."""
    blocks = re.findall(r"^    shell:\n((?:        .*\n?)+)", path.read_text(), re.M)
    return ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block)) for block in blocks]


@pytest.mark.parametrize("path", RULES, ids=lambda path: path.name)
def test_every_path_and_value_in_a_shell_line_is_quoted(path):
    """Every input, output, log and params placeholder in a shell line carries :q."""
    for line in shell_lines(path):
        fields = re.findall(r"\{([^{}]+)\}", line)
        unquoted = [field for field in fields
                    if re.match(r"(input|output|log|params)\b", field) and not field.endswith(":q")]
        assert not unquoted, f"{path.name}: {line}"


def data_stage(project_root: Path, tmp_path: Path, results_dir: str):
    """The data stage run for real, offline, with ``results_dir`` given on the command line."""
    project = copy_project(project_root, tmp_path)
    edit_config(project, lambda c: c["data"].update(url=str(bundled_corpus())))
    return project, snakemake(project, f"{results_dir}/data/stats.json",
                              "--config", f"results_dir={results_dir}")


def test_a_results_dir_with_a_space_writes_only_under_it(project_root, tmp_path):
    """results_dir 'notes.txt results' writes the data under that folder and leaves the user's
    notes.txt alone (an unquoted log redirection would overwrite it)."""
    (tmp_path / "notes.txt").write_text("mine\n")
    project, result = data_stage(project_root, tmp_path, "notes.txt results")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (project / "notes.txt").read_text() == "mine\n"
    assert (project / "notes.txt results/data/stats.json").stat().st_size > 0
    assert (project / "notes.txt results/logs/preprocess.log").exists()


def test_a_results_dir_with_a_command_substitution_runs_nothing(project_root, tmp_path):
    """results_dir 'r$(touch X)x' never runs touch: it is refused naming the key, or it is a
    folder's literal name."""
    project, result = data_stage(project_root, tmp_path, "r$(touch X)x")
    assert not (project / "X").exists()
    if result.returncode:
        assert "results_dir" in result.stderr
    else:
        assert (project / "r$(touch X)x/data/stats.json").exists()


# Snakemake with its job graph's needrun_jobs() failing when the plan calls it, as it would
# after a release that renamed it; Snakemake's own calls work as before.
BROKEN_SNAKEMAKE = """
import sys
from snakemake.cli import main
import snakemake.dag

real = snakemake.dag.DAG.needrun_jobs

def needrun_jobs(self, *args, **kwargs):
    if sys._getframe(1).f_globals.get("__name__") == "rnnlab.plan":
        raise AttributeError("needrun_jobs")
    return real(self, *args, **kwargs)

snakemake.dag.DAG.needrun_jobs = needrun_jobs
sys.exit(main())
"""


def test_a_changed_snakemake_internal_does_not_fail_the_run(project_root, tmp_path):
    """When what the plan reads of Snakemake fails, the run prints one line and runs its jobs."""
    project = copy_project(project_root, tmp_path)
    edit_config(project, lambda c: c["data"].update(url=str(bundled_corpus())))
    result = subprocess.run([sys.executable, "-c", BROKEN_SNAKEMAKE, "--cores", "1",
                             "results/data/stats.json"], cwd=project, capture_output=True,
                            text=True, env=ENV)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rnnlab: no plan for this run (reading Snakemake's jobs failed: AttributeError)." \
        in result.stderr
    assert (project / "results/data/stats.json").stat().st_size > 0


def test_data_files_download_three_splits_and_preprocess_them(project_root, tmp_path):
    """data.files: the data stage downloads the three files (SHA-1 checked) and preprocesses
    them into one corpus whose stats give the three splits; token counts are refused with it."""
    words = project_root / "tests" / "data" / "words"
    files = {split: {"url": str(words / f"{split}.txt"),
                     "sha1": hashlib.sha1((words / f"{split}.txt").read_bytes()).hexdigest()}
             for split in ("train", "valid", "test")}
    project = copy_project(project_root, tmp_path)
    edit_config(project, lambda c: c["data"].update(name="words", files=files,
                                                   token="whitespace"))
    result = snakemake(project, "results/data/stats.json")
    assert result.returncode == 0, result.stderr[-2000:]
    stats = json.loads((project / "results/data/stats.json").read_text())
    assert stats["splits"] == {"train": 968, "valid": 256, "test": 262}
    assert (project / "results/data/words.valid.txt").read_bytes() == \
        (words / "valid.txt").read_bytes()
    refused = snakemake(project, "-n", "--config", "data={'val_tokens': 100}")
    assert refused.returncode != 0
    assert "data.val_tokens: 100 cannot be used with data.files" in refused.stdout + refused.stderr


def train_resources(result: subprocess.CompletedProcess) -> list[dict]:
    """The resources of each training job a dry run lists."""
    found = re.findall(r"^rule train:\n(?:    .*\n)*?    resources: (.*)$", result.stdout, re.M)
    return [dict(item.split("=", 1) for item in line.split(", ")) for line in found]


def test_the_train_rule_declares_its_resources(project_root, tmp_path):
    """Each training job asks for the config's GPU, CPUs, memory and runtime; setting one on the
    command line keeps the others, and a CPU variant asks for no GPU."""
    project = copy_project(project_root, tmp_path)
    edit_config(project, lambda c: c["variants"]["rnn_scratch"].update(device="cpu"))
    result = snakemake(project, "-n", "--set-resources", "train:runtime=180", "--config",
                       "resources={mem_mb: 4000}")
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = train_resources(result)
    assert len(jobs) == 10
    for job in jobs:
        assert (job["cpus_per_task"], job["mem_mb"], job["runtime"]) == ("4", "4000", "180")
    assert sorted(job["gpu"] for job in jobs) == ["0"] + ["1"] * 9
