"""Tests of rnnlab.data's reading back of the data folder: the lab's figures, and every
corruption or mix of its files refused."""

import json
import shutil
from pathlib import Path

import pytest

from rnnlab.data import load_data
from rnnlab.download import bundled_corpus
from rnnlab.errors import DataError
from rnnlab.preprocess import preprocess


def test_lab_figures_on_the_bundled_corpus(tmp_path):
    """The bundled Time Machine gives the lab's 170580 characters, 28 tokens and 3221 lines."""
    stats = preprocess(bundled_corpus(), "char", tmp_path)
    assert stats["corpus_length"] == 170580
    assert stats["vocab_size"] == 28
    assert stats["num_lines"] == 3221
    assert stats["top_token_freqs"][0] == [" ", 29927]
    assert stats["top_token_freqs"][1] == ["e", 17838]
    on_disk = json.loads((tmp_path / "stats.json").read_text())
    assert set(on_disk) >= {"token", "num_lines", "corpus_length", "vocab_size",
                            "first_tokens", "top_token_freqs"}
    corpus, vocab, _ = load_data(tmp_path)
    assert len(corpus) == 170580 and len(vocab) == 28
    assert corpus[:10].tolist() == on_disk["first_tokens"]
    assert "".join(vocab.to_tokens(corpus[:13].tolist())) == "the time mach"


def test_word_corpus_of_the_lab(tmp_path):
    """Word tokens of the lab's text: 'the' is the most frequent word."""
    stats = preprocess(bundled_corpus(), "word", tmp_path)
    assert stats["top_token_freqs"][0] == ["the", 2261]
    assert stats["corpus_length"] == 32775


def test_load_data_refuses_missing_directory(tmp_path):
    """A missing data directory is named."""
    with pytest.raises(DataError, match="does not exist"):
        load_data(tmp_path / "nope")


@pytest.fixture
def data_copy(tiny_data, tmp_path):
    """A writable copy of the tiny preprocessed data folder."""
    return Path(shutil.copytree(tiny_data, tmp_path / "data"))


def _edit_json(path, change):
    data = json.loads(path.read_text())
    path.write_text(json.dumps(change(data)))


CORRUPTIONS = {  # case -> (what to do to the data folder, what the error says)
    "vocab not a dict": (lambda d: (d / "vocab.json").write_text("[1, 2]"),
                         "vocab.json is not a vocabulary of rnnlab preprocess: idx_to_token"),
    "vocab ids not strings": (
        lambda d: _edit_json(d / "vocab.json", lambda v: {**v, "idx_to_token": [0, 1]}),
        "idx_to_token must be a list of strings"),
    "vocab without unk": (
        lambda d: _edit_json(d / "vocab.json",
                             lambda v: {**v, "idx_to_token": v["idx_to_token"][1:]}),
        "must start with <unk>"),
    "all-unk vocab": (
        lambda d: _edit_json(d / "vocab.json", lambda v: {**v, "idx_to_token": ["<unk>"]}),
        "holds only <unk>"),
    "bad token_freqs": (
        lambda d: _edit_json(d / "vocab.json", lambda v: {**v, "token_freqs": [["a", None]]}),
        "token_freqs must be a list of [token, count] pairs"),
    "stats not a dict": (lambda d: (d / "stats.json").write_text('"x"'),
                         "stats.json must hold a JSON object"),
    "stats length a string": (
        lambda d: _edit_json(d / "stats.json", lambda s: {**s, "corpus_length": "12"}),
        "corpus_length must be a int, got '12'"),
    "empty corpus": (lambda d: (d / "corpus.int32").write_bytes(b""),
                     "corpus.int32 is empty"),
    "truncated corpus": (
        lambda d: (d / "corpus.int32").write_bytes((d / "corpus.int32").read_bytes()[:400]),
        "holds 100 tokens but stats.json says"),
    "odd byte count": (
        lambda d: (d / "corpus.int32").write_bytes((d / "corpus.int32").read_bytes()[:-1]),
        "is not int32"),
    "vocab of another text": (
        lambda d: _edit_json(d / "vocab.json",
                             lambda v: {**v, "idx_to_token": v["idx_to_token"][:5]}),
        "has 5 tokens but stats.json says"),
    "ids out of range": (
        lambda d: (_edit_json(d / "vocab.json",
                              lambda v: {**v, "idx_to_token": v["idx_to_token"][:5]}),
                   _edit_json(d / "stats.json", lambda s: {**s, "vocab_size": 5})),
        "has token ids in [1, 27] but vocab.json has 5 tokens"),
    "corpus of another text": (
        lambda d: (d / "corpus.int32").write_bytes(
            (d / "corpus.int32").read_bytes()[4:] + (d / "corpus.int32").read_bytes()[:4]),
        "does not start with the ids stats.json lists"),
}


@pytest.mark.parametrize("case", CORRUPTIONS)
def test_load_data_refuses_a_corrupt_or_mixed_folder(data_copy, case):
    """Each corruption of a data folder is one DataError naming the file and the fix."""
    corrupt, needle = CORRUPTIONS[case]
    corrupt(data_copy)
    with pytest.raises(DataError) as caught:
        load_data(data_copy)
    message = str(caught.value)
    assert needle in message and "rerun `rnnlab preprocess" in message
    assert "\n" not in message
