"""The vocabulary (section 8.2): token <-> id, by descending frequency."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Sequence


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
