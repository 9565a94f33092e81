"""Tests of rnnlab.report.markdown: comparison.md's header, table and answers."""





def test_markdown_has_header_table_and_four_answers(ten_report):
    """comparison.md has the header, one table row per variant and every question answered."""
    out, summary, _ = ten_report
    md = (out / "comparison.md").read_text()
    assert md.startswith("# rnnlab: comparison of 10 variants")
    assert "Device(s): cpu" in md and "torch 9.9.9-test" in md
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert len(table) == 11  # header and ten_report rows
    assert table[1].startswith("| rnn_scratch | rnn | scratch | sequential | cpu | 1 | 512 |")
    assert "| 1.05 | 8.00 | 8.00 | 20 | 7.62x |" in md and "| 15,000 | none |" in md
    for heading in ("exercise 8.6-2", "exercise 9.3-2", "Scratch against torch.nn",
                    "Memorisation"):
        assert heading in md
    assert "cannot be answered" not in md
    assert set(summary["answers"]) == {"deep_rnn", "gru_vs_lstm", "scratch_vs_torch",
                                       "memorisation"}
