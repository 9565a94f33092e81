"""Tests of rnnlab.report.outputs: which files a report writes, the same answer from resolved
settings and from metrics.json, and no file of an earlier report left beside a new one."""

import pytest
from helpers import tiny_config
from report_inputs import fake_metrics, seeds, write_models

from rnnlab.config import resolve_variant, validate_config
from rnnlab.report import OUTPUTS, REPLICATES, build_report, report_files
from rnnlab.report.outputs import remove_stale


def test_report_files_follow_replicates_and_sweeps():
    """OUTPUTS always; replicates.csv only when some variants differ only in seed; one
    sweep-<name>.png per sweep."""
    config = tiny_config()
    config["sweeps"] = {"seeds": {"base": ["gru"], "grid": {"seed": [1, 2]}}}
    config = validate_config(config)
    resolved = [resolve_variant(config, name) for name in config["variants"]]
    singles = [s for s in resolved if "--" not in s["variant"]]
    assert report_files(singles, []) == list(OUTPUTS)
    assert report_files(resolved, ["seeds"]) == [*OUTPUTS, REPLICATES, "sweep-seeds.png"]


@pytest.mark.parametrize("asked, used", [("auto", "cuda"), ("cpu", "cuda")])
def test_a_replicate_on_another_device_joins_its_group(asked, used, tmp_path, no_plots):
    """A seed that trained on a GPU node (its metrics.json records another device) is one group
    with its siblings, as the rule's resolved settings say, so replicates.csv is written."""
    runs = seeds("gru_deep", [1.0, 1.2, 1.1], device=asked)
    runs[1].update(device=used, device_name="NVIDIA H200", cuda_graph=False)
    settings = [{**metrics, "device": asked} for metrics in runs]
    summary = build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    assert [g.n for g in summary["groups"]] == [3]
    assert sorted(p.name for p in summary["files"]) == sorted(report_files(settings, []))
    assert (tmp_path / "report" / REPLICATES).exists()


def test_a_second_report_removes_the_files_of_the_first(tmp_path, no_plots):
    """A report of other variants removes the replicates.csv and sweep figure of the earlier
    one, and leaves files that are not the report's alone."""
    models = write_models(tmp_path / "models", *seeds("gru_deep", [1.0, 1.2]),
                          fake_metrics("lstm_deep"))
    specs = {"seeds": {"base": ["gru_deep"], "grid": {"seed": [1]}}}
    out = tmp_path / "report"
    build_report(models, out, sweep_specs=specs)
    assert {REPLICATES, "sweep-seeds.png"} <= {p.name for p in out.iterdir()}
    (out / "notes.txt").write_text("mine")
    (out / "sweep-keep").mkdir()
    summary = build_report(models, out, variants=["gru_deep", "lstm_deep"])
    assert sorted(p.name for p in summary["removed"]) == [REPLICATES, "sweep-seeds.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, "notes.txt",
                                                            "sweep-keep"])


def test_remove_stale_keeps_what_was_written(tmp_path):
    """remove_stale deletes only the report's kinds of file that are not in ``written``."""
    for name in ("comparison.md", "sweep-a.png", "sweep-b.png", "report.html"):
        (tmp_path / name).write_text("x")
    removed = remove_stale(tmp_path, ["comparison.md", "sweep-a.png"])
    assert removed == [tmp_path / "sweep-b.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["comparison.md", "report.html",
                                                          "sweep-a.png"]
