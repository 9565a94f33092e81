"""Tests of rnnlab.report.stats: replicate groups, their statistics against hand-computed values
and replicates.csv."""

import math

import pandas as pd
import pytest
from report_inputs import fake_metrics, md_table, seeds, ten_runs, write_models

from rnnlab.report import build_report, stats


@pytest.mark.parametrize("name, group", [
    ("gru_deep", "gru_deep"), ("gru_deep--seed-3", "gru_deep"),
    ("rnn_scratch--hidden-64--seed-2", "rnn_scratch--hidden-64"),
    ("rnn_scratch--seed-2--lr-0.5", "rnn_scratch--lr-0.5"),
    ("rnn_scratch--seeds-2", "rnn_scratch--seeds-2"),
])
def test_group_name_drops_the_seed_segment(name, group):
    """A replicate group is named after the variant without its --seed-<value> segment."""
    assert stats.group_name(name) == group


def test_groups_join_only_variants_that_differ_in_seed_alone():
    """gru_deep and two seeds form one group (base first); a seed variant with another hidden
    size stands alone under its own name."""
    runs = [*seeds("gru_deep", [1.1, 1.2, 1.3]), fake_metrics("lstm_deep")]
    odd = {**runs[1], "variant": "gru_deep--seed-9", "hidden": 8, "seed": 9}
    groups = stats.replicate_groups([runs[2], *runs[:2], odd, runs[3]])
    assert [(g.name, g.variants) for g in groups] == [
        ("gru_deep", ["gru_deep", "gru_deep--seed-2", "gru_deep--seed-1"]),
        ("gru_deep--seed-9", ["gru_deep--seed-9"]), ("lstm_deep", ["lstm_deep"])]
    assert stats.has_replicates(runs) and not stats.has_replicates([runs[0], runs[3]])


@pytest.mark.parametrize("key, value, together", [
    ("test_tokens", 2000, False), ("eval_batch_size", 10, False), ("dropout", 0.5, False),
    ("device", "cuda", True), ("cuda_graph", False, True), ("checkpoint_every", 7, True),
])
def test_groups_split_on_what_a_job_computes(key, value, together):
    """A seed whose settings differ in a key that shapes its result is a group of its own; one
    that differs only in where and how it ran joins its base."""
    base, seed = seeds("gru_deep", [1.0, 1.1])
    groups = stats.replicate_groups([base, {**seed, key: value}])
    assert [g.n for g in groups] == ([2] if together else [1, 1])


def test_setting_keys_are_the_training_settings_that_shape_a_result():
    """The grouping keys are rnnlab.training.Settings' fields but the name, the seed and the
    keys that only say where and how a job runs."""
    from rnnlab.config import RUN_ONLY_KEYS
    from rnnlab.training import KEYS

    assert stats.setting_keys() == set(KEYS) - {"variant", "seed", *RUN_ONLY_KEYS}


def test_summary_and_welch_against_hand_computed_values():
    """[1, 2, 3, 4]: mean 2.5, sample sd sqrt(5/3), 95% CI half-width t(0.975, 3) = 3.182 times
    sd / 2. Welch on [1, 2, 3] vs [4, 5, 6, 7]: t = -3.5 / sqrt(1/3 + (5/3)/4) = -4.04 with
    4.96 degrees of freedom, p = 0.0101."""
    summary = stats.summarise([1.0, 2.0, 3.0, 4.0])
    assert summary.n == 4 and summary.mean == 2.5
    assert summary.std == pytest.approx(math.sqrt(5 / 3))
    assert summary.ci95 == pytest.approx(3.182446 * math.sqrt(5 / 3) / 2, rel=1e-6)
    assert stats.summarise([7.0]) == stats.Summary(1, 7.0, None, None)
    assert stats.welch_p([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]) == pytest.approx(0.010077,
                                                                                 rel=1e-4)
    assert stats.welch_p([1.0, 1.0], [2.0, 2.0]) is None  # no spread: undefined


def test_replicates_csv_gives_n_mean_std_ci_per_group(tmp_path, no_plots):
    """replicates.csv has a row per group of two or more, with the promised columns and the
    hand-computed statistics; singletons are not in it."""
    runs = [*seeds("gru_deep", [1.0, 2.0, 3.0, 4.0]), *seeds("lstm_deep", [2.0, 4.0]),
            fake_metrics("rnn_deep")]
    summary = build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    frame = pd.read_csv(tmp_path / "report" / "replicates.csv")
    assert list(frame.columns) == ["group", "n"] + [
        f"{key}_{part}" for key in ("train_perplexity", "best_val_perplexity",
                                    "tokens_per_second") for part in ("mean", "std", "ci95")]
    assert frame["group"].tolist() == ["lstm_deep", "gru_deep"]
    gru = frame.set_index("group").loc["gru_deep"]
    assert gru["n"] == 4 and gru["train_perplexity_mean"] == pytest.approx(2.5)
    assert gru["best_val_perplexity_mean"] == pytest.approx(5.5)
    assert gru["train_perplexity_std"] == pytest.approx(math.sqrt(5 / 3))
    assert gru["train_perplexity_ci95"] == pytest.approx(3.182446 * math.sqrt(5 / 3) / 2)
    assert gru["tokens_per_second_std"] == 0
    lstm = frame.set_index("group").loc["lstm_deep"]
    assert lstm["train_perplexity_ci95"] == pytest.approx(12.706205 * math.sqrt(2) / math.sqrt(2))
    assert [g.n for g in summary["groups"]] == [1, 2, 4]
    md = (tmp_path / "report" / "comparison.md").read_text()
    table = {row["variant"]: row for row in md_table(md)}
    assert table["gru_deep (n = 4)"]["train ppl"] == "2.50 ± 2.05"
    assert "rnn_deep" in table and "replicates.csv" in md


def test_no_replicates_no_replicates_csv(tmp_path, no_plots):
    """Without variants that differ only in seed there is no replicates.csv."""
    build_report(write_models(tmp_path / "models", *ten_runs()[:3]), tmp_path / "report")
    assert not (tmp_path / "report" / "replicates.csv").exists()


def test_replicates_csv_has_test_perplexity_when_runs_have_it(tmp_path, no_plots):
    """With a test split, replicates.csv gains test_perplexity_mean, _std and _ci95 after the
    held-out columns, with the hand-computed statistics; the HTML table shows them too."""
    runs = seeds("gru_deep", [1.0, 2.0, 3.0, 4.0])
    for metrics, test in zip(runs, [10.0, 20.0, 30.0, 40.0], strict=True):
        metrics["test_perplexity"] = test
    build_report(write_models(tmp_path / "models", *runs), tmp_path / "report")
    frame = pd.read_csv(tmp_path / "report" / "replicates.csv")
    assert list(frame.columns)[7:13] == ["best_val_perplexity_ci95", "test_perplexity_mean",
                                         "test_perplexity_std", "test_perplexity_ci95",
                                         "tokens_per_second_mean", "tokens_per_second_std"]
    (row,) = frame.to_dict("records")
    assert row["test_perplexity_mean"] == pytest.approx(25.0)
    assert row["test_perplexity_std"] == pytest.approx(10 * math.sqrt(5 / 3))
    assert row["test_perplexity_ci95"] == pytest.approx(3.182446 * 10 * math.sqrt(5 / 3) / 2)
    page = (tmp_path / "report" / "comparison.html").read_text()
    assert "<th" in page and ">test perplexity</th>" in page
