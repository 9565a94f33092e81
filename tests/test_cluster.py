"""The Slurm GPU profile (workflow/profiles/slurm-gpu).

The fast tests check that Snakemake reads the profile and gives every training job its GPU
resources; they need no Slurm. The end-to-end run on a real single-node Slurm
(tests/cluster/run.sh) needs root and starts daemons, so `make test-cluster` runs it; here it
is skipped unless RNNLAB_CLUSTER_TEST=1.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import copy_project

ROOT = Path(__file__).resolve().parents[1]
PROFILE = ROOT / "workflow" / "profiles" / "slurm-gpu"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"


def variants():
    return list(yaml.safe_load((ROOT / "config.yaml").read_text())["variants"])


def test_profile_runs_every_variant_at_once_on_one_gpu_each():
    """The profile runs every variant at once and holds only what is site-specific: the train
    rule declares its GPU, CPUs, memory and runtime itself (config.yaml's resources)."""
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["executor"] == "slurm"
    assert profile["jobs"] >= len(variants())
    assert "set-resources" not in profile
    # account and partition come from the command line or the user's own profile: a
    # default-resources key here would be replaced as a whole by --default-resources
    assert "default-resources" not in profile


def dry_run(tmp_path, *args):
    """`snakemake -n all` with the profile in a copy of the workflow (the repo stays as it is)."""
    copy_project(ROOT, tmp_path)
    done = subprocess.run(
        [str(SNAKEMAKE), *args, "-n", "all"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize(
    "how",
    [
        ["--workflow-profile", "workflow/profiles/slurm-gpu"],
        ["--profile", "workflow/profiles/slurm-gpu"],
    ],
    ids=["workflow-profile", "profile"],
)
def test_snakemake_reads_the_profile(tmp_path, how):
    out = dry_run(tmp_path, *how, "--default-resources", "slurm_account=lab",
                  "slurm_partition=gpu")
    assert "profile workflow/profiles/slurm-gpu" in out
    jobs = re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", out, re.MULTILINE)
    train = [resources for rule, resources in jobs if rule == "train"]
    assert len(train) == len(variants())
    for resources in train:
        fields = dict(item.split("=", 1) for item in resources.split(", "))
        assert fields["gpu"] == "1"
        assert fields["slurm_account"] == "lab" and fields["slurm_partition"] == "gpu"
        assert int(fields["cpus_per_task"]) >= 1 and int(fields["runtime"]) > 0


@pytest.mark.cluster
@pytest.mark.skipif(
    os.environ.get("RNNLAB_CLUSTER_TEST") != "1",
    reason="run by make test-cluster (needs root and starts a local Slurm); "
    "set RNNLAB_CLUSTER_TEST=1 to run it from pytest",
)
def test_pipeline_on_a_local_slurm():
    done = subprocess.run(["bash", str(ROOT / "tests" / "cluster" / "run.sh")], cwd=ROOT)
    assert done.returncode == 0, "tests/cluster/run.sh failed (its output is above)"


def test_grouped_profile_packs_training_jobs_into_fewer_slurm_jobs(tmp_path):
    """slurm-gpu-grouped puts every training job in a group job of at most group-components."""
    grouped = "workflow/profiles/slurm-gpu-grouped"
    size = yaml.safe_load((ROOT / grouped / "config.yaml").read_text())["group-components"]
    out = dry_run(tmp_path, "--workflow-profile", grouped, "--default-resources",
                  "slurm_account=lab", "slurm_partition=gpu")
    before, *groups = re.split(r"^.*Group job train_gpu .*$", out, flags=re.MULTILINE)
    assert "rule train:" not in before
    sizes = [group.split("\nrule ")[0].count("    rule train:") for group in groups]
    assert sum(sizes) == len(variants()) and max(sizes) <= size["train_gpu"]
    assert len(groups) == -(-len(variants()) // size["train_gpu"]) < len(variants())


@pytest.mark.parametrize("profile", ["slurm-gpu", "slurm-gpu-grouped"])
def test_slurm_signals_training_jobs_before_the_time_limit(profile, tmp_path):
    """Every training job asks sbatch to send SIGTERM to the job steps (where rnnlab train runs,
    not only the batch shell) ahead of the time limit, with time to write resume.pt, and keeps
    that and its GPU when the command line sets its runtime."""
    out = dry_run(tmp_path, "--workflow-profile", f"workflow/profiles/{profile}",
                  "--default-resources", "slurm_account=lab", "slurm_partition=gpu",
                  "--set-resources", "train:runtime=180")
    jobs = [dict(item.split("=", 1) for item in line.split(", "))
            for line in re.findall(r"^ *resources: (.*)$", out, re.MULTILINE)]
    train = [job for job in jobs if "cpus_per_task" in job]
    assert len(train) == len(variants())
    for job in train:
        found = re.fullmatch(r"--signal=(B:)?TERM@(\d+)", job["slurm_extra"])
        assert found and found.group(1) is None
        assert job["runtime"] == "180" and job["gpu"] == "1"
        assert 30 <= int(found.group(2)) < 60 * 60
