"""Text preprocessing as in Dive into Deep Learning, sections 8.2-8.3.

Reading and cleaning lines, char and word tokens (and word_language_model's whitespace tokens:
case and punctuation kept, ``<eos>`` at each line's end), the vocabulary, the corpus of token
ids with a training head and a disjoint held-out tail (or the splits of three files), and the
two minibatch iterators (random and sequential sampling). Everything is deterministic given a
``torch.Generator``.
"""

from __future__ import annotations

import collections
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import torch

from rnnlab.errors import DataError

TOKEN_KINDS = ("char", "word", "whitespace")
EOS = "<eos>"
SAMPLINGS = ("random", "sequential")
NON_LETTERS = re.compile("[^A-Za-z]+")
CORPUS_FILE = "corpus.int32"
VOCAB_FILE = "vocab.json"
STATS_FILE = "stats.json"


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


def count_tokens(tokens: Iterable) -> collections.Counter:
    """Count tokens of a flat or nested (lines of tokens) list, in first-seen order."""
    tokens = list(tokens)
    if tokens and isinstance(tokens[0], list):
        tokens = [tok for line in tokens for tok in line]
    return collections.Counter(tokens)


class Vocab:
    """Token <-> id mapping: ``<unk>`` is 0, reserved tokens follow, then tokens by descending
    frequency (ties keep the order in which they first appear). Tokens rarer than ``min_freq``
    are left out and map to ``<unk>``."""

    unk = 0

    def __init__(self, tokens: Iterable = (), min_freq: int = 0,
                 reserved_tokens: Sequence[str] = ()):
        counter = count_tokens(tokens)
        # sorted() is stable and Counter keeps first-seen order, so ties stay in that order.
        self.token_freqs = sorted(counter.items(), key=lambda item: item[1], reverse=True)
        self.idx_to_token = ["<unk>", *reserved_tokens]
        for tok, freq in self.token_freqs:
            if freq < min_freq:
                break
            if tok not in self.idx_to_token:
                self.idx_to_token.append(tok)
        self.token_to_idx = {tok: idx for idx, tok in enumerate(self.idx_to_token)}

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        """The id of one token, or the list of ids of a list of tokens; unknown ones give 0."""
        if isinstance(tokens, (list, tuple)):
            return [self[tok] for tok in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def to_tokens(self, indices):
        """The token of one id, or the tokens of a list of ids."""
        if isinstance(indices, (list, tuple)):
            return [self.idx_to_token[int(idx)] for idx in indices]
        return self.idx_to_token[int(indices)]

    def to_dict(self) -> dict:
        return {"idx_to_token": list(self.idx_to_token),
                "token_freqs": [[tok, freq] for tok, freq in self.token_freqs]}

    @classmethod
    def from_dict(cls, data: dict) -> Vocab:
        vocab = cls()
        vocab.idx_to_token = list(data["idx_to_token"])
        vocab.token_freqs = [(tok, int(freq)) for tok, freq in data.get("token_freqs", [])]
        vocab.token_to_idx = {tok: idx for idx, tok in enumerate(vocab.idx_to_token)}
        return vocab


def build_corpus(tokens: list[list[str]], vocab: Vocab) -> list[int]:
    """The ids of all tokens of all lines, flattened in order."""
    return [vocab[tok] for line in tokens for tok in line]


def split_corpus(corpus: torch.Tensor, train_tokens: int | None,
                 val_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a corpus into a training head and a disjoint held-out tail.

    ``val_tokens`` takes the last tokens of the text; ``train_tokens`` (the textbook's
    ``max_tokens``; ``None`` or 0 for all) takes the first tokens of what is left.
    """
    if val_tokens < 0:
        raise DataError(f"val_tokens must be >= 0, got {val_tokens}")
    available = len(corpus) - val_tokens
    if available <= 1:
        raise DataError(f"val_tokens={val_tokens} leaves nothing to train on: the corpus has "
                        f"{len(corpus)} tokens")
    n_train = available if not train_tokens else min(train_tokens, available)
    return corpus[:n_train], corpus[available:]


def split_test(corpus: torch.Tensor, test_tokens: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Hold out the last ``test_tokens`` tokens as a test split: (the rest, the test tail).

    The rest then goes to ``split_corpus``, so the validation tail comes just before the test
    tail and the three splits are disjoint. ``test_tokens=0`` gives an empty test split.
    """
    if test_tokens < 0:
        raise DataError(f"test_tokens must be >= 0, got {test_tokens}")
    if len(corpus) - test_tokens <= 1:
        raise DataError(f"test_tokens={test_tokens} leaves nothing to train on: the corpus has "
                        f"{len(corpus)} tokens")
    rest = len(corpus) - test_tokens
    return corpus[:rest], corpus[rest:]


def check_batchable(corpus: torch.Tensor, batch_size: int, num_steps: int) -> None:
    """Refuse a corpus too short to give one batch whatever the random offset."""
    needed = batch_size * num_steps + num_steps + 1
    if len(corpus) < needed:
        raise DataError(f"the corpus is too short for one batch of {batch_size}x{num_steps}: "
                        f"it needs at least {needed} tokens and has {len(corpus)}")


def random_batches(corpus: torch.Tensor, batch_size: int, num_steps: int,
                   generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Random sampling: a random offset, then subsequences in shuffled order, each used once.

    Yields ``(X, Y)`` of shape ``(batch, steps)`` on the corpus's device; Y is X shifted by one.
    """
    check_batchable(corpus, batch_size, num_steps)
    offset = int(torch.randint(0, num_steps, (1,), generator=generator))
    num_subseqs = (len(corpus) - offset - 1) // num_steps
    starts = offset + num_steps * torch.randperm(num_subseqs, generator=generator)
    num_batches = num_subseqs // batch_size
    index = starts[:num_batches * batch_size, None] + torch.arange(num_steps)
    # One transfer an epoch: (batches, batch, steps) on the corpus's device.
    index = index.reshape(num_batches, batch_size, num_steps).to(corpus.device)
    for batch_index in index:
        yield corpus[batch_index], corpus[batch_index + 1]  # (batch, steps) each


def sequential_batches(corpus: torch.Tensor, batch_size: int, num_steps: int,
                       generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Sequential sampling: a random offset, the corpus reshaped into ``batch_size`` rows, and
    windows of ``num_steps`` handed out in order, so row i of batch k+1 continues row i of
    batch k. Yields ``(X, Y)`` of shape ``(batch, steps)``."""
    check_batchable(corpus, batch_size, num_steps)
    offset = int(torch.randint(0, num_steps + 1, (1,), generator=generator))
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    rows_x = corpus[offset:offset + num_tokens].reshape(batch_size, -1)
    rows_y = corpus[offset + 1:offset + 1 + num_tokens].reshape(batch_size, -1)
    for start in range(0, (rows_x.shape[1] // num_steps) * num_steps, num_steps):
        yield rows_x[:, start:start + num_steps], rows_y[:, start:start + num_steps]


def batches(corpus: torch.Tensor, batch_size: int, num_steps: int, sampling: str,
            generator: torch.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The minibatches of one epoch with the given sampling (``random`` or ``sequential``)."""
    if sampling == "random":
        return random_batches(corpus, batch_size, num_steps, generator)
    if sampling == "sequential":
        return sequential_batches(corpus, batch_size, num_steps, generator)
    raise DataError(f"unknown sampling {sampling!r} (expected one of {', '.join(SAMPLINGS)})")


def split_data(corpus: torch.Tensor, stats: dict, settings: dict) \
        -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(train, held-out, test) ids. A corpus of three files (stats.json has ``splits``) is cut
    at the files' ends, and then ``train_tokens``, ``val_tokens`` and ``test_tokens`` must be 0.
    One text: the test tail is its very end, the held-out tail comes before it and the training
    tokens are the first ``train_tokens`` of the rest (:func:`split_test`, :func:`split_corpus`).
    """
    keys = ("train_tokens", "val_tokens", "test_tokens")
    if "splits" not in stats:
        text_ids, test_ids = split_test(corpus, settings.get("test_tokens", 0))
        return (*split_corpus(text_ids, settings["train_tokens"], settings["val_tokens"]),
                test_ids)
    given = [key for key in keys if settings.get(key)]
    if given:
        raise DataError(f"data.{given[0]}={settings[given[0]]} cannot cut a corpus of train, "
                        "valid and test files (data.files): the files are the splits")
    return corpus.split([stats["splits"][name] for name in ("train", "valid", "test")])


def load_data(directory: str | Path) -> tuple[torch.Tensor, Vocab, dict]:
    """Read what ``rnnlab preprocess`` wrote: the corpus (int64 tensor), the vocabulary, the stats.

    The three files must agree with each other (the corpus's length and first ids with
    stats.json, its ids with the vocabulary's size); a folder that is corrupt, half-written
    or mixed from two texts is a DataError naming the file.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"data directory {str(directory)!r} does not exist "
                        "(run `rnnlab preprocess` first)")
    rerun = f"rerun `rnnlab preprocess --out {directory}`"
    try:
        raw = (directory / CORPUS_FILE).read_bytes()
        vocab_data = json.loads((directory / VOCAB_FILE).read_text("utf-8"))
        stats = json.loads((directory / STATS_FILE).read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise DataError(f"data directory {str(directory)!r} is incomplete or corrupt: {err}; "
                        f"{rerun}") from None
    vocab = _checked_vocab(vocab_data, directory / VOCAB_FILE, rerun)
    _check_stats(stats, directory / STATS_FILE, rerun)
    corpus_path = directory / CORPUS_FILE
    if len(raw) % 4:
        raise DataError(f"{corpus_path} is corrupt: {len(raw)} bytes is not int32; {rerun}")
    if not raw:
        raise DataError(f"{corpus_path} is empty; {rerun}")
    corpus = torch.frombuffer(bytearray(raw), dtype=torch.int32).to(torch.int64)
    if len(corpus) != stats["corpus_length"]:
        raise DataError(f"{corpus_path} holds {len(corpus)} tokens but {STATS_FILE} says "
                        f"{stats['corpus_length']} (truncated or from another text); {rerun}")
    if len(vocab) != stats["vocab_size"]:
        raise DataError(f"{directory / VOCAB_FILE} has {len(vocab)} tokens but {STATS_FILE} "
                        f"says {stats['vocab_size']} (from another text?); {rerun}")
    low, high = int(corpus.min()), int(corpus.max())
    if low < 0 or high >= len(vocab):
        raise DataError(f"{corpus_path} has token ids in [{low}, {high}] but {VOCAB_FILE} "
                        f"has {len(vocab)} tokens (the files come from different texts); {rerun}")
    first = stats.get("first_tokens")
    if isinstance(first, list) and corpus[:len(first)].tolist() != first:
        raise DataError(f"{corpus_path} does not start with the ids {STATS_FILE} lists "
                        f"(the files come from different texts); {rerun}")
    if high == 0:
        raise DataError(f"every token of {corpus_path} is <unk>: there is nothing to learn "
                        f"(min_freq {stats.get('min_freq', 0)} too high?); {rerun}")
    return corpus, vocab, stats


def _checked_vocab(data, path: Path, rerun: str) -> Vocab:
    """The Vocab of a vocab.json, refused unless it has the shape :meth:`Vocab.to_dict` gives."""
    tokens = data.get("idx_to_token") if isinstance(data, dict) else None
    freqs = data.get("token_freqs", []) if isinstance(data, dict) else None
    problem = None
    if not isinstance(tokens, list) or not all(isinstance(tok, str) for tok in tokens):
        problem = "idx_to_token must be a list of strings"
    elif not tokens or tokens[0] != "<unk>":
        problem = "idx_to_token must start with <unk>"
    elif len(set(tokens)) != len(tokens):
        problem = "idx_to_token lists a token twice"
    elif not isinstance(freqs, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
            and isinstance(pair[1], int) and not isinstance(pair[1], bool) for pair in freqs):
        problem = "token_freqs must be a list of [token, count] pairs"
    elif len(tokens) < 2:
        problem = "the vocabulary holds only <unk>, so every token is unknown"
    if problem:
        raise DataError(f"{path} is not a vocabulary of rnnlab preprocess: {problem}; {rerun}")
    return Vocab.from_dict(data)


def _check_stats(stats, path: Path, rerun: str) -> None:
    """Refuse a stats.json without the keys and types load_data and train rely on."""
    if not isinstance(stats, dict):
        raise DataError(f"{path} must hold a JSON object; {rerun}")
    for key, kind in (("token", str), ("corpus_length", int), ("vocab_size", int)):
        value = stats.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise DataError(f"{path}: {key} must be a {kind.__name__}, got {value!r}; {rerun}")
    if stats["token"] not in TOKEN_KINDS:
        raise DataError(f"{path}: unknown token kind {stats['token']!r}; {rerun}")
    splits = stats.get("splits")
    if splits is not None and (
            not isinstance(splits, dict) or sorted(splits) != ["test", "train", "valid"]
            or not all(isinstance(n, int) and n >= 0 for n in splits.values())
            or sum(splits.values()) != stats["corpus_length"]):
        raise DataError(f"{path}: splits must give the train, valid and test lengths, summing "
                        f"to corpus_length; {rerun}")
