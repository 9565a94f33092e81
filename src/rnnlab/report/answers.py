"""The lab's questions answered from the measured numbers: a deeper RNN (exercise 8.6-2), deep
GRU against deep LSTM (exercise 9.3-2), scratch against torch.nn, and memorisation. Each side of
a comparison is a replicate group (rnnlab.report.stats): its mean where it has several seeds,
then Welch's t-test where both sides have n >= 2, and a plain "one run cannot tell" where not."""

from __future__ import annotations

from rnnlab.report.formats import layers, ppl, tps
from rnnlab.report.metrics import is_number, order
from rnnlab.report.overlap import caveat
from rnnlab.report.stats import (
    RESULT_KEYS,
    SIGNIFICANCE,
    Group,
    summarise,
    values_of,
    welch_p,
)

STAT_LABELS = {"train_perplexity": "final training perplexity",
               "best_val_perplexity": "best held-out perplexity",
               "test_perplexity": "test perplexity",
               "tokens_per_second": "tokens/s"}
MEAN_KEYS = ("train_perplexity", "val_perplexity", "best_val_perplexity", "tokens_per_second")


def _pick(runs: list[dict], cell: str, accept_layers, impl: str | None = None) -> dict | None:
    """The variant of ``cell`` whose layers pass ``accept_layers``; torch.nn first, then by
    order."""
    found = [m for m in runs if m["cell"] == cell and accept_layers(m["layers"])
             and (impl is None or m["impl"] == impl)]
    return min(found, key=lambda m: (m["impl"] != "torch", m["layers"], order(m)), default=None)


def deep_pair(runs: list[dict]) -> tuple[dict | None, dict | None]:
    """The deep GRU and the deep LSTM of exercise 9.3-2 (layers > 1, torch.nn preferred)."""
    return (_pick(runs, "gru", lambda n: n > 1), _pick(runs, "lstm", lambda n: n > 1))


def _faster(a: dict, b: dict, fractions: dict, name=lambda m: m["variant"]) -> str:
    """'A trains 1.23x faster than B (45,000 vs 36,600 tokens/s)' when both trained alone;
    when they shared the machine with other jobs (or it is not recorded), the ratio is given as
    this run's measurement with the caveat beside it, never as plain fact."""
    note = caveat([a["variant"], b["variant"]], fractions)
    if a["tokens_per_second"] <= 0 or b["tokens_per_second"] <= 0:
        return (f"the speeds of {name(a)} and {name(b)} cannot be compared "
                f"({tps(a)} vs {tps(b)} tokens/s)")
    fast, slow = (a, b) if a["tokens_per_second"] >= b["tokens_per_second"] else (b, a)
    ratio = fast["tokens_per_second"] / slow["tokens_per_second"]
    if round(ratio, 2) == 1:
        text = (f"{name(a)} and {name(b)} {'ran' if note else 'train'} at the same speed "
                f"({tps(a)} vs {tps(b)} tokens/s)")
    else:
        text = (f"{name(fast)} {'ran' if note else 'trains'} {ratio:.2f}x faster than "
                f"{name(slow)} ({tps(fast)} vs {tps(slow)} tokens/s)")
    return f"{text}, but {note}" if note else text


def _versus(a: dict, b: dict, key: str, label: str) -> str:
    """'final training perplexity 1.05 vs 1.10 (A is lower)'."""
    va, vb = a.get(key), b.get(key)
    text = f"{label} {ppl(va)} vs {ppl(vb)}"
    if va is None or vb is None or round(va, 2) == round(vb, 2):
        return text + ("" if va is None or vb is None else " (equal)")
    return text + f" ({(a if va < vb else b)['variant']} is lower)"


def _epochs_note(a: dict, b: dict) -> str:
    return "" if a["epochs"] == b["epochs"] else (
        f" Note: they trained for different numbers of epochs ({a['epochs']} vs {b['epochs']}), "
        "so this is not a like-for-like comparison.")


def representative(group: Group) -> dict:
    """The metrics that stand for a group in the answers: its first member (the base) renamed
    after the group, with the mean of each result over the members."""
    metrics = {**group.members[0], "variant": group.name, "group": group}
    for key in MEAN_KEYS:
        values = values_of(group, key)
        if values and group.n > 1:
            metrics[key] = summarise(values).mean
    return metrics


