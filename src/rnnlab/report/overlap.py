"""Did the training jobs share the machine? Each metrics.json records when its training started
and ended (``train_started``, ``train_ended``, UNIX seconds). A job whose training overlapped
another's measured its speed on a shared machine, so the report says so beside every speed
figure and answer, and points to the clean measurement."""

from __future__ import annotations

from rnnlab.report.metrics import is_number

BENCHMARK = "benchmarks/throughput.py"


def _interval(metrics: dict) -> tuple[float, float] | None:
    started, ended = metrics.get("train_started"), metrics.get("train_ended")
    return (started, ended) if is_number(started) and is_number(ended) else None


def _covered(spans: list[tuple[float, float]]) -> float:
    """The length of the union of ``spans``."""
    total, reach = 0.0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


def overlap_fractions(runs: list[dict]) -> dict[str, float | None]:
    """Per variant, the share of its training time during which any other job trained too:
    0 (alone) to 1 (never alone); None when a time is not recorded (older metrics.json)."""
    intervals = {m["variant"]: _interval(m) for m in runs}
    fractions: dict[str, float | None] = {}
    for name, own in intervals.items():
        if own is None:
            fractions[name] = None
            continue
        others = [span for other, span in intervals.items() if other != name and span]
        shared = [(max(own[0], s), min(own[1], e)) for s, e in others
                  if min(own[1], e) > max(own[0], s)]
        duration = own[1] - own[0]
        fractions[name] = _covered(shared) / duration if duration > 0 else 0.0
    return fractions


def percent(fraction: float | None) -> str:
    """'80%', 'none' or 'unknown' for the table."""
    if fraction is None:
        return "unknown"
    return "none" if fraction == 0 else f"{max(round(100 * fraction), 1)}%"


def overlapped(names: list[str], fractions: dict[str, float | None]) -> bool:
    return any(fractions.get(name) for name in names)


def caveat(names: list[str], fractions: dict[str, float | None]) -> str:
    """The note beside a speed figure of ``names``: empty when each trained alone, else how
    much each overlapped other jobs (or that it is not recorded) and where to measure cleanly."""
    known = {name: fractions.get(name) for name in names}
    shared = [f"{name} {percent(f)}" for name, f in known.items() if f]
    unknown = [name for name, f in known.items() if f is None]
    if len(shared) > 3:  # a long list hides the point: say how many and the most
        worst = max(f for f in known.values() if f)
        shared = [f"{len(shared)} of these {len(known)} runs, up to {percent(worst)}"]
    if shared:
        return ("this was measured while other training jobs ran on the same machine (share of "
                f"training time overlapped: {', '.join(shared)}); it is not a clean comparison: "
                f"run {BENCHMARK} for one")
    if unknown:
        who = " and ".join(unknown) if len(unknown) <= 2 else f"{len(unknown)} of these runs"
        return (f"when {who} trained is not recorded, so other jobs may have shared the "
                f"machine; run {BENCHMARK} for a clean comparison")
    return ""


def summary(runs: list[dict], fractions: dict[str, float | None]) -> str:
    """One sentence for the report's header about overlap over all variants."""
    shared = [m["variant"] for m in runs if fractions.get(m["variant"])]
    unknown = [m["variant"] for m in runs if fractions.get(m["variant"]) is None]
    if shared:
        worst = max(fractions[name] for name in shared)
        return (f"Training jobs overlapped: {len(shared)} of {len(runs)} variants trained while "
                f"another job trained too (up to {percent(worst)} of a job's training time), so "
                f"their speeds are not a clean comparison; {BENCHMARK} measures one model at "
                "a time.")
    if unknown:
        return (f"Whether training jobs overlapped is not recorded for {len(unknown)} of "
                f"{len(runs)} variants (no train_started/train_ended in metrics.json); "
                f"{BENCHMARK} measures one model at a time.")
    return "Every variant trained alone: no training job overlapped another."
