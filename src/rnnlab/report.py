"""``rnnlab report``: read every ``<models>/*/metrics.json`` and write the comparison of the
variants: comparison.csv and comparison.md (a table, then the lab's questions answered from the
measured numbers), perplexity.png, gru_vs_lstm.png and speed.png. pandas and matplotlib are
imported only when a report is built, so importing this module is fast."""

from __future__ import annotations

import json
import math
from itertools import accumulate
from pathlib import Path

from rnnlab.errors import DataError
from rnnlab.fileio import atomic_write_text
from rnnlab.plots import pyplot, save_figure

METRICS_FILE = "metrics.json"
OUTPUTS = ("comparison.csv", "comparison.md", "perplexity.png", "gru_vs_lstm.png", "speed.png")
# The order of the lab's variants in DESIGN.md; other names follow alphabetically.
VARIANT_ORDER = ("rnn_scratch", "rnn_scratch_random", "rnn_concise", "rnn_deep", "gru_scratch",
                 "gru_concise", "lstm_scratch", "lstm_concise", "lstm_deep", "gru_deep")
PREFIX = "time traveller"
TEXT_KEYS = ("variant", "cell", "impl", "device")
NUMBER_KEYS = ("layers", "hidden", "lr", "epochs", "num_params", "train_perplexity",
               "train_seconds", "tokens_per_second")
OPTIONAL_NUMBER_KEYS = ("val_perplexity", "best_val_perplexity")
HISTORY_KEYS = ("epoch", "train_perplexity", "seconds")
COLUMNS = ("variant", "cell", "impl", "layers", "hidden", "lr", "sampling", "epochs",
           "num_params", "train_perplexity", "val_perplexity", "best_val_perplexity",
           "val_train_ratio", "train_seconds", "tokens_per_second", "device", "prediction")
IMPL_COLOURS = {"scratch": "tab:orange", "torch": "tab:blue"}


def _is_number(value) -> bool:
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
    bad += [k for k in NUMBER_KEYS if not _is_number(metrics[k])]
    bad += [k for k in OPTIONAL_NUMBER_KEYS
            if metrics.get(k) is not None and not _is_number(metrics[k])]
    history = metrics["history"]
    if not (isinstance(history, list) and history and all(
            isinstance(row, dict) and all(_is_number(row.get(k)) for k in HISTORY_KEYS)
            for row in history)):
        bad.append("history (a non-empty list of {epoch, train_perplexity, seconds})")
    if bad:
        raise DataError(f"{str(path)!r} has bad value(s) for {', '.join(bad)}")
    return metrics


def _order(metrics: dict) -> tuple:
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
    return sorted((read_metrics(p) for p in paths), key=_order)


def _prediction(metrics: dict) -> str:
    predictions = metrics.get("predictions")
    if not isinstance(predictions, dict) or not predictions:
        return ""
    return str(predictions.get(PREFIX, next(iter(predictions.values()))))


def summary_row(metrics: dict) -> dict:
    """One row of the comparison table (the keys of COLUMNS)."""
    train, val = metrics["train_perplexity"], metrics.get("val_perplexity")
    row = {key: metrics.get(key) for key in COLUMNS}
    row.update(sampling=metrics.get("sampling", ""), prediction=_prediction(metrics),
               val_train_ratio=val / train if val is not None and train > 0 else None)
    return row


