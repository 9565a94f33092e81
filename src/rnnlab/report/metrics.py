"""Reading the trained variants' metrics.json files: each is checked for the keys the report
needs (DataError names the file and the key), then put in the lab's order."""

from __future__ import annotations

import json
import math
from pathlib import Path

from rnnlab.errors import DataError

METRICS_FILE = "metrics.json"
# The order of the lab's variants in DESIGN.md; other names follow alphabetically.
VARIANT_ORDER = ("rnn_scratch", "rnn_scratch_random", "rnn_concise", "rnn_deep", "gru_scratch",
                 "gru_concise", "lstm_scratch", "lstm_concise", "lstm_deep", "gru_deep")
TEXT_KEYS = ("variant", "cell", "impl", "device")
NUMBER_KEYS = ("layers", "hidden", "lr", "epochs", "num_params", "train_perplexity",
               "train_seconds", "tokens_per_second")
OPTIONAL_NUMBER_KEYS = ("val_perplexity", "best_val_perplexity")
HISTORY_KEYS = ("epoch", "train_perplexity", "seconds")


def is_number(value) -> bool:
    """A finite int or float (JSON's NaN and Infinity are not numbers here)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def read_metrics(path: str | Path) -> dict:
    """One metrics.json, checked for the keys the report needs; DataError names the file."""
    path = Path(path)
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise DataError(f"cannot read {str(path)!r}: {err}") from err
    if not isinstance(metrics, dict):
        raise DataError(f"{str(path)!r} is not a JSON object")
    missing = [k for k in (*TEXT_KEYS, *NUMBER_KEYS, "history") if k not in metrics]
    if missing:
        raise DataError(f"{str(path)!r} lacks the key(s) {', '.join(missing)}")
    bad = [k for k in TEXT_KEYS if not isinstance(metrics[k], str)]
    bad += [k for k in NUMBER_KEYS if not is_number(metrics[k])]
    bad += [k for k in OPTIONAL_NUMBER_KEYS
            if metrics.get(k) is not None and not is_number(metrics[k])]
    history = metrics["history"]
    if not (isinstance(history, list) and history and all(
            isinstance(row, dict) and all(is_number(row.get(k)) for k in HISTORY_KEYS)
            for row in history)):
        bad.append("history (a non-empty list of {epoch, train_perplexity, seconds})")
    if bad:
        raise DataError(f"{str(path)!r} has bad value(s) for {', '.join(bad)}")
    return metrics


def order(metrics: dict) -> tuple:
    """The sort key of a variant: DESIGN.md's table first, other names alphabetically."""
    name = metrics["variant"]
    return (VARIANT_ORDER.index(name) if name in VARIANT_ORDER else len(VARIANT_ORDER), name)


def load_metrics(models_dir: str | Path, variants: list[str] | None = None) -> list[dict]:
    """The metrics of every ``models_dir/*/metrics.json`` (or only ``variants``), in the order of
    DESIGN.md's table, other names alphabetically after it."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        raise DataError(f"models directory {str(models_dir)!r} does not exist")
    paths = sorted(models_dir.glob(f"*/{METRICS_FILE}"))
    if variants:
        paths = [p for p in paths if p.parent.name in variants]
        missing = sorted(set(variants) - {p.parent.name for p in paths})
        if missing:
            raise DataError(f"no {METRICS_FILE} for variant(s) {', '.join(missing)} "
                            f"in {str(models_dir)!r}")
    if not paths:
        raise DataError(f"no */{METRICS_FILE} found in {str(models_dir)!r} (train a variant first)")
    return sorted((read_metrics(p) for p in paths), key=order)
