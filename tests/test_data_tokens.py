"""Tests of rnnlab.data's reading and tokens: cleaning, lines as the textbook reads them, char
and word tokens."""

import re

import pytest

from rnnlab.data import clean_line, read_lines, tokenize
from rnnlab.download import bundled_corpus
from rnnlab.errors import DataError


def test_clean_line_keeps_letters_lowercased():
    """Runs of non-letters become one space, then the line is stripped and lower-cased."""
    assert clean_line("  The Time-Traveller (for so...) 1895!  ") == "the time traveller for so"
    assert clean_line("1234 --") == ""


def test_tokenize_char_and_word():
    """char splits into characters, word splits on whitespace."""
    assert tokenize(["ab c"], "char") == [["a", "b", " ", "c"]]
    assert tokenize(["ab  c", ""], "word") == [["ab", "c"], []]


def test_tokenize_refuses_unknown_kind():
    """An unknown token kind is refused with the kind named."""
    with pytest.raises(DataError, match="'byte'"):
        tokenize(["abc"], "byte")


def test_read_lines_replaces_bad_utf8_with_a_warning(tmp_path, capsys):
    """Bytes that are not UTF-8 clean away as non-letters and a warning says so."""
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Caf\xe9 time\n\nmachine\xff\xfe!\n")
    assert read_lines(path) == ["caf time", "", "machine"]
    assert "3 invalid UTF-8" in capsys.readouterr().err


def test_read_lines_refuses_an_empty_corpus(tmp_path):
    """A text with no letters is refused."""
    path = tmp_path / "empty.txt"
    path.write_text("123\n\n--\n")
    with pytest.raises(DataError, match="empty"):
        read_lines(path)


def test_read_lines_splits_lines_as_the_textbook_reads_them(tmp_path):
    """A form feed and U+2028 inside a line of the lab's text are not line breaks: the lines
    are the textbook's readlines() cleaned with its re.sub, strip and lower."""
    text = bundled_corpus().read_text("utf-8")
    lines = text.split("\n")
    lines[100] = lines[100].replace(" ", "\x0c", 1)
    lines[200] = lines[200].replace(" ", "\u2028", 1)
    lines[300] = lines[300] + "\r"  # a \r\n line end
    path = tmp_path / "tm.txt"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    with open(path, encoding="utf-8") as f:  # the textbook's read_time_machine
        textbook = [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in f.readlines()]
    assert read_lines(path) == textbook
    assert len(textbook) == 3221
    assert read_lines(path)[100] == textbook[100] and " " in textbook[100]