def _ppl(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _tps(metrics: dict) -> str:
    return f"{metrics['tokens_per_second']:,.0f}"


def _layers(metrics: dict) -> str:
    return f"{metrics['layers']} layer{'s' if metrics['layers'] != 1 else ''}"


def _pick(runs: list[dict], cell: str, layers, impl: str | None = None) -> dict | None:
    """The variant of ``cell`` whose layers pass ``layers``; torch.nn first, then by order."""
    found = [m for m in runs if m["cell"] == cell and layers(m["layers"])
             and (impl is None or m["impl"] == impl)]
    return min(found, key=lambda m: (m["impl"] != "torch", m["layers"], _order(m)), default=None)


def deep_pair(runs: list[dict]) -> tuple[dict | None, dict | None]:
    """The deep GRU and the deep LSTM of exercise 9.3-2 (layers > 1, torch.nn preferred)."""
    return (_pick(runs, "gru", lambda n: n > 1), _pick(runs, "lstm", lambda n: n > 1))


def _faster(a: dict, b: dict, name=lambda m: m["variant"]) -> str:
    """'A trains 1.23x faster than B (45,000 vs 36,600 tokens/s)'."""
    if a["tokens_per_second"] <= 0 or b["tokens_per_second"] <= 0:
        return (f"the speeds of {name(a)} and {name(b)} cannot be compared "
                f"({_tps(a)} vs {_tps(b)} tokens/s)")
    fast, slow = (a, b) if a["tokens_per_second"] >= b["tokens_per_second"] else (b, a)
    ratio = fast["tokens_per_second"] / slow["tokens_per_second"]
    if round(ratio, 2) == 1:
        return f"{name(a)} and {name(b)} train at the same speed ({_tps(a)} vs {_tps(b)} tokens/s)"
    return (f"{name(fast)} trains {ratio:.2f}x faster than {name(slow)} "
            f"({_tps(fast)} vs {_tps(slow)} tokens/s)")


def _versus(a: dict, b: dict, key: str, label: str) -> str:
    """'final training perplexity 1.05 vs 1.10 (A is lower)'."""
    va, vb = a.get(key), b.get(key)
    text = f"{label} {_ppl(va)} vs {_ppl(vb)}"
    if va is None or vb is None or round(va, 2) == round(vb, 2):
        return text + ("" if va is None or vb is None else " (equal)")
    return text + f" ({(a if va < vb else b)['variant']} is lower)"


def _epochs_note(a: dict, b: dict) -> str:
    return "" if a["epochs"] == b["epochs"] else (
        f" Note: they trained for different numbers of epochs ({a['epochs']} vs {b['epochs']}), "
        "so this is not a like-for-like comparison.")


def answer_deep_rnn(runs: list[dict]) -> str:
    """Exercise 8.6-2: does a deeper RNN still train, and how does it compare with one layer?"""
    deep = _pick(runs, "rnn", lambda n: n > 1)
    if deep is None:
        return ("Exercise 8.6-2 cannot be answered: there is no deep RNN "
                "(cell rnn with more than one layer) among the variants.")
    first, last = deep["history"][0], deep["history"][-1]
    start, end = first["train_perplexity"], last["train_perplexity"]
    trains = ("still trains: its training perplexity fell" if end < start
              else "did not train: its training perplexity went")
    text = (f"{deep['variant']} ({_layers(deep)}) {trains} from {start:.2f} after epoch "
            f"{first['epoch']} to {end:.2f} after epoch {last['epoch']}"
            + (f" ({start / end:.2f}x lower)." if end < start else "."))
    shallow = (_pick(runs, "rnn", lambda n: n == 1, impl=deep["impl"])
               or _pick(runs, "rnn", lambda n: n == 1))
    if shallow is None:
        return text + (" The comparison with one layer cannot be answered: there is no "
                       "one-layer RNN among the variants.")
    return text + (f" Against {shallow['variant']} ({_layers(shallow)}): "
                   f"{_versus(deep, shallow, 'train_perplexity', 'final training perplexity')}, "
                   f"{_versus(deep, shallow, 'val_perplexity', 'held-out perplexity')}; "
                   f"{_faster(deep, shallow)}.{_epochs_note(deep, shallow)}")


def answer_gru_vs_lstm(runs: list[dict]) -> str:
    """Exercise 9.3-2: deep GRU against deep LSTM in perplexity and training speed."""
    gru, lstm = deep_pair(runs)
    if gru is None or lstm is None:
        absent = " and no ".join(name for name, m in (("deep GRU", gru), ("deep LSTM", lstm))
                                 if m is None)
        return (f"Exercise 9.3-2 cannot be answered: there is no {absent} "
                "(cell gru/lstm with more than one layer) among the variants.")
    return (f"{gru['variant']} against {lstm['variant']}: "
            f"{_versus(gru, lstm, 'train_perplexity', 'final training perplexity')}, "
            f"{_versus(gru, lstm, 'val_perplexity', 'held-out perplexity')}. "
            f"In speed, {_faster(gru, lstm)}.{_epochs_note(gru, lstm)}")


def answer_scratch_vs_torch(runs: list[dict]) -> list[str]:
    """Speed of the scratch cells against torch.nn, per cell and number of layers."""
    lines = []
    for cell, layers in dict.fromkeys((m["cell"], m["layers"]) for m in runs):  # lab order
        group = [m for m in runs if (m["cell"], m["layers"]) == (cell, layers)]
        fast = min((m for m in group if m["impl"] == "torch"), key=_order, default=None)
        scratch = [m for m in group if m["impl"] == "scratch"]
        if fast is None or not scratch:
            continue
        # Prefer the scratch twin with the same sampling, as rnn_scratch over rnn_scratch_random.
        twin = min(scratch, key=lambda m, f=fast: (m.get("sampling") != f.get("sampling"),
                                                   _order(m)))
        sentence = _faster(fast, twin, name=lambda m, f=fast: "torch.nn" if m is f else "scratch")
        note = "" if twin["hidden"] == fast["hidden"] else (
            f"; note the hidden sizes differ, {twin['hidden']} vs {fast['hidden']}")
        lines.append(f"{cell}, {_layers(twin)}: {sentence}, {fast['variant']} against "
                     f"{twin['variant']}{note}.")
    return lines or ["Scratch against torch.nn cannot be answered: no cell has both a scratch "
                     "and a torch.nn variant with the same number of layers."]


def _training_text(runs: list[dict]) -> str:
    sizes = {(m.get("train_tokens"), m.get("token")) for m in runs}
    if len(sizes) == 1:
        tokens, unit = sizes.pop()
        unit = {"char": "characters", "word": "words"}.get(unit, "tokens")
        if _is_number(tokens) and tokens > 0:
            return f"its {tokens:,} training {unit}"
    return "its training text"


def answer_memorisation(runs: list[dict]) -> str:
    """The gap between held-out and training perplexity, per variant and the largest."""
    gaps = [(m["val_perplexity"] / m["train_perplexity"], m) for m in runs
            if m.get("val_perplexity") is not None and m["train_perplexity"] > 0]
    if not gaps:
        return ("The memorisation gap cannot be answered: no variant has a held-out perplexity "
                "(was val_tokens 0?).")
    ratio, worst = max(gaps, key=lambda g: g[0])
    pair = (f"{worst['variant']}: held-out perplexity {_ppl(worst['val_perplexity'])} against "
            f"training perplexity {_ppl(worst['train_perplexity'])} ({ratio:.2f}x)")
    largest = (f"The largest gap is {pair}." if ratio > 1 else
               "No variant has a held-out perplexity above its training perplexity, so none "
               f"shows memorisation yet; the highest ratio is {pair}.")
    near_one = sum(m["train_perplexity"] < 1.5 for m in runs)
    per_variant = ", ".join(f"{m['variant']} {r:.2f}x" for r, m in gaps)
    return (f"Held-out over training perplexity: {per_variant}. {largest} "
            f"{near_one} of {len(runs)} variants end with a training perplexity below 1.5. "
            f"A training perplexity near 1 means the model has memorised "
            f"{_training_text(runs)}; the held-out perplexity, measured on text the model never "
            f"saw, shows how well it generalises.")


def answer_questions(runs: list[dict]) -> dict:
    return {"deep_rnn": answer_deep_rnn(runs), "gru_vs_lstm": answer_gru_vs_lstm(runs),
            "scratch_vs_torch": answer_scratch_vs_torch(runs),
            "memorisation": answer_memorisation(runs)}


def _devices(runs: list[dict]) -> str:
    names = {m["device"] if m.get("device_name") in (None, m["device"])
             else f"{m['device']} ({m['device_name']})" for m in runs}
    return ", ".join(sorted(names))


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


MARKDOWN_COLUMNS = (  # header, row key, format; numbers (right-aligned) from "layers" on
    ("variant", "variant", str), ("cell", "cell", str), ("impl", "impl", str),
    ("sampling", "sampling", str), ("device", "device", str), ("layers", "layers", str),
    ("hidden", "hidden", str), ("lr", "lr", "{:g}".format), ("epochs", "epochs", str),
    ("params", "num_params", "{:,}".format), ("train ppl", "train_perplexity", _ppl),
    ("held-out ppl", "val_perplexity", _ppl), ("best held-out", "best_val_perplexity", _ppl),
    ("held-out/train", "val_train_ratio", lambda v: _ppl(v) + "x" * (v is not None)),
    ("train s", "train_seconds", "{:.1f}".format),
    ("tokens/s", "tokens_per_second", "{:,.0f}".format),
    (f'"{PREFIX}" →', "prediction", lambda v: f"`{v}`" if v else ""),
)
_RIGHT = {key for _, key, _ in MARKDOWN_COLUMNS[5:-1]}


def render_markdown(rows: list[dict], answers: dict, runs: list[dict], models_dir) -> str:
    versions = sorted({str(m["torch_version"]) for m in runs if m.get("torch_version")})
    lines = [f"# rnnlab: comparison of {len(rows)} variant{'s' if len(rows) != 1 else ''}", "",
             f"Models: `{models_dir}`. Device(s): {_devices(runs)}. "
             f"torch {', '.join(versions) or 'version unknown'}.",
             "", "| " + " | ".join(h for h, _, _ in MARKDOWN_COLUMNS) + " |",
             "|" + "|".join("---:" if key in _RIGHT else "---" for _, key, _ in MARKDOWN_COLUMNS)
             + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(fmt(row[key])) for _, key, fmt in MARKDOWN_COLUMNS)
                     + " |")
    lines += ["", "Perplexities are final (after the last epoch) unless marked best; "
              "train s counts the training epochs only.", "", "## The lab's questions", "",
              "### A deeper RNN (exercise 8.6-2)", "", answers["deep_rnn"], "",
              "### Deep GRU against deep LSTM (exercise 9.3-2)", "", answers["gru_vs_lstm"], "",
              "### Scratch against torch.nn (training speed)", "",
              *(f"- {line}" for line in answers["scratch_vs_torch"]), "",
              "### Memorisation: training against held-out perplexity", "",
              answers["memorisation"], "", "## Figures", "",
              "![perplexity](perplexity.png)", "", "![deep GRU against deep LSTM](gru_vs_lstm.png)",
              "", "![training speed](speed.png)", ""]
    return "\n".join(lines)