def group_fractions(groups: list[Group], fractions: dict) -> dict:
    """Each group's overlap: the largest of its members' (None if any is not recorded)."""
    shares = {}
    for group in groups:
        values = [fractions.get(name) for name in group.variants]
        shares[group.name] = None if None in values else max(values)
    return shares


def _mean_ci(summary, key: str) -> str:
    number = "{:,.0f}" if key == "tokens_per_second" else "{:.2f}"
    return f"{number.format(summary.mean)} ± {number.format(summary.ci95)}"


def evidence(a: dict, b: dict, keys: tuple, fractions: dict) -> str:
    """Whether the differences between groups ``a`` and ``b`` are more than seed-to-seed noise:
    Welch's t-test per result where both have n >= 2, else that one run cannot tell."""
    ga, gb = a["group"], b["group"]
    if ga.n < 2 or gb.n < 2:
        single = [g.name for g in (ga, gb) if g.n < 2]
        who = (f"{single[0]} has one run (n = 1)" if len(single) == 1
               else f"{single[0]} and {single[1]} have one run each (n = 1)")
        return (f" {who}, and one run cannot tell whether a difference is more than "
                "seed-to-seed noise: replicate with a sweep of seed to test it.")
    parts = []
    for key in keys:
        va, vb = values_of(ga, key), values_of(gb, key)
        if not va or not vb:
            continue
        p = welch_p(va, vb)
        verdict = ("no spread in either group, so the test is undefined" if p is None else
                   f"p = {p:.2g}, {'significant' if p < SIGNIFICANCE else 'not significant'} "
                   "at 5%")
        parts.append(f"{STAT_LABELS[key]} {_mean_ci(summarise(va), key)} vs "
                     f"{_mean_ci(summarise(vb), key)} ({verdict})")
    text = (f" Over seeds (n = {ga.n} vs {gb.n}; mean ± 95% confidence interval; Welch's "
            f"t-test): {'; '.join(parts)}.")
    if "tokens_per_second" in keys:
        note = caveat([ga.name, gb.name], fractions)
        text += f" The speed test is only as good as the speeds: {note}." if note else ""
    return text


def answer_deep_rnn(runs: list[dict], fractions: dict) -> str:
    """Exercise 8.6-2: does a deeper RNN still train, and how does it compare with one layer?"""
    deep = _pick(runs, "rnn", lambda n: n > 1)
    if deep is None:
        return ("Exercise 8.6-2 cannot be answered: there is no deep RNN "
                "(cell rnn with more than one layer) among the variants.")
    first, last = deep["history"][0], deep["history"][-1]
    start, end = first["train_perplexity"], last["train_perplexity"]
    trains = ("still trains: its training perplexity fell" if end < start
              else "did not train: its training perplexity went")
    text = (f"{deep['variant']} ({layers(deep)}) {trains} from {start:.2f} after epoch "
            f"{first['epoch']} to {end:.2f} after epoch {last['epoch']}"
            + (f" ({start / end:.2f}x lower)." if end < start else "."))
    shallow = (_pick(runs, "rnn", lambda n: n == 1, impl=deep["impl"])
               or _pick(runs, "rnn", lambda n: n == 1))
    if shallow is None:
        return text + (" The comparison with one layer cannot be answered: there is no "
                       "one-layer RNN among the variants.")
    return text + (f" Against {shallow['variant']} ({layers(shallow)}): "
                   f"{_versus(deep, shallow, 'train_perplexity', 'final training perplexity')}, "
                   f"{_versus(deep, shallow, 'val_perplexity', 'held-out perplexity')}; "
                   f"{_faster(deep, shallow, fractions)}.{_epochs_note(deep, shallow)}"
                   + evidence(deep, shallow, RESULT_KEYS, fractions))


def answer_gru_vs_lstm(runs: list[dict], fractions: dict) -> str:
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
            f"In speed, {_faster(gru, lstm, fractions)}.{_epochs_note(gru, lstm)}"
            + evidence(gru, lstm, RESULT_KEYS, fractions))


