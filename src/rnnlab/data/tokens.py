"""Reading a text and cutting it into tokens (Dive into Deep Learning, section 8.2): cleaned
lines of characters or words, or word_language_model's whitespace tokens (case and punctuation
kept, ``<eos>`` at each line's end)."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from rnnlab.errors import DataError

TOKEN_KINDS = ("char", "word", "whitespace")
EOS = "<eos>"
NON_LETTERS = re.compile("[^A-Za-z]+")


def clean_line(line: str) -> str:
    """Lower-case a line, turn each run of non-letters into one space, and strip it."""
    return NON_LETTERS.sub(" ", line).strip().lower()


def read_text(path: str | Path) -> str:
    """A text file as UTF-8. Bytes that are not valid UTF-8 become U+FFFD (a non-letter, so it
    cleans away like punctuation); a warning on stderr says how many there were."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read text file {str(path)!r}: {err.strerror}") from None
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - raw.decode("utf-8", errors="ignore").count("\ufffd")
    if bad:
        print(f"warning: {path}: {bad} invalid UTF-8 sequence(s); treated as non-letters",
              file=sys.stderr)
    return text


def read_lines(path: str | Path) -> list[str]:
    """Read a text file (see :func:`read_text`) into cleaned lines; empty lines stay in the
    list. A file with no letters at all is refused."""
    text = read_text(path)
    # The textbook's open(...).readlines(): lines end only at \n, \r\n and \r (universal
    # newlines), not at the form feeds and Unicode separators str.splitlines() also breaks at.
    lines = [clean_line(line) for line in io.StringIO(text, newline=None).readlines()]
    if not any(lines):
        raise DataError(f"the corpus {str(path)!r} is empty: it has no letters A-Z")
    return lines


def whitespace_tokens(text: str) -> list[list[str]]:
    """word_language_model's tokens (its data.py): each line, ended by \\n, \\r\\n or \\r,
    split on whitespace, then ``<eos>``; case and punctuation kept, an empty line is ``<eos>``."""
    return [[*line.split(), EOS] for line in io.StringIO(text, newline=None)]


def read_tokens(path: str | Path, token: str) -> list[list[str]]:
    """The tokens of a text file, line by line: ``whitespace`` as :func:`whitespace_tokens`,
    ``char`` and ``word`` of its cleaned lines (:func:`read_lines`, :func:`tokenize`)."""
    if token != "whitespace":
        return tokenize(read_lines(path), token)
    tokens = whitespace_tokens(read_text(path))
    if not tokens:
        raise DataError(f"the text {str(path)!r} is empty")
    return tokens


def tokenize(lines: Sequence[str], token: str = "char") -> list[list[str]]:
    """Split each (cleaned) line into characters (``char``) or words (``word``)."""
    if token == "char":
        return [list(line) for line in lines]
    if token == "word":
        return [line.split() for line in lines]
    raise DataError(f"unknown token kind {token!r} (expected char or word)")