def write_csv(rows: list[dict], path: Path) -> Path:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return atomic_write_text(path, frame.to_csv(index=False))


def _colours(n: int) -> list:
    import matplotlib

    palette = matplotlib.colormaps["tab10" if n <= 10 else "tab20"].colors
    return [palette[i % len(palette)] for i in range(n)]


def _curves(train_ax, val_ax, xs: list, history: list[dict], colour, label: str,
            held_label: str | None = None) -> bool:
    """Training perplexity (solid) on train_ax and held-out (dashed, markers) on val_ax, both
    against ``xs``. Returns whether there was any held-out perplexity."""
    train_ax.plot(xs, [row["train_perplexity"] for row in history], color=colour, label=label)
    held = [(x, row["val_perplexity"]) for x, row in zip(xs, history, strict=True)
            if row.get("val_perplexity") is not None]
    if held:
        val_ax.plot(*zip(*held, strict=True), color=colour, linestyle="--", marker="o",
                    markersize=3, label=held_label)
    return bool(held)


def _log_y(ax) -> None:
    """A log perplexity axis labelled with plain numbers (20, not 2 x 10^1)."""
    from matplotlib.ticker import LogFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(LogFormatter())
    ax.yaxis.set_minor_formatter(LogFormatter(minor_thresholds=(2, 0.5)))
    ax.grid(True, which="both", alpha=0.3)


