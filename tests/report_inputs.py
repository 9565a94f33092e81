"""Input data for the report's tests: metrics.json files as training writes them, with
numbers chosen by the test, and small helpers to build a report of them."""

import json
from pathlib import Path

import yaml

from rnnlab.report import OUTPUTS, build_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNGS = [name for name in OUTPUTS if name.endswith(".png")]
ROOT = Path(__file__).resolve().parents[1]


def lab_variants() -> dict:
    """The lab's variants as config.yaml defines them: name -> (cell, impl, layers, hidden, lr)."""
    variants = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["variants"]
    return {name: (v["cell"], v["impl"], v.get("layers", 1), v["hidden"], v["lr"])
            for name, v in variants.items()}


LAB = lab_variants()


def fake_metrics(variant, *, start=25.0, end=1.2, val=4.0, tps=10_000.0, epochs=20,
                 sampling=None, predictions=None, started=None, **settings):
    """A metrics.json as rnnlab.training writes it, with a geometric training curve. Each variant
    trains alone (its own hour after 2026-01-01) unless ``started`` says otherwise."""
    cell, impl, layers, hidden, lr = LAB.get(variant, ("gru", "torch", 1, 64, 1))
    history, tokens = [], 8960
    for epoch in range(1, epochs + 1):
        ppl = start * (end / start) ** ((epoch - 1) / max(epochs - 1, 1))
        row = {"epoch": epoch, "train_perplexity": ppl, "seconds": tokens / tps, "tokens": tokens}
        if val is not None and (epoch % 5 == 0 or epoch == epochs):
            row["val_perplexity"] = val + 0.1 * (epochs - epoch)
        history.append(row)
    metrics = {
        "variant": variant, "cell": cell, "impl": impl, "layers": layers, "hidden": hidden,
        "lr": lr, "epochs": epochs, "batch_size": 32, "num_steps": 35,
        "sampling": sampling or ("random" if variant.endswith("random") else "sequential"),
        "seed": 0, "device": "cpu", "device_name": "cpu", "torch_version": "9.9.9-test",
        "token": "char", "train_tokens": 10000, "val_tokens": 10000, "num_params": 1000 * hidden,
        "train_perplexity": history[-1]["train_perplexity"], "val_perplexity": val,
        "best_val_perplexity": val, "train_seconds": epochs * tokens / tps,
        "tokens_per_second": tps, "history": history,
        "best_epoch": epochs if val is not None else None, "stopped_epoch": epochs,
        "train_started": started if started is not None else _hour(variant),
        "train_ended": (started if started is not None else _hour(variant))
        + epochs * tokens / tps,
        "predictions": predictions or {"time traveller": f"time traveller {variant}",
                                       "traveller": "traveller x"},
    }
    return {**metrics, **settings}


HOURS: dict[str, int] = {}


def _hour(variant: str) -> float:
    """A start time an hour apart for each name, so that fake jobs never overlap."""
    return 1_767_225_600.0 + 3600 * HOURS.setdefault(variant, len(HOURS))


def write_models(root: Path, *runs: dict) -> Path:
    """Write each run's metrics.json under root/<variant>/ (input data for the report)."""
    for metrics in runs:
        (root / metrics["variant"]).mkdir(parents=True, exist_ok=True)
        (root / metrics["variant"] / "metrics.json").write_text(json.dumps(metrics))
    return root


def ten_runs(**overrides):
    """The ten lab variants with distinct numbers; ``overrides`` maps variant -> fake_metrics kw."""
    runs = []
    for i, variant in enumerate(LAB):
        kw = {"tps": 10_000.0 + 1000 * i, "end": 1.1 + 0.01 * i, "val": 4.0 + 0.1 * i}
        runs.append(fake_metrics(variant, **{**kw, **overrides.get(variant, {})}))
    return runs


def md_of(tmp_path, *runs, **kwargs) -> str:
    build_report(write_models(tmp_path / "models", *runs), tmp_path / "report", **kwargs)
    return (tmp_path / "report" / "comparison.md").read_text()


def seeds(variant, values, **kw):
    """``variant`` and its generated replicates <variant>--seed-<s>, one final training
    perplexity (and best held-out) per value."""
    runs = []
    for i, value in enumerate(values):
        name = variant if i == 0 else f"{variant}--seed-{i}"
        runs.append(fake_metrics(name, **{"end": value, "val": value + 3, **kw}, seed=i,
                                 **({"cell": LAB[variant][0], "impl": LAB[variant][1],
                                     "layers": LAB[variant][2], "hidden": LAB[variant][3],
                                     "lr": LAB[variant][4]} if i else {})))
    return runs


def tick_texts(fig) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for ax in fig.axes for t in ax.get_yticklabels(which="both")]


def md_table(md: str) -> list[dict]:
    """The rows of the Markdown table in ``md`` as {header: cell text}, cells stripped of the
    padding that aligns the columns."""
    import re

    lines = [line for line in md.splitlines() if line.startswith("|")]

    def cells(line):
        return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]

    headers = cells(lines[0])
    return [dict(zip(headers, cells(line), strict=True)) for line in lines[2:]]