def answer_scratch_vs_torch(runs: list[dict], fractions: dict) -> list[str]:
    """Speed of the scratch cells against torch.nn, per cell and number of layers."""
    lines = []
    for cell, num_layers in dict.fromkeys((m["cell"], m["layers"]) for m in runs):  # lab order
        group = [m for m in runs if (m["cell"], m["layers"]) == (cell, num_layers)]
        fast = min((m for m in group if m["impl"] == "torch"), key=order, default=None)
        scratch = [m for m in group if m["impl"] == "scratch"]
        if fast is None or not scratch:
            continue
        # Prefer the scratch twin with the same sampling, as rnn_scratch over rnn_scratch_random.
        twin = min(scratch, key=lambda m, f=fast: (m.get("sampling") != f.get("sampling"),
                                                   order(m)))
        sentence = _faster(fast, twin, fractions,
                           name=lambda m, f=fast: "torch.nn" if m is f else "scratch")
        note = "" if twin["hidden"] == fast["hidden"] else (
            f"; note the hidden sizes differ, {twin['hidden']} vs {fast['hidden']}")
        lines.append(f"{cell}, {layers(twin)}, {fast['variant']} against {twin['variant']}: "
                     f"{sentence}{note}."
                     + evidence(fast, twin, ("tokens_per_second",), fractions))
    return lines or ["Scratch against torch.nn cannot be answered: no cell has both a scratch "
                     "and a torch.nn variant with the same number of layers."]


def _training_text(runs: list[dict]) -> str:
    sizes = {(m.get("train_tokens"), m.get("token")) for m in runs}
    if len(sizes) == 1:
        tokens, unit = sizes.pop()
        unit = {"char": "characters", "word": "words"}.get(unit, "tokens")
        if is_number(tokens) and tokens > 0:
            return f"its {tokens:,} training {unit}"
    return "its training text"


def _named(metrics: dict) -> str:
    """A variant's name, or a group's with its n."""
    group = metrics.get("group")
    return f"{metrics['variant']} (n = {group.n})" if group and group.n > 1 else metrics["variant"]


def answer_memorisation(runs: list[dict]) -> str:
    """The gap between held-out and training perplexity, per variant (a group of replicates by
    its means) and the largest."""
    gaps = [(m["val_perplexity"] / m["train_perplexity"], m) for m in runs
            if m.get("val_perplexity") is not None and m["train_perplexity"] > 0]
    if not gaps:
        return ("The memorisation gap cannot be answered: no variant has a held-out perplexity "
                "(was val_tokens 0?).")
    ratio, worst = max(gaps, key=lambda g: g[0])
    pair = (f"{worst['variant']}: held-out perplexity {ppl(worst['val_perplexity'])} against "
            f"training perplexity {ppl(worst['train_perplexity'])} ({ratio:.2f}x)")
    largest = (f"The largest gap is {pair}." if ratio > 1 else
               "No variant has a held-out perplexity above its training perplexity, so none "
               f"shows memorisation yet; the highest ratio is {pair}.")
    near_one = sum(m["train_perplexity"] < 1.5 for m in runs)
    per_variant = ", ".join(f"{_named(m)} {r:.2f}x" for r, m in gaps)
    return (f"Held-out over training perplexity: {per_variant}. {largest} "
            f"{near_one} of {len(runs)} variants end with a training perplexity below 1.5. "
            f"A training perplexity near 1 means the model has memorised "
            f"{_training_text(runs)}; the held-out perplexity, measured on text the model never "
            f"saw, shows how well it generalises.")


def answer_questions(runs: list[dict], fractions: dict, groups: list[Group]) -> dict:
    """Every answer, keyed deep_rnn, gru_vs_lstm, scratch_vs_torch (a list) and memorisation.
    The comparisons are between replicate ``groups``; ``fractions`` is each variant's overlap
    with other jobs (rnnlab.report.overlap); memorisation uses each group's means."""
    reps = [representative(group) for group in groups]
    shares = {**fractions, **group_fractions(groups, fractions)}
    return {"deep_rnn": answer_deep_rnn(reps, shares),
            "gru_vs_lstm": answer_gru_vs_lstm(reps, shares),
            "scratch_vs_torch": answer_scratch_vs_torch(reps, shares),
            "memorisation": answer_memorisation(reps)}
