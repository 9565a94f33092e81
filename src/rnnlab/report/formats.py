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
