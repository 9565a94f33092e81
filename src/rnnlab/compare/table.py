"""The comparison of two sides as rows: per replicate group (a variant, or the seeds of one
setting), each result on both sides with its change, Welch's t-test where both sides have
replicates, and the settings that differ; as numbers (compare.csv) and as Markdown."""

from __future__ import annotations

import math
from pathlib import Path

from rnnlab.compare.sides import Side
from rnnlab.fileio import atomic_write_text
from rnnlab.report.formats import ppl
from rnnlab.report.markdown import text
from rnnlab.report.metrics import order
from rnnlab.report.stats import Group, replicate_groups, values_of, welch_p

# The results compared, with their headers and how a value reads.
RESULTS = (("best_val_perplexity", "best held-out ppl", ppl),
           ("test_perplexity", "test ppl", ppl),
           ("train_perplexity", "train ppl", ppl),
           ("tokens_per_second", "tokens/s", "{:,.0f}".format))
PRESENCE = {(True, True): "both", (True, False): "A only", (False, True): "B only"}


def columns() -> list[str]:
    """The columns of compare.csv."""
    per_result = [f"{key}_{part}" for key, _, _ in RESULTS
                  for part in ("a", "b", "change", "change_pct", "welch_p")]
    return ["variant", "present", "n_a", "n_b", *per_result, "settings_differ"]


def _mean(group: Group | None, key: str) -> tuple[float | None, list[float] | None]:
    values = values_of(group, key) if group is not None else None
    return (math.fsum(values) / len(values) if values else None), values


def _result_cells(key: str, a: Group | None, b: Group | None) -> dict:
    (mean_a, values_a), (mean_b, values_b) = _mean(a, key), _mean(b, key)
    both = mean_a is not None and mean_b is not None
    replicated = both and len(values_a) >= 2 and len(values_b) >= 2
    return {f"{key}_a": mean_a, f"{key}_b": mean_b,
            f"{key}_change": mean_b - mean_a if both else None,
            f"{key}_change_pct": 100 * (mean_b - mean_a) / mean_a if both and mean_a else None,
            f"{key}_welch_p": welch_p(values_a, values_b) if replicated else None}


def _setting(value) -> str:
    """A setting as it reads in the config: 2 for 2.0 (comparison.csv stores lr as a float)."""
    is_float = isinstance(value, float) and value.is_integer()
    return str(int(value)) if is_float else str(value)


def settings_differ(a: Group, b: Group, keys: list[str]) -> str:
    """'key: A value -> B value' for each setting that differs between the groups' first
    members ('' when none does)."""
    run_a, run_b = a.members[0], b.members[0]
    return "; ".join(f"{key}: {_setting(run_a[key])} -> {_setting(run_b[key])}" for key in keys
                     if key in run_a and key in run_b and run_a[key] != run_b[key])


def compare_rows(side_a: Side, side_b: Side) -> list[dict]:
    """One row per group found on either side (see columns()): A's order, then the groups
    only B has, each where the report would put it."""
    groups_a = {g.name: g for g in replicate_groups(side_a.runs)}
    groups_b = {g.name: g for g in replicate_groups(side_b.runs)}
    names = list(groups_a) + sorted((name for name in groups_b if name not in groups_a),
                                    key=lambda name: order({"variant": name}))
    keys = [key for key in side_a.settings if key in side_b.settings]
    rows = []
    for name in names:
        a, b = groups_a.get(name), groups_b.get(name)
        row = {"variant": name, "present": PRESENCE[a is not None, b is not None],
               "n_a": a.n if a else 0, "n_b": b.n if b else 0}
        for key, _, _ in RESULTS:
            row.update(_result_cells(key, a, b))
        row["settings_differ"] = settings_differ(a, b, keys) if a and b else ""
        rows.append(row)
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    import pandas as pd

    return atomic_write_text(path, pd.DataFrame(rows, columns=columns()).to_csv(index=False))


def _change_text(row: dict, key: str, fmt) -> str:
    a, b, pct = row[f"{key}_a"], row[f"{key}_b"], row[f"{key}_change_pct"]
    shown = f"{'-' if a is None else fmt(a)} → {'-' if b is None else fmt(b)}"
    return shown + (f" ({pct:+.1f}%)" if pct is not None else "")


def _shown_results(rows: list[dict]) -> list[tuple]:
    """RESULTS without those no variant has on either side."""
    return [result for result in RESULTS
            if any(row[f"{result[0]}_a"] is not None or row[f"{result[0]}_b"] is not None
                   for row in rows)]


def markdown_table(rows: list[dict]) -> list[str]:
    """The comparison as Markdown lines: 'A → B (change)' per result, a Welch p column after
    each result where some variant is replicated on both sides. Names and settings are escaped
    as comparison.md escapes them (a comparison.csv side may hold any text)."""
    shown = _shown_results(rows)
    tested = {key for key, _, _ in shown if any(row[f"{key}_welch_p"] is not None
                                                  for row in rows)}
    headers = ["variant", "in", "n (A/B)"]
    for key, header, _ in shown:
        headers += [f"{header} A → B", *(["Welch p"] if key in tested else [])]
    headers.append("settings that differ (A -> B)")
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join(["---", "---", "---:", *(["---:"] * (len(headers) - 4)), "---"])
             + "|"]
    for row in rows:
        cells = [text(row["variant"]), row["present"], f"{row['n_a']}/{row['n_b']}"]
        for key, _, fmt in shown:
            cells.append(_change_text(row, key, fmt))
            if key in tested:
                p = row[f"{key}_welch_p"]
                cells.append("n/a" if p is None else f"{p:.3g}")
        # The arrow stays as it is: with every '<' escaped, a '>' alone is no markup.
        differ = text(row["settings_differ"]).replace(" -&gt; ", " -> ") or "none"
        cells.append(differ if row["present"] == "both" else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return lines
