"""The data folder ``rnnlab preprocess`` writes (its file names), read back and checked."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from rnnlab.data.tokens import TOKEN_KINDS
from rnnlab.data.vocab import Vocab
from rnnlab.errors import DataError

CORPUS_FILE = "corpus.int32"
VOCAB_FILE = "vocab.json"
STATS_FILE = "stats.json"


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
