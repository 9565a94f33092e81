"""Tests of rnnlab.compare: two real tiny results folders side by side through `rnnlab compare`
(variants on one side only, a settings difference, Welch's test on replicates, bad input)."""

import csv
import json
import re

import pytest
from helpers import rnnlab, tiny_config, write_config

from rnnlab.cli import main
from rnnlab.compare import OUTPUTS, compare
from rnnlab.report import build_report


def train_side(root, tiny_data, config, variants):
    """A results folder of really trained tiny variants: models/<variant>/metrics.json."""
    root.mkdir()
    path = write_config(root / "config.yaml", config)
    for variant in variants:
        assert main(["train", "--config", str(path), "--variant", variant, "--data",
                     str(tiny_data), "--out", str(root / "models" / variant), "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def sides(tiny_data, tmp_path_factory):
    """Before (A) and after (B): gru replicated (two seeds) on both sides with lr 1 -> 2, lstm
    unchanged, rnn only in A and wide_rnn only in B."""
    root = tmp_path_factory.mktemp("compare")
    config = tiny_config(epochs=1)
    config["sweeps"] = {"seeds": {"base": ["gru"], "grid": {"seed": [1]}}}
    before = train_side(root / "before", tiny_data, config, ["gru", "gru--seed-1", "lstm", "rnn"])
    config["variants"]["gru"]["lr"] = 2
    config["variants"]["wide_rnn"] = {**config["variants"].pop("rnn"), "hidden": 24}
    after = train_side(root / "after", tiny_data, config,
                       ["gru", "gru--seed-1", "lstm", "wide_rnn"])
    return before, after


def by_variant(rows):
    return {row["variant"]: row for row in rows}


def test_cli_prints_and_writes_the_comparison(sides, tmp_path):
    """`rnnlab compare A B --out DIR` prints the table and writes compare.md, .csv and a PNG."""
    before, after = sides
    result = rnnlab("compare", before, after, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "| gru |" in result.stdout and "settings that differ" in result.stdout
    for name in OUTPUTS:
        assert (tmp_path / "out" / name).stat().st_size > 0
    assert (tmp_path / "out" / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "out" / "compare.md").read_text() in result.stdout + "\n"
    with open(tmp_path / "out" / "compare.csv", newline="") as file:
        assert [row["variant"] for row in csv.DictReader(file)] == \
            ["gru", "lstm", "rnn", "wide_rnn"]


def test_variants_on_one_side_only_are_marked(sides):
    """A variant only one side has is marked A only / B only, with no change computed."""
    rows = by_variant(compare(*sides)["rows"])
    assert (rows["rnn"]["present"], rows["rnn"]["n_a"], rows["rnn"]["n_b"]) == ("A only", 1, 0)
    assert rows["wide_rnn"]["present"] == "B only"
    assert rows["wide_rnn"]["best_val_perplexity_change"] is None
    assert rows["wide_rnn"]["best_val_perplexity_b"] > 1
    assert "rnn (A only), wide_rnn (B only)" in compare(*sides)["markdown"]


def test_settings_that_differ_are_named(sides):
    """The changed lr is named with both values; an unchanged variant differs in nothing."""
    rows = by_variant(compare(*sides)["rows"])
    assert rows["gru"]["settings_differ"] == "lr: 1 -> 2"
    assert rows["lstm"]["settings_differ"] == ""
    assert rows["lstm"]["best_val_perplexity_change"] == pytest.approx(0, abs=1e-9)


def test_replicates_get_welchs_test(sides):
    """Seeds of one setting on both sides are one group each, compared by Welch's t-test."""
    from scipy import stats

    def best(side):
        return [json.loads((side / "models" / name / "metrics.json").read_text())
                ["best_val_perplexity"] for name in ("gru", "gru--seed-1")]

    before, after = sides
    rows = by_variant(compare(before, after)["rows"])
    gru = rows["gru"]
    assert (gru["n_a"], gru["n_b"]) == (2, 2)
    assert gru["best_val_perplexity_a"] == pytest.approx(sum(best(before)) / 2)
    expected = stats.ttest_ind(best(before), best(after), equal_var=False).pvalue
    assert gru["best_val_perplexity_welch_p"] == pytest.approx(expected)
    assert rows["lstm"]["best_val_perplexity_welch_p"] is None  # one run a side: no test
    assert "Welch p" in compare(before, after)["markdown"]


def test_a_comparison_csv_is_a_side(sides, tmp_path):
    """A comparison.csv written by rnnlab report compares like its results folder."""
    before, after = sides
    build_report(after / "models", tmp_path / "report")
    from_csv = by_variant(compare(before, tmp_path / "report" / "comparison.csv")["rows"])
    from_folder = by_variant(compare(before, after)["rows"])
    assert from_csv["lstm"]["best_val_perplexity_b"] == \
        pytest.approx(from_folder["lstm"]["best_val_perplexity_b"])
    assert from_csv["gru"]["settings_differ"] == "lr: 1 -> 2"


def test_text_from_a_side_is_escaped_in_the_markdown(tmp_path):
    """Names and settings read from a comparison.csv reach compare.md as text, never as HTML or
    table markup."""
    bad_name, bad_setting = "<img src=x onerror=alert(1)>", "<b>a|b</b>"
    for side, sampling in (("a", "sequential"), ("b", bad_setting)):
        (tmp_path / side).mkdir()
        (tmp_path / side / "comparison.csv").write_text(
            "variant,sampling,train_perplexity,tokens_per_second\n"
            f'"{bad_name}","{sampling}",5.0,100\n', encoding="utf-8")
    markdown = compare(tmp_path / "a" / "comparison.csv",
                       tmp_path / "b" / "comparison.csv")["markdown"]
    assert "<img" not in markdown and "<b>" not in markdown
    lines = markdown.splitlines()
    row = next(line for line in lines if "onerror" in line)
    header = next(line for line in lines if line.startswith("| variant"))
    assert "&lt;img src=x onerror=alert(1)&gt;" in row
    assert "sampling: sequential -> &lt;b&gt;a\\|b&lt;/b&gt;" in row

    def cells(line):  # split on the pipes that are not escaped
        return len(re.split(r"(?<!\\)\|", line))

    assert cells(row) == cells(header)


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d / "missing", "does not exist"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "holds no results"),
    (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt",
     "neither a results folder nor a comparison.csv"),
    (lambda d: (d / "other.csv").write_text("name,value\nx,1\n") and d / "other.csv",
     "lacks the column(s) variant"),
    (lambda d: (d / "bad.csv").write_text("variant,train_perplexity,tokens_per_second\n"
                                          "gru,high,5\n") and d / "bad.csv",
     "line 2: train_perplexity 'high' is not a number"),
])
def test_bad_input_is_one_line(make, message, sides, tmp_path):
    """A side that is missing, empty or not rnnlab's results exits 1 with one line naming it."""
    bad = make(tmp_path).relative_to(tmp_path)  # short enough to be quoted whole
    result = rnnlab("compare", sides[0], bad, "--out", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert f"'{bad}'" in result.stderr
    assert not (tmp_path / "out").exists()
