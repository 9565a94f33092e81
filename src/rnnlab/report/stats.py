"""Replicates and significance. Variants whose settings differ only in ``seed`` form a group
named after the base (the variant name without its ``--seed-<value>`` segment). Each group gets
n, mean, sample standard deviation and a t-based 95% confidence interval of the key results,
and two groups are compared with Welch's t-test. scipy and pandas are imported only here."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rnnlab.config.resolve import RUN_ONLY_KEYS
from rnnlab.report.metrics import is_number

RESULT_KEYS = ("train_perplexity", "best_val_perplexity", "test_perplexity",
               "tokens_per_second")
# Results only some runs have (a test split): summarised only where a run has them.
OPTIONAL_RESULT_KEYS = ("test_perplexity",)
SIGNIFICANCE = 0.05


def group_name(variant: str) -> str:
    """The variant name with any ``--seed-<value>`` segment removed: gru_deep--seed-3 ->
    gru_deep, rnn_scratch--hidden-64--seed-2 -> rnn_scratch--hidden-64."""
    from rnnlab.config.sweeps import join_name, segment_key, split_name

    base, segments = split_name(variant)
    return join_name(base, (s for s in segments if segment_key(s) != "seed"))


# Settings that say where and how a job runs, not what it computes: replicates that differ in
# them are one group (a seed trained on a GPU node joins its CPU siblings), as the rules
# retrain nothing for them.
HOW_IT_RUNS = frozenset(RUN_ONLY_KEYS)


@cache
def setting_keys() -> frozenset:
    """The keys of a variant's settings (metrics.json or resolved config) that decide what it
    computes: the fields of rnnlab.training.Settings but its name, the seed and those of
    HOW_IT_RUNS."""
    from rnnlab.training.settings import KEYS

    return frozenset(KEYS) - {"variant", "seed"} - HOW_IT_RUNS


def same_settings(a: dict, b: dict) -> bool:
    """Whether two variants' settings (metrics.json or resolved config) differ at most in seed."""
    return all(a.get(key) == b.get(key) for key in setting_keys())


@dataclass
class Group:
    """Replicates of one setting: ``members`` in the report's order, the base first if
    present."""

    name: str
    members: list[dict] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.members)

    @property
    def variants(self) -> list[str]:
        return [m["variant"] for m in self.members]


def replicate_groups(runs: list[dict]) -> list[Group]:
    """Every variant in one group: those that share a group name and differ only in seed go
    together (the order of first appearance); a variant whose settings differ from its name's
    group forms a group of its own, under its own name."""
    groups: list[Group] = []
    by_name: dict[str, Group] = {}
    for metrics in runs:
        name = group_name(metrics["variant"])
        group = by_name.get(name)
        if group is not None and same_settings(group.members[0], metrics):
            group.members.append(metrics)
            continue
        group = Group(name if group is None else metrics["variant"], [metrics])
        by_name.setdefault(name, group)
        groups.append(group)
    for group in groups:  # the base variant (named like the group) leads
        group.members.sort(key=lambda m, g=group: m["variant"] != g.name)
    return groups


def has_replicates(settings: list[dict]) -> bool:
    """Whether any group of these variants' settings (resolved config or metrics.json) has two
    members or more: the report then writes replicates.csv."""
    return any(group.n >= 2 for group in replicate_groups(settings))


@dataclass(frozen=True)
class Summary:
    """n, mean, sample standard deviation and the half-width of the t-based 95% confidence
    interval of the mean (std and ci95 are None for n = 1)."""

    n: int
    mean: float
    std: float | None
    ci95: float | None


def summarise(values: list[float]) -> Summary:
    from scipy import stats

    n = len(values)
    mean = math.fsum(values) / n
    if n < 2:
        return Summary(n, mean, None, None)
    std = statistics.stdev(values)  # the sample standard deviation, n - 1 in the denominator
    return Summary(n, mean, std, float(stats.t.ppf(0.975, n - 1) * std / math.sqrt(n)))


def values_of(group: Group, key: str) -> list[float] | None:
    """The members' values of ``key``, or None when any member lacks it."""
    values = [m.get(key) for m in group.members]
    return values if all(is_number(v) for v in values) else None


def welch_p(a: list[float], b: list[float]) -> float | None:
    """The two-sided p-value of Welch's t-test, or None when it is undefined (no spread in
    either group)."""
    from scipy import stats

    if statistics.stdev(a) == 0 and statistics.stdev(b) == 0:
        return None  # scipy would answer 0 or NaN; the t statistic has no spread to scale by
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def result_keys(groups: list[Group]) -> list[str]:
    """RESULT_KEYS without the optional results no run of ``groups`` has."""
    return [key for key in RESULT_KEYS if key not in OPTIONAL_RESULT_KEYS
            or any(is_number(m.get(key)) for group in groups for m in group.members)]


def replicates_rows(groups: list[Group]) -> list[dict]:
    """One row per group with two members or more: group, n and, per result (test perplexity
    only where runs have it), <key>_mean, <key>_std and <key>_ci95."""
    rows = []
    keys = result_keys(groups)
    for group in groups:
        if group.n < 2:
            continue
        row = {"group": group.name, "n": group.n}
        for key in keys:
            values = values_of(group, key)
            summary = summarise(values) if values else None
            row.update({f"{key}_{part}": getattr(summary, part) if summary else None
                        for part in ("mean", "std", "ci95")})
        rows.append(row)
    return rows


def write_replicates(groups: list[Group], path: Path) -> Path:
    """replicates.csv of the groups with two members or more, written atomically."""
    import pandas as pd

    from rnnlab.fileio import atomic_write_text

    columns = ["group", "n", *(f"{key}_{part}" for key in result_keys(groups)
                               for part in ("mean", "std", "ci95"))]
    frame = pd.DataFrame(replicates_rows(groups), columns=columns)
    return atomic_write_text(path, frame.to_csv(index=False))


def group_history(group: Group) -> tuple[list[dict], dict[str, dict]]:
    """The group's mean history over the epochs every member has, and for two members or more
    the 95% confidence band per key: ({epoch: (low, high)} for train_perplexity and
    val_perplexity). A group of one is its member's history without bands."""
    if group.n == 1:
        return group.members[0]["history"], {}
    rows_by_epoch = [{row["epoch"]: row for row in m["history"]} for m in group.members]
    epochs = sorted(set.intersection(*(set(rows) for rows in rows_by_epoch)))
    history, bands = [], {"train_perplexity": {}, "val_perplexity": {}}
    for epoch in epochs:
        rows = [by_epoch[epoch] for by_epoch in rows_by_epoch]
        mean_row = {"epoch": epoch}
        for key in ("train_perplexity", "val_perplexity", "seconds"):
            values = [row.get(key) for row in rows]
            if not all(is_number(v) for v in values):
                continue
            summary = summarise(values)
            mean_row[key] = summary.mean
            if key in bands:
                bands[key][epoch] = (summary.mean - summary.ci95, summary.mean + summary.ci95)
        history.append(mean_row)
    return history, bands