def plot_perplexity(runs: list[dict], path: Path) -> Path:
    """Training (solid, left) and held-out (dashed with markers, right) perplexity per epoch."""
    plt = pyplot()
    fig, (train_ax, val_ax) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True,
                                           layout="constrained")
    any_held_out = False
    for metrics, colour in zip(runs, _colours(len(runs)), strict=True):
        history = metrics["history"]
        epochs = [row["epoch"] for row in history]
        any_held_out |= _curves(train_ax, val_ax, epochs, history, colour, metrics["variant"])
    if not any_held_out:
        val_ax.text(0.5, 0.5, "no held-out perplexity in the metrics", ha="center",
                    va="center", transform=val_ax.transAxes)
    train_ax.set(title="training perplexity", xlabel="epoch", ylabel="perplexity")
    val_ax.set(title="held-out perplexity", xlabel="epoch")
    for ax in (train_ax, val_ax):
        _log_y(ax)
    fig.legend(loc="outside right upper", title="variant")
    return save_figure(fig, path)


def plot_gru_vs_lstm(gru: dict | None, lstm: dict | None, path: Path) -> Path:
    """Exercise 9.3-2: perplexity against epoch and against cumulative training seconds."""
    plt = pyplot()
    present = [(m, c) for m, c in ((gru, "tab:blue"), (lstm, "tab:orange")) if m is not None]
    if not present:
        fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
        ax.axis("off")
        ax.text(0.5, 0.5, "Deep GRU against deep LSTM (exercise 9.3-2): no deep GRU or deep LSTM\n"
                "(cell gru/lstm with more than one layer) among the variants", ha="center",
                va="center", wrap=True)
        return save_figure(fig, path)
    fig, (by_epoch, by_time) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True,
                                            layout="constrained")
    for metrics, colour in present:
        history = metrics["history"]
        epochs = [row["epoch"] for row in history]
        seconds = list(accumulate(row["seconds"] for row in history))
        for ax, xs in ((by_epoch, epochs), (by_time, seconds)):
            _curves(ax, ax, xs, history, colour, f"{metrics['variant']} train",
                    f"{metrics['variant']} held-out")
    by_epoch.set(xlabel="epoch", ylabel="perplexity", title="per epoch")
    by_time.set(xlabel="cumulative training seconds", title="per wall-clock second")
    for ax in (by_epoch, by_time):
        _log_y(ax)
        ax.legend()
    title = "Deep GRU against deep LSTM (exercise 9.3-2)"
    if len(present) == 1:
        title += f": no deep {'LSTM' if lstm is None else 'GRU'} found, only one model shown"
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_speed(runs: list[dict], path: Path) -> Path:
    """Horizontal bars of training tokens per second, coloured by implementation."""
    plt = pyplot()
    from matplotlib.patches import Patch
    from matplotlib.ticker import StrMethodFormatter

    speeds = [m["tokens_per_second"] for m in runs]
    fig, ax = plt.subplots(figsize=(8, 1.5 + 0.45 * len(runs)), layout="constrained")
    bars = ax.barh(range(len(runs)), speeds,
                   color=[IMPL_COLOURS.get(m["impl"], "tab:gray") for m in runs])
    ax.set_yticks(range(len(runs)), [m["variant"] for m in runs])
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[f"{s:,.0f}" for s in speeds], padding=3)
    ax.set_xlim(0, max(speeds) * 1.2 if max(speeds) > 0 else 1)
    ax.set(xlabel="training tokens per second", title=f"Training speed on {_devices(runs)}")
    impls = sorted({m["impl"] for m in runs})
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    fig.legend(handles=[Patch(color=IMPL_COLOURS.get(i, "tab:gray"), label=i) for i in impls],
               title="impl", loc="outside right upper")
    ax.grid(True, axis="x", alpha=0.3)
    return save_figure(fig, path)


def build_report(models_dir: str | Path, out_dir: str | Path,
                 variants: list[str] | None = None) -> dict:
    """Read ``models_dir/*/metrics.json`` (only ``variants`` if given) and write OUTPUTS under
    ``out_dir``, each atomically. Returns {variants, rows, answers, files}."""
    runs = load_metrics(models_dir, variants)
    rows = [summary_row(m) for m in runs]
    answers = answer_questions(runs)
    out = Path(out_dir)
    files = [write_csv(rows, out / "comparison.csv"),
             atomic_write_text(out / "comparison.md",
                               render_markdown(rows, answers, runs, models_dir)),
             plot_perplexity(runs, out / "perplexity.png"),
             plot_gru_vs_lstm(*deep_pair(runs), out / "gru_vs_lstm.png"),
             plot_speed(runs, out / "speed.png")]
    return {"variants": [m["variant"] for m in runs], "rows": rows, "answers": answers,
            "files": files}
