"""Tests of rnnlab.report.answers: the lab's questions answered from the measured numbers,
between replicate groups with Welch's t-test where both sides are replicated."""

import pytest
from report_inputs import PNG_MAGIC, PNGS, fake_metrics, md_of, md_table, seeds

from rnnlab.report import OUTPUTS, stats


def test_answers_use_the_measured_numbers(ten_report):
    """The ten-variant answers quote the inputs: deep RNN, GRU/LSTM, scratch/torch, largest gap."""
    md = (ten_report[0] / "comparison.md").read_text()
    assert "rnn_deep (2 layers) still trains: its training perplexity fell from 25.00 after " \
           "epoch 1 to 1.13 after epoch 20" in md
    assert "Against rnn_concise (1 layer)" in md
    assert "rnn_deep trains 1.08x faster than rnn_concise (13,000 vs 12,000 tokens/s)" in md
    assert "gru_deep trains 1.06x faster than lstm_deep (19,000 vs 18,000 tokens/s)" in md
    assert "lstm, 1 layer, lstm_concise against lstm_scratch: torch.nn trains 3.00x faster " \
           "than scratch (15,000 vs 5,000 tokens/s)." in md
    # rnn_scratch (sequential, like rnn_concise) is the twin, not rnn_scratch_random.
    assert "rnn_concise against rnn_scratch: torch.nn" in md
    assert "; note the hidden sizes differ, 512 vs 256" in md
    assert "gru, 2 layers" not in md  # no scratch deep GRU to compare with
    assert "The largest gap is lstm_scratch: held-out perplexity 8.00 against training " \
           "perplexity 1.05 (7.62x)" in md
    assert "memorised its 10,000 training characters" in md


@pytest.mark.parametrize("gru_tps, lstm_tps, sentence", [
    (20_000.0, 10_000.0, "gru_deep trains 2.00x faster than lstm_deep (20,000 vs 10,000"),
    (10_000.0, 20_000.0, "lstm_deep trains 2.00x faster than gru_deep (20,000 vs 10,000"),
    (10_000.0, 10_000.0, "gru_deep and lstm_deep train at the same speed"),
])
def test_gru_vs_lstm_sentence_follows_the_numbers(gru_tps, lstm_tps, sentence, tmp_path,
                                                  no_plots):
    """Exercise 9.3-2: swapping the measured speeds swaps the conclusion."""
    md = md_of(tmp_path, fake_metrics("gru_deep", tps=gru_tps, end=1.1, val=5.0),
               fake_metrics("lstm_deep", tps=lstm_tps, end=1.3, val=4.5))
    assert sentence in md
    assert "final training perplexity 1.10 vs 1.30 (gru_deep is lower)" in md
    assert "held-out perplexity 5.00 vs 4.50 (lstm_deep is lower)" in md


@pytest.mark.parametrize("scratch_tps, torch_tps, sentence", [
    (5_000.0, 15_000.0, "torch.nn trains 3.00x faster than scratch (15,000 vs 5,000"),
    (15_000.0, 5_000.0, "scratch trains 3.00x faster than torch.nn (15,000 vs 5,000"),
])
def test_scratch_vs_torch_sentence_follows_the_numbers(scratch_tps, torch_tps, sentence,
                                                       tmp_path, no_plots):
    """Scratch against torch.nn: the faster implementation is the measured one."""
    md = md_of(tmp_path, fake_metrics("gru_scratch", tps=scratch_tps),
               fake_metrics("gru_concise", tps=torch_tps))
    assert f"gru, 1 layer, gru_concise against gru_scratch: {sentence}" in md


def test_deep_rnn_that_does_not_train_is_reported(tmp_path, no_plots):
    """Exercise 8.6-2: a deep RNN whose perplexity rises is said not to train."""
    md = md_of(tmp_path, fake_metrics("rnn_deep", start=20.0, end=30.0, tps=4_000.0),
               fake_metrics("rnn_concise", start=25.0, end=2.0, tps=8_000.0, epochs=10))
    assert "rnn_deep (2 layers) did not train: its training perplexity went from 20.00 " \
           "after epoch 1 to 30.00 after epoch 20." in md
    assert "final training perplexity 30.00 vs 2.00 (rnn_concise is lower)" in md
    assert "rnn_concise trains 2.00x faster than rnn_deep (8,000 vs 4,000 tokens/s)" in md
    assert "different numbers of epochs (20 vs 10)" in md
    assert "none shows memorisation yet" not in md


