"""What a report writes, decided in one place: the report rule declares ``report_files`` of the
selected variants' resolved settings as its outputs, and ``rnnlab report`` writes exactly
``report_files`` of the same variants' metrics.json, which hold those settings. The two agree
because replicates are grouped by the settings that decide what a job computes (see
rnnlab.report.stats), never by the device a run happened to use.

The report owns its files in its folder: a run removes those of its kinds (comparison.*, the
figures, replicates.csv, sweep-*.png) that it did not write this time, so nothing of an earlier
config stays beside the new report. Other files in the folder are left alone."""

from __future__ import annotations

from pathlib import Path

from rnnlab.report.stats import has_replicates

OUTPUTS = ("comparison.csv", "comparison.md", "comparison.html", "perplexity.png",
           "gru_vs_lstm.png", "speed.png")
REPLICATES = "replicates.csv"
SWEEP_PATTERN = "sweep-{name}.png"
# Every name a report may write; what matches and was not written this time is stale.
OWNED_PATTERNS = (*OUTPUTS, REPLICATES, SWEEP_PATTERN.format(name="*"))


def report_files(settings: list[dict], sweep_names) -> list[str]:
    """The names of the files a report of variants with these ``settings`` (resolved config or
    metrics.json) and these sweeps writes: OUTPUTS, REPLICATES when some variants differ only
    in seed, and one sweep figure per sweep."""
    files = list(OUTPUTS)
    if has_replicates(settings):
        files.append(REPLICATES)
    return files + [SWEEP_PATTERN.format(name=name) for name in sweep_names]


def remove_stale(out_dir: str | Path, written: list[str]) -> list[Path]:
    """Delete the files of ``out_dir`` that a report may write but this one did not (of an
    earlier config); returns them."""
    out_dir = Path(out_dir)
    stale = sorted({path for pattern in OWNED_PATTERNS for path in out_dir.glob(pattern)
                    if path.name not in written and path.is_file()})
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
