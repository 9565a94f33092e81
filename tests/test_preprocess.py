"""Tests of rnnlab.preprocess and the whitespace tokens: word_language_model's reading of a
pre-split corpus (train, valid and test files) and of one text; bad token kinds and min_freq."""

from pathlib import Path

import pytest

from rnnlab.data import load_data, split_data, whitespace_tokens
from rnnlab.download import bundled_corpus
from rnnlab.errors import DataError
from rnnlab.preprocess import SPLITS, preprocess, preprocess_files

WORDS = Path(__file__).parent / "data" / "words"
FILES = {split: WORDS / f"{split}.txt" for split in SPLITS}
NO_CUTS = {"train_tokens": 0, "val_tokens": 0}


def test_whitespace_tokens_follow_word_language_model():
    """Each line (ended by \\n, \\r\\n or \\r) split on any whitespace, then <eos>; case and
    punctuation kept; an empty line is one <eos>; a last line without a newline counts."""
    text = "The cat,  sat.\n\n\tA\tb \r\nC--d\re 'f'"
    assert whitespace_tokens(text) == [["The", "cat,", "sat.", "<eos>"], ["<eos>"],
                                       ["A", "b", "<eos>"], ["C--d", "<eos>"],
                                       ["e", "'f'", "<eos>"]]


def test_three_files_give_word_language_models_tokens(tmp_path):
    """The shipped corpus read as three files: each split holds exactly its file's tokens by
    word_language_model's rule, in order, and as many as its data.py counts (968, 256 and 262,
    vocabulary 645 + rnnlab's <unk>: checked once against it)."""
    stats = preprocess_files(FILES, "whitespace", tmp_path)
    corpus, vocab, loaded = load_data(tmp_path)
    assert loaded["splits"] == stats["splits"] == {"train": 968, "valid": 256, "test": 262}
    assert len(vocab) == 646
    for split, ids in zip(SPLITS, split_data(corpus, loaded, NO_CUTS), strict=True):
        with open(FILES[split], encoding="utf-8") as f:  # the rule: for line in f
            expected = [word for line in f for word in [*line.split(), "<eos>"]]
        assert vocab.to_tokens(ids.tolist()) == expected, split


def test_whitespace_on_one_text_keeps_case_and_punctuation(tmp_path):
    """token: whitespace also reads a single text, cut by train/val/test_tokens as usual."""
    stats = preprocess(FILES["train"], "whitespace", tmp_path)
    corpus, vocab, _ = load_data(tmp_path)
    assert stats["corpus_length"] == 968 and "splits" not in stats
    first = FILES["train"].read_text("utf-8").splitlines()[0].split()
    assert vocab.to_tokens(corpus[:len(first) + 1].tolist()) == [*first, "<eos>"]
    train, val, test = split_data(corpus, stats, {"train_tokens": 0, "val_tokens": 100,
                                                  "test_tokens": 50})
    assert (len(train), len(val), len(test)) == (818, 100, 50)


def test_token_counts_on_a_split_corpus_are_refused(tmp_path):
    """train_tokens, val_tokens and test_tokens cannot cut a corpus of three files."""
    preprocess_files(FILES, "whitespace", tmp_path)
    corpus, _, stats = load_data(tmp_path)
    with pytest.raises(DataError, match="data.val_tokens=10"):
        split_data(corpus, stats, {**NO_CUTS, "val_tokens": 10})


def test_an_empty_split_file_is_refused(tmp_path):
    """A valid or test file without two tokens to predict from is refused, naming it."""
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty.txt"):
        preprocess_files({**FILES, "test": tmp_path / "empty.txt"}, "whitespace",
                         tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_preprocess_refuses_unknown_token_without_output(tmp_path):
    """An unknown token kind writes nothing."""
    with pytest.raises(DataError, match="'syllable'"):
        preprocess(bundled_corpus(), "syllable", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_preprocess_refuses_a_min_freq_that_leaves_only_unk(tiny_text, tmp_path):
    """A min_freq above every count would make an all-<unk> corpus: refused, nothing written."""
    with pytest.raises(DataError, match="maps every char .* to <unk>"):
        preprocess(tiny_text, "char", tmp_path / "out", min_freq=10**9)
    assert not (tmp_path / "out").exists()
