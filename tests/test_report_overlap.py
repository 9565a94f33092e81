"""Tests of rnnlab.report.overlap: how much the training jobs shared the machine, and the
caveat beside every speed."""

import pytest
from report_inputs import fake_metrics, md_of, md_table

from rnnlab.report.overlap import overlap_fractions


def test_overlap_fractions_against_hand_computed_values():
    """Each job's overlapped share: A [0,100] B [50,150] C [140,200] D alone, E unrecorded."""
    def run(name, start, end):
        return {"variant": name, "train_started": start, "train_ended": end}

    fractions = overlap_fractions([run("a", 0, 100), run("b", 50, 150), run("c", 140, 200),
                                   run("d", 300, 400), {"variant": "e"}])
    assert fractions == {"a": 0.5, "b": pytest.approx(0.6), "c": pytest.approx(1 / 6),
                         "d": 0.0, "e": None}


def test_overlapping_jobs_never_give_a_plain_speed_fact(tmp_path, no_plots):
    """When the deep GRU and LSTM trained at the same time, every speed sentence and the table
    say how much they overlapped and point to benchmarks/throughput.py."""
    start = 1_800_000_000.0
    md = md_of(tmp_path, fake_metrics("gru_deep", tps=20_000.0, started=start),
               fake_metrics("lstm_deep", tps=10_000.0, started=start + 4.48),
               fake_metrics("rnn_deep", tps=5_000.0), fake_metrics("rnn_concise", tps=5_000.0))
    assert "trains 2.00x faster" not in md
    assert ("gru_deep ran 2.00x faster than lstm_deep (20,000 vs 10,000 tokens/s), but this was "
            "measured while other training jobs ran on the same machine (share of training time "
            "overlapped: gru_deep 50%, lstm_deep 25%); it is not a clean comparison: run "
            "benchmarks/throughput.py for one.") in md
    assert "Training jobs overlapped: 2 of 4 variants" in md and "up to 50%" in md
    assert "rnn_deep and rnn_concise train at the same speed (5,000 vs 5,000 tokens/s)." in md
    table = {row["variant"]: row for row in md_table(md)}
    assert (table["gru_deep"]["tokens/s"], table["gru_deep"]["overlap"]) == ("20,000", "50%")
    assert (table["rnn_deep"]["tokens/s"], table["rnn_deep"]["overlap"]) == ("5,000", "none")


def test_unrecorded_training_times_are_said_to_be_unknown(tmp_path, no_plots):
    """metrics.json without train_started/train_ended: speed answers say overlap is unknown."""
    runs = [fake_metrics(v) for v in ("gru_deep", "lstm_deep")]
    for metrics in runs:
        del metrics["train_started"], metrics["train_ended"]
    md = md_of(tmp_path, *runs)
    assert ("but when gru_deep and lstm_deep trained is not recorded, so other jobs may have "
            "shared the machine; run benchmarks/throughput.py for a clean comparison") in md
    assert "not recorded for 2 of 2 variants" in md
    assert [row["overlap"] for row in md_table(md)] == ["unknown", "unknown"]
