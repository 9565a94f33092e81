"""The corpus of token ids and its splits: a training head and a disjoint held-out tail (and a
test tail) of one text, or the three files of a pre-split corpus."""

from __future__ import annotations

import torch

from rnnlab.data.vocab import Vocab
from rnnlab.errors import DataError


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
