"""Helpers for tests: a tiny config, the command line in a subprocess, and a copy of the project
to run Snakemake in."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml


def tiny_config(**training) -> dict:
    """A config with small models and short epochs for tests; ``training`` overrides."""
    return {
        "data": {"train_tokens": 0, "val_tokens": 600},
        "training": {"batch_size": 4, "num_steps": 8, "epochs": 2, "eval_every": 1,
                     "checkpoint_every": 1, "prefixes": ["time traveller"], "num_preds": 10,
                     "device": "cpu", **training},
        "variants": {
            "rnn": {"cell": "rnn", "impl": "scratch", "hidden": 16, "lr": 1},
            "gru": {"cell": "gru", "impl": "torch", "hidden": 16, "lr": 1},
            "lstm": {"cell": "lstm", "impl": "torch", "layers": 2, "hidden": 16, "lr": 2},
        },
    }


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def rnnlab(*args, check=False, **kwargs) -> subprocess.CompletedProcess:
    """Run the rnnlab command line in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "rnnlab.cli", *map(str, args)],
                          capture_output=True, text=True, check=check, **kwargs)


SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# The rules call `rnnlab`: find the one beside this Python even when the venv is not activated.
ENV = {**os.environ, "PATH": os.pathsep.join([os.path.dirname(sys.executable),
                                              os.environ.get("PATH", "")])}


def copy_project(root: Path, dest: Path) -> Path:
    """The workflow (Snakefile, config.yaml, rules/, workflow/, profiles/) copied into
    ``dest``, to run Snakemake in without touching the repository."""
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(root / name, dest / name)
    for name in ("rules", "workflow", "profiles"):
        shutil.copytree(root / name, dest / name)
    return dest


def edit_config(project: Path, edit) -> None:
    """Apply ``edit`` to the parsed config.yaml of ``project`` and write it back."""
    path = project / "config.yaml"
    config = yaml.safe_load(path.read_text())
    edit(config)
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake(project: Path, *args) -> subprocess.CompletedProcess:
    """Snakemake on 2 cores in ``project``, finding the venv's ``rnnlab``."""
    return subprocess.run([*SNAKEMAKE, "--cores", "2", *args], cwd=project,
                          capture_output=True, text=True, env=ENV)


def scheduled(result: subprocess.CompletedProcess) -> dict:
    """The job counts of a dry run's 'Job stats' table."""
    table = result.stdout.split("Job stats:")[-1]
    return {name: int(count) for name, count in re.findall(r"^(\w+)\s+(\d+)$", table, re.M)
            if name != "total"}


def built_copy(lab: Path, dest: Path) -> Path:
    """A copy of the built lab, results and Snakemake's records included."""
    dest.mkdir(parents=True, exist_ok=True)
    project = copy_project(lab, dest)
    shutil.copytree(lab / "results", project / "results")
    shutil.copytree(lab / ".snakemake", project / ".snakemake")
    return project


def minimal_config() -> dict:
    """The smallest valid config: one tiny variant, everything else default (not validated)."""
    return {"variants": {"tiny": {"cell": "gru", "impl": "torch", "hidden": 8, "lr": 1}}}
