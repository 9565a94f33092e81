"""One side of a comparison: a results folder (its ``models/*/metrics.json``, else its
``report/comparison.csv``), a models folder, or a comparison.csv file, read as one dict per
variant with the settings and results the comparison shows."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rnnlab.errors import DataError
from rnnlab.report.metrics import METRICS_FILE, is_number, load_metrics, order
from rnnlab.report.stats import setting_keys

COMPARISON_CSV = "comparison.csv"
# The settings comparison.csv holds (the report writes them before the results).
CSV_SETTINGS = ("cell", "impl", "layers", "hidden", "lr", "sampling", "epochs")
CSV_NUMBERS = ("layers", "hidden", "lr", "epochs", "train_perplexity", "best_val_perplexity",
               "test_perplexity", "tokens_per_second")
CSV_REQUIRED = ("variant", "train_perplexity", "tokens_per_second")


@dataclass
class Side:
    """What one side holds: ``runs`` (one dict per variant, the report's order), where they
    were read from, and the names of the settings its runs carry."""

    path: Path
    source: Path
    runs: list[dict]
    settings: tuple[str, ...]


def _number(text: str, path: Path, line: int, column: str):
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{str(path)!r} line {line}: {column} {text!r} is not a number") \
            from None
    return int(value) if value.is_integer() and column in ("layers", "hidden", "epochs") \
        else value


def read_comparison_csv(path: Path) -> list[dict]:
    """The rows of a comparison.csv the report wrote, numbers as numbers; a DataError names the
    file and what is missing or bad."""
    try:
        with path.open(encoding="utf-8", newline="") as file:
            reader = csv.DictReader(file)
            rows = list(reader)
            columns = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise DataError(f"cannot read {str(path)!r}: {err}") from err
    missing = [column for column in CSV_REQUIRED if column not in columns]
    if missing:
        raise DataError(f"{str(path)!r} is not a comparison.csv of rnnlab report: it lacks the "
                        f"column(s) {', '.join(missing)}")
    if not rows:
        raise DataError(f"{str(path)!r} has no variants")
    runs = []
    for line, row in enumerate(rows, start=2):
        run = {key: row[key] for key in ("variant", *CSV_SETTINGS) if key in row}
        run.update({key: _number(row[key], path, line, key) for key in CSV_NUMBERS
                    if key in row})
        for key in CSV_REQUIRED[1:]:
            if not is_number(run[key]):
                raise DataError(f"{str(path)!r} line {line}: {key} is missing")
        runs.append(run)
    return runs


def load_side(path: str | Path) -> Side:
    """Read one side; a DataError of one line when ``path`` holds no results."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{str(path)!r} does not exist (give a results folder or a "
                        f"{COMPARISON_CSV})")
    if path.is_file():
        if path.suffix != ".csv":
            raise DataError(f"{str(path)!r} is neither a results folder nor a {COMPARISON_CSV}")
        return Side(path, path, sorted(read_comparison_csv(path), key=order), CSV_SETTINGS)
    for models in (path / "models", path):
        if any(models.glob(f"*/{METRICS_FILE}")):
            return Side(path, models, load_metrics(models), tuple(sorted(setting_keys())))
    report_csv = path / "report" / COMPARISON_CSV
    for candidate in (report_csv, path / COMPARISON_CSV):
        if candidate.is_file():
            return Side(path, candidate, sorted(read_comparison_csv(candidate), key=order),
                        CSV_SETTINGS)
    raise DataError(f"{str(path)!r} holds no results: neither models/*/{METRICS_FILE} nor "
                    f"report/{COMPARISON_CSV} (train and report into it first)")
