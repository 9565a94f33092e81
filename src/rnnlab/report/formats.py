"""How numbers read in the report's text and tables."""

from __future__ import annotations


def ppl(value) -> str:
    """A perplexity with two decimals, or n/a."""
    return "n/a" if value is None else f"{value:.2f}"


def tps(metrics: dict) -> str:
    """Training tokens per second with thousands separators."""
    return f"{metrics['tokens_per_second']:,.0f}"


def layers(metrics: dict) -> str:
    """'1 layer', '2 layers'."""
    return f"{metrics['layers']} layer{'s' if metrics['layers'] != 1 else ''}"


def used_device(metrics: dict) -> str:
    """The device a run trained on: ``device_used`` where metrics.json records it apart from the
    asked-for ``device`` (which may be ``auto``), else ``device``."""
    used = metrics.get("device_used")
    return used if isinstance(used, str) else metrics["device"]


def devices(runs: list[dict]) -> str:
    """The devices the runs trained on, with their names where known."""
    names = set()
    for metrics in runs:
        used, name = used_device(metrics), metrics.get("device_name")
        names.add(used if name in (None, used) else f"{used} ({name})")
    return ", ".join(sorted(names))


def code_versions(runs: list[dict]) -> str | None:
    """The rnnlab version and git commit the runs trained with, as their metrics.json record
    them ('rnnlab 0.1.0 at commit 1a2b3c4d5e6f with uncommitted changes'; several joined by
    '; '), or None when no run records it."""
    seen = []
    for metrics in runs:
        version, commit = metrics.get("rnnlab_version"), metrics.get("git_commit")
        if version is None and commit is None:
            continue
        text = f"rnnlab {version or 'version unknown'}"
        if commit:
            text += f" at commit {commit[:12]}"
            text += " with uncommitted changes" if metrics.get("git_dirty") else ""
        seen.append(text)
    if not seen:
        return None
    unrecorded = len(runs) - len(seen)
    return "; ".join(dict.fromkeys(seen)) + (
        f" (not recorded for {unrecorded} of {len(runs)} variants)" if unrecorded else "")
