"""Tests of rnnlab.errors: error messages stay short whatever they quote."""

from rnnlab.errors import MESSAGE_MAX, bounded


def test_bounded_keeps_short_messages_and_cuts_long_values():
    """A short message is unchanged; a huge quoted value keeps its head and tail, and a
    message of many words stops at MESSAGE_MAX characters."""
    assert bounded("unknown device 'tpu'") == "unknown device 'tpu'"
    cut = bounded("unknown device '" + "y" * 10**6 + "z': pick cpu")
    assert cut.startswith("unknown device 'yyyy") and cut.endswith("yz': pick cpu")
    assert len(cut) < 200
    assert len(bounded("word " * 10**5)) == MESSAGE_MAX


def test_bounded_keeps_a_file_path_whole():
    """A path of ordinary length, which the user needs to act on, is quoted whole."""
    path = "/home/someone/projects/rnnlab/results/models/gru_deep--seed-3/resume.pt"
    assert len(path) > 60
    assert path in bounded(f"wrote {path} (epoch 3); run the same command again to resume")
