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


def devices(runs: list[dict]) -> str:
    """The devices the runs trained on, with their names where known."""
    names = {m["device"] if m.get("device_name") in (None, m["device"])
             else f"{m['device']} ({m['device_name']})" for m in runs}
    return ", ".join(sorted(names))
