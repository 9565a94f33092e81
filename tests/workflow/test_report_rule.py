"""Tests of the report rule in a copy of the project: its outputs follow the config, a new
config's report leaves nothing of the old one, a replicate from another device joins its group,
and the docs' `snakemake --report` command works after the quick preset."""

import base64
import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
from helpers import built_copy, copy_project, edit_config, snakemake
from report_inputs import PNG_MAGIC

from rnnlab.download import bundled_corpus


def tiny(config: dict, sweeps: dict | None = None) -> None:
    """One small variant trained for one epoch on a slice of the text, offline (and the
    variants ``sweeps`` generates from it)."""
    config["data"].update(url=str(bundled_corpus()), train_tokens=1200, val_tokens=600)
    config["training"].update(epochs=1, eval_every=1, checkpoint_every=1, num_preds=10)
    config["variants"] = {"gru_deep": {**config["variants"]["gru_deep"], "hidden": 16}}
    config.pop("sweeps", None)
    if sweeps:
        config["sweeps"] = sweeps


QUICK = ("--configfile", "workflow/presets/quick.yaml")
REPORT = "results/quick/report"  # the quick preset's results_dir is results/quick


@pytest.fixture(scope="module")
def seeds_run(project_root, tmp_path_factory) -> Path:
    """The tiny project with a sweep of one more seed, run once through `snakemake all` with
    the quick preset (20 epochs of one batch each, under results/quick)."""
    project = copy_project(project_root, tmp_path_factory.mktemp("seeds"))
    edit_config(project, lambda c: tiny(c, {"seeds": {"base": ["gru_deep"],
                                                      "grid": {"seed": [7]}}}))
    result = snakemake(project, "all", *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    return project


def documented_report_command(project_root: Path) -> list[str]:
    """The docs' `snakemake --report` command for the quick preset, as a user copies it."""
    text = (project_root / "docs/commands.md").read_text("utf-8")
    line = next(line for line in text.splitlines()
                if line.startswith("snakemake") and "--report" in line and "quick" in line)
    return shlex.split(line, comments=True)


def embedded(report_page: str, path: str, mime: str) -> bytes:
    """The bytes of ``path`` in a `snakemake --report` page, shown inline as ``mime``."""
    name = path.rsplit("/", 1)[-1]
    entry = re.search(rf'"{re.escape(path)}": \{{"name": "{re.escape(name)}".*?'
                      rf'"mime_type": "{mime}".*?filename={re.escape(name)};base64,'
                      r'([A-Za-z0-9+/=]+)', report_page)
    assert entry, f"{path} is not in the report as {mime}"
    return base64.b64decode(entry.group(1))


def test_documented_snakemake_report_works_after_the_quick_preset(seeds_run, project_root):
    """The docs' `snakemake --report` command for the quick preset, run as written after a run
    with the preset, builds report.html carrying comparison.html as an inline page (not a
    download) holding the comparison table, the curves, and the replicates.csv and
    sweep-seeds.png that the config's sweep adds to the report rule's outputs."""
    command = documented_report_command(project_root)
    assert command[command.index("--report") + 1] == f"{REPORT}/report.html"
    result = snakemake(seeds_run, *command[1:])
    assert result.returncode == 0, result.stderr[-3000:]
    report_page = (seeds_run / REPORT / "report.html").read_text()
    page = embedded(report_page, f"{REPORT}/comparison.html", "text/html").decode()
    assert page == (seeds_run / REPORT / "comparison.html").read_text()
    assert ">gru_deep (n = 2)</td>" in page and page.count("data:image/png;base64,") == 4
    replicates = pd.read_csv(seeds_run / REPORT / "replicates.csv")
    assert replicates["group"].tolist() == ["gru_deep"] and replicates["n"].tolist() == [2]
    assert embedded(report_page, f"{REPORT}/sweep-seeds.png", "image/png")[:8] == PNG_MAGIC
    curve = "results/quick/models/gru_deep--seed-7/curve.png"
    assert embedded(report_page, curve, "image/png")[:8] == PNG_MAGIC
    assert f"{REPORT}/replicates.csv" in report_page


def test_report_outputs_follow_the_config(project_root, tmp_path):
    """Without sweeps or replicates the report rule promises neither replicates.csv nor a
    sweep figure."""
    project = copy_project(project_root, tmp_path)
    edit_config(project, tiny)
    result = snakemake(project, "-n", "results/report/comparison.md")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "results/report/comparison.html" in result.stdout
    assert "replicates.csv" not in result.stdout and "sweep-" not in result.stdout


def test_a_new_config_leaves_no_file_of_the_old_report(seeds_run, tmp_path):
    """Without the seeds sweep, the report reruns and replicates.csv and sweep-seeds.png of the
    earlier config are gone; nothing retrains."""
    project = built_copy(seeds_run, tmp_path)
    edit_config(project, tiny)
    result = snakemake(project, "all", *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rule train" not in result.stdout + result.stderr
    names = sorted(p.name for p in (project / REPORT).iterdir())
    assert "replicates.csv" not in names and not [n for n in names if n.startswith("sweep-")]
    assert "comparison.html" in names


def test_a_replicate_trained_on_a_gpu_node_joins_its_group(seeds_run, tmp_path):
    """A seed whose metrics.json says it trained on CUDA (as on a GPU node, with device: auto)
    is one group with its sibling: the report writes the replicates.csv the rule promised."""
    project = built_copy(seeds_run, tmp_path)
    path = project / "results/quick/models/gru_deep--seed-7/metrics.json"
    metrics = json.loads(path.read_text())
    assert metrics["device"] == "auto" and metrics["device_used"] == "cpu"
    path.write_text(json.dumps({**metrics, "device_used": "cuda", "device_name": "NVIDIA H200",
                                "cuda_graph_used": True}))
    result = snakemake(project, "all", "--forcerun", "report", *QUICK)
    assert result.returncode == 0, result.stderr[-3000:]
    replicates = pd.read_csv(project / REPORT / "replicates.csv")
    assert replicates["n"].tolist() == [2]
    assert "cuda (NVIDIA H200)" in (project / REPORT / "comparison.md").read_text()