def test_missing_variants_give_cannot_be_answered(tmp_path):
    """One variant without held-out text: every question says why it cannot be answered, and
    every file, figures included, is still written."""
    md = md_of(tmp_path, fake_metrics("lstm_concise", val=None))
    assert "Exercise 8.6-2 cannot be answered: there is no deep RNN" in md
    assert "Exercise 9.3-2 cannot be answered: there is no deep GRU and no deep LSTM" in md
    assert "Scratch against torch.nn cannot be answered" in md
    assert "memorisation gap cannot be answered: no variant has a held-out perplexity" in md
    (row,) = md_table(md)
    assert row["held-out ppl"] == row["best held-out"] == row["held-out/train"] == "n/a"
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == sorted(OUTPUTS)
    for name in PNGS:
        assert (tmp_path / "report" / name).read_bytes()[:8] == PNG_MAGIC


def test_partial_pairs_are_named(tmp_path, no_plots):
    """A deep RNN without a one-layer RNN, and a deep GRU without a deep LSTM, say what lacks."""
    md = md_of(tmp_path, fake_metrics("rnn_deep", val=1.0), fake_metrics("gru_deep", val=0.5))
    assert "rnn_deep (2 layers) still trains" in md
    assert "The comparison with one layer cannot be answered: there is no one-layer RNN" in md
    assert "Exercise 9.3-2 cannot be answered: there is no deep LSTM" in md
    assert "none shows memorisation yet; the highest ratio is rnn_deep" in md


@pytest.mark.parametrize("gru, lstm, verdict", [
    ([1.0, 1.2, 1.1], [3.1, 3.3, 3.0], "significant at 5%"),
    ([1.0, 1.2, 1.1], [1.1, 1.3, 1.0], "not significant at 5%"),
])
def test_groups_are_compared_with_welch(gru, lstm, verdict, tmp_path, no_plots):
    """Deep GRU against deep LSTM with three seeds each: n, means with CIs, p and a plain
    verdict at 5%."""
    runs = [*seeds("gru_deep", gru), *seeds("lstm_deep", lstm)]
    md = md_of(tmp_path, *runs)
    answer = md.split("(exercise 9.3-2)")[1].split("###")[0]
    p = stats.welch_p(gru, lstm)
    gru_ci, lstm_ci = stats.summarise(gru), stats.summarise(lstm)
    assert "Over seeds (n = 3 vs 3; mean ± 95% confidence interval; Welch's t-test)" in answer
    assert (f"final training perplexity {gru_ci.mean:.2f} ± {gru_ci.ci95:.2f} vs "
            f"{lstm_ci.mean:.2f} ± {lstm_ci.ci95:.2f} (p = {p:.2g}, {verdict})") in answer
    assert "tokens/s 10,000 ± 0 vs 10,000 ± 0 (no spread in either group" in answer
    assert "one run cannot tell" not in answer
    assert "gru_deep against lstm_deep" in answer


def test_test_perplexity_is_compared_with_welch_when_present(tmp_path, no_plots):
    """With a test split on both sides, the deep GRU/LSTM answer tests test perplexity too (the
    same Welch p as by hand); without one it is not mentioned."""
    runs = [*seeds("gru_deep", [1.0, 1.2, 1.1]), *seeds("lstm_deep", [3.1, 3.3, 3.0])]
    tests = [90.0, 95.0, 92.0, 80.0, 84.0, 83.0]
    for metrics, test in zip(runs, tests, strict=True):
        metrics["test_perplexity"] = test
    answer = md_of(tmp_path / "test", *runs).split("(exercise 9.3-2)")[1].split("###")[0]
    p = stats.welch_p(tests[:3], tests[3:])
    gru, lstm = stats.summarise(tests[:3]), stats.summarise(tests[3:])
    assert (f"test perplexity {gru.mean:.2f} ± {gru.ci95:.2f} vs {lstm.mean:.2f} ± "
            f"{lstm.ci95:.2f} (p = {p:.2g}, significant at 5%)") in answer
    for metrics in runs:
        del metrics["test_perplexity"]
    assert "test perplexity" not in md_of(tmp_path / "plain", *runs)


def test_one_run_cannot_tell(tmp_path, no_plots):
    """With n = 1 on a side, the answer says one run cannot tell, and runs no test."""
    md = md_of(tmp_path, *seeds("gru_deep", [1.0, 1.2]), fake_metrics("lstm_deep"),
               fake_metrics("gru_concise"), fake_metrics("gru_scratch"))
    answer = md.split("(exercise 9.3-2)")[1].split("###")[0]
    assert ("lstm_deep has one run (n = 1), and one run cannot tell whether a difference is "
            "more than seed-to-seed noise") in answer
    assert "Welch" not in answer and "significant" not in answer
    assert ("gru_concise and gru_scratch have one run each (n = 1), and one run cannot tell"
            in md)
