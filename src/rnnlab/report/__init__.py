"""``rnnlab report``: read every ``<models>/*/metrics.json`` and write the comparison of the
variants: comparison.csv, comparison.md and comparison.html (a table, then the lab's questions
answered from the measured numbers, then the figures), perplexity.png, gru_vs_lstm.png and
speed.png; with replicates (variants that differ only in seed) replicates.csv; with sweeps one
sweep-<name>.png each. Which files, rnnlab.report.outputs decides for the rule and the command
alike, and a report removes its own kinds of file that it did not write this time.

The package is split by concept: outputs (which files), metrics (reading and checking
metrics.json), overlap (did the jobs share the machine), stats (replicate groups, confidence
intervals, Welch's t-test), tables (the comparison table), answers (the lab's questions),
figures and sweeps (the PNGs), markdown and html (the two documents) and formats (how numbers
read). pandas, matplotlib, scipy and jinja2 are imported only when a report is built, so
importing it is fast."""

from __future__ import annotations

from pathlib import Path

from rnnlab.fileio import atomic_write_text
from rnnlab.report import figures, sweeps
from rnnlab.report.answers import answer_questions, deep_pair, representative
from rnnlab.report.formats import code_versions, devices
from rnnlab.report.html import render_html
from rnnlab.report.markdown import render_markdown
from rnnlab.report.metrics import VARIANT_ORDER, load_metrics, read_metrics
from rnnlab.report.outputs import OUTPUTS, REPLICATES, remove_stale, report_files
from rnnlab.report.overlap import overlap_fractions, overlapped, summary
from rnnlab.report.stats import replicate_groups, replicates_rows, write_replicates
from rnnlab.report.tables import COLUMNS, prediction_prefix, summary_row, write_csv

__all__ = ["COLUMNS", "OUTPUTS", "REPLICATES", "VARIANT_ORDER", "build_report", "load_metrics",
           "read_metrics", "report_files"]


def _context(runs: list[dict], models_dir) -> str:
    versions = sorted({str(m["torch_version"]) for m in runs if m.get("torch_version")})
    code = code_versions(runs)
    return (f"Models: {models_dir}. Device(s): {devices(runs)}. "
            f"torch {', '.join(versions) or 'version unknown'}." + (f" {code}." if code else ""))


def build_report(models_dir: str | Path, out_dir: str | Path,
                 variants: list[str] | None = None, sweep_specs: dict | None = None) -> dict:
    """Read ``models_dir/*/metrics.json`` (only ``variants`` if given) and write
    ``report_files`` of them under ``out_dir``, each atomically: OUTPUTS, REPLICATES when some
    variants differ only in seed and a sweep-<name>.png per entry of ``sweep_specs`` (the
    config's ``sweeps:``); then remove the report's files of an earlier run that this one did
    not write. Returns {variants, groups, rows, answers, files, removed}."""
    sweep_specs = sweeps.check_sweeps(sweep_specs or {})
    runs = load_metrics(models_dir, variants)
    fractions = overlap_fractions(runs)
    groups = replicate_groups(runs)
    prefix = prediction_prefix(runs)
    names = [m["variant"] for m in runs]
    report = {
        "title": f"rnnlab: comparison of {len(runs)} variant{'s' if len(runs) != 1 else ''}",
        "context": _context(runs, models_dir), "prefix": prefix,
        "overlap": summary(runs, fractions), "overlapped": overlapped(names, fractions),
        "rows": [summary_row(m, prefix, fractions[m["variant"]]) for m in runs],
        "groups": groups, "replicates": replicates_rows(groups), "sweeps": list(sweep_specs),
        "answers": answer_questions(runs, fractions, groups),
    }
    out = Path(out_dir)
    reps = [representative(group) for group in groups]
    pngs = [figures.plot_perplexity(groups, out / "perplexity.png"),
            figures.plot_gru_vs_lstm(*deep_pair(reps), out / "gru_vs_lstm.png", fractions),
            figures.plot_speed(groups, out / "speed.png", fractions),
            *(sweeps.plot_sweep(name, spec, runs, groups, out / f"sweep-{name}.png")
              for name, spec in sweep_specs.items())]
    files = [write_csv(report["rows"], out / "comparison.csv"),
             atomic_write_text(out / "comparison.md", render_markdown(report)),
             atomic_write_text(out / "comparison.html", render_html(report, pngs)), *pngs]
    if report["replicates"]:
        files.append(write_replicates(groups, out / REPLICATES))
    written = [path.name for path in files]
    assert sorted(written) == sorted(report_files(runs, sweep_specs)), written
    return {"variants": names, "groups": groups, "rows": report["rows"],
            "answers": report["answers"], "files": files, "removed": remove_stale(out, written)}
