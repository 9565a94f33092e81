"""``rnnlab preprocess``: one text, or a corpus that comes pre-split into train, valid and test
files (as Penn Treebank and WikiText do), tokenized into ``corpus.int32``, ``vocab.json`` and
``stats.json``, which :func:`rnnlab.data.load_data` reads back.

With three files the vocabulary is built over all three, as word_language_model's data.py
builds its dictionary, and the corpus is the three files' ids one after the other; stats.json's
``splits`` gives their lengths, so training reads the valid file as the held-out text and the
test file as the test text.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from rnnlab.data import (
    CORPUS_FILE,
    STATS_FILE,
    TOKEN_KINDS,
    VOCAB_FILE,
    Vocab,
    build_corpus,
    read_tokens,
)
from rnnlab.errors import DataError
from rnnlab.fileio import atomic_write_bytes, atomic_write_text, ensure_dir

SPLITS = ("train", "valid", "test")


def preprocess(text: str | Path, token: str, out: str | Path, min_freq: int = 0) -> dict:
    """Tokenize one text and write ``vocab.json``, the corpus ids and ``stats.json`` under ``out``.

    The corpus is little-endian int32 (``corpus.int32``), read back by :func:`load_corpus`.
    Returns the stats.
    """
    check_token_options(token, min_freq)
    tokens = read_tokens(text, token)
    vocab = checked_vocab(tokens, token, min_freq, text)
    corpus = torch.tensor(build_corpus(tokens, vocab), dtype=torch.int32)
    if len(corpus) == 0:
        raise DataError(f"the corpus {str(text)!r} is empty after tokenizing")
    return write_data(out, corpus, vocab, {"token": token, "num_lines": len(tokens)}, min_freq)


def check_token_options(token: str, min_freq) -> None:
    """Refuse an unknown token kind or a bad min_freq before anything is read."""
    if token not in TOKEN_KINDS:
        raise DataError(f"unknown token kind {token!r} (expected one of "
                        f"{', '.join(TOKEN_KINDS)})")
    if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 0:
        raise DataError(f"min_freq must be an integer >= 0, got {min_freq!r}")


def checked_vocab(tokens: list[list[str]], token: str, min_freq: int, source) -> Vocab:
    """The vocabulary of ``tokens``, refused when min_freq leaves only ``<unk>``."""
    vocab = Vocab(tokens, min_freq=min_freq)
    if len(vocab) < 2:
        raise DataError(f"min_freq {min_freq} maps every {token} of {str(source)!r} to <unk>: "
                        "there would be nothing to learn")
    return vocab


def write_data(out: str | Path, corpus: torch.Tensor, vocab: Vocab, stats: dict,
               min_freq: int) -> dict:
    """Write the corpus ids, ``vocab.json`` and ``stats.json`` (``stats`` completed) under
    ``out``; returns the stats."""
    stats = {**stats, "corpus_length": len(corpus), "vocab_size": len(vocab),
             "min_freq": min_freq, "first_tokens": corpus[:10].tolist(),
             "top_token_freqs": [[tok, freq] for tok, freq in vocab.token_freqs[:10]]}
    out = Path(out)
    ensure_dir(out)
    data = corpus.numpy().astype("<i4").tobytes()
    atomic_write_bytes(out / CORPUS_FILE, data)
    atomic_write_text(out / VOCAB_FILE, json.dumps(vocab.to_dict(), ensure_ascii=False))
    atomic_write_text(out / STATS_FILE, json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return stats


def preprocess_files(files: dict, token: str, out: str | Path, min_freq: int = 0) -> dict:
    """Tokenize the ``train``, ``valid`` and ``test`` files of ``files`` (split -> path) and
    write one corpus of the three, train first, under ``out``; returns the stats."""
    check_token_options(token, min_freq)
    if sorted(files) != sorted(SPLITS):
        raise DataError(f"expected the files {', '.join(SPLITS)}, got {', '.join(files)}")
    tokens = {split: read_tokens(files[split], token) for split in SPLITS}
    every_line = [line for split in SPLITS for line in tokens[split]]
    vocab = checked_vocab(every_line, token, min_freq, files["train"])
    ids = {split: build_corpus(tokens[split], vocab) for split in SPLITS}
    for split in SPLITS:
        if len(ids[split]) < 2:
            raise DataError(f"the {split} file {str(files[split])!r} has {len(ids[split])} "
                            "token(s): too few to predict one from another")
    corpus = torch.tensor([i for split in SPLITS for i in ids[split]], dtype=torch.int32)
    stats = {"token": token, "num_lines": len(every_line),
             "splits": {split: len(ids[split]) for split in SPLITS}}
    return write_data(out, corpus, vocab, stats, min_freq)
