"""Reading the trained variants' metrics.json files: each is checked for the keys the report
needs (DataError names the file and the key), then put in the lab's order."""

from __future__ import annotations

import json
import math
from pathlib import Path

from rnnlab.config.lab import LAB_VARIANTS as VARIANT_ORDER
from rnnlab.config.sweeps import split_name
from rnnlab.errors import DataError

METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.json"  # rnnlab predict's greedy text, beside metrics.json
TEXT_KEYS = ("variant", "cell", "impl", "device")
NUMBER_KEYS = ("layers", "hidden", "lr", "epochs", "num_params", "train_perplexity",
               "train_seconds", "tokens_per_second")
# Keys older metrics.json files may lack; when present they must be numbers.
OPTIONAL_NUMBER_KEYS = ("val_perplexity", "best_val_perplexity", "best_epoch", "stopped_epoch",
                        "train_started", "train_ended", "seed", "test_perplexity")
# What the run used and its code's provenance, when recorded: text (or null).
OPTIONAL_TEXT_KEYS = ("device_used", "device_name", "rnnlab_version", "git_commit")
HISTORY_KEYS = ("epoch", "train_perplexity", "seconds")
OPTIONAL_HISTORY_KEYS = ("val_perplexity",)


def is_number(value) -> bool:
    """A finite int or float (JSON's NaN and Infinity are not numbers here)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _problems(metrics: dict) -> list[str]:
    """What is wrong with the keys the report reads, as 'key: why' (empty when all is well)."""
    problems = [f"{k}: {metrics[k]!r} is not text" for k in TEXT_KEYS
                if not isinstance(metrics[k], str)]
    problems += [f"{k}: {metrics[k]!r} is not a finite number" for k in NUMBER_KEYS
                 if not is_number(metrics[k])]
    problems += [f"{k}: {metrics[k]!r} is not a finite number" for k in OPTIONAL_NUMBER_KEYS
                 if metrics.get(k) is not None and not is_number(metrics[k])]
    problems += [f"{k}: {metrics[k]!r:.60} is not text" for k in OPTIONAL_TEXT_KEYS
                 if metrics.get(k) is not None and not isinstance(metrics[k], str)]
    if metrics.get("git_dirty") is not None and not isinstance(metrics["git_dirty"], bool):
        problems.append(f"git_dirty: {metrics['git_dirty']!r:.60} is not true or false")
    started, ended = metrics.get("train_started"), metrics.get("train_ended")
    if is_number(started) and is_number(ended) and ended < started:
        problems.append(f"train_ended: {ended!r} is before train_started {started!r}")
    history = metrics["history"]
    if not isinstance(history, list) or not history:
        problems.append(f"history: {history!r:.60} is not a non-empty list")
    else:
        for i, row in enumerate(history):
            if not isinstance(row, dict):
                problems.append(f"history[{i}]: {row!r:.60} is not an object")
                continue
            problems += [f"history[{i}].{k}: {row.get(k)!r:.60} is not a finite number"
                         for k in HISTORY_KEYS if not is_number(row.get(k))]
            problems += [f"history[{i}].{k}: {row[k]!r:.60} is not a finite number"
                         for k in OPTIONAL_HISTORY_KEYS
                         if row.get(k) is not None and not is_number(row[k])]
    predictions = metrics.get("predictions")
    if predictions is not None and not (isinstance(predictions, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in predictions.items())):
        problems.append(f"predictions: {predictions!r:.60} does not map prefixes to texts")
    return problems


def read_metrics(path: str | Path) -> dict:
    """One metrics.json, checked for the keys the report needs; a DataError of one line names
    the file and the first bad key."""
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
    predictions = path.parent / PREDICTIONS_FILE
    if predictions.exists():
        try:
            metrics["predictions"] = json.loads(predictions.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise DataError(f"cannot read {str(predictions)!r}: {err}") from err
    problems = _problems(metrics)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DataError(f"{str(path)!r} has a bad value: {problems[0]}{more}".replace("\n", " "))
    return metrics


def order(metrics: dict) -> tuple:
    """The sort key of a variant: the lab's order first, other names alphabetically, and a
    generated variant (<base>--<key>-<value>) right after its base."""
    name = metrics["variant"]
    base = split_name(name)[0]
    return (VARIANT_ORDER.index(base) if base in VARIANT_ORDER else len(VARIANT_ORDER), base,
            name)


def load_metrics(models_dir: str | Path, variants: list[str] | None = None) -> list[dict]:
    """The metrics of every ``models_dir/*/metrics.json`` (or only ``variants``), in the lab's order
    (rnnlab.config.lab), other names alphabetically after it."""
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
