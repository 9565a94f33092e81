"""Tests of rnnlab.data: cleaning, tokens, vocabulary, corpus split, iterators, preprocess."""

import json
import re
import shutil
from pathlib import Path

import pytest
import torch

from rnnlab.data import (
    Vocab,
    batches,
    clean_line,
    load_data,
    read_lines,
    split_corpus,
    split_test,
    tokenize,
)
from rnnlab.download import bundled_corpus
from rnnlab.errors import DataError
from rnnlab.preprocess import preprocess


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


def test_vocab_orders_by_frequency_with_first_seen_ties():
    """<unk> is 0, then tokens by descending count; equal counts keep first-seen order."""
    vocab = Vocab([["c", "a", "b", "a", "b", "d"]])
    assert vocab.idx_to_token == ["<unk>", "a", "b", "c", "d"]
    assert vocab["a"] == 1 and vocab["d"] == 4
    assert vocab.token_freqs[:2] == [("a", 2), ("b", 2)]


def test_vocab_unknown_tokens_map_to_unk():
    """A token outside the vocabulary looks up as id 0 and to_tokens inverts lookups."""
    vocab = Vocab(list("hello"))
    assert vocab["z"] == 0 and vocab[["h", "z"]] == [vocab["h"], 0]
    assert vocab.to_tokens(vocab[list("hel")]) == list("hel")
    assert vocab.to_tokens(0) == "<unk>"


def test_vocab_min_freq_and_reserved_tokens():
    """Reserved tokens follow <unk>; tokens rarer than min_freq are dropped."""
    vocab = Vocab(list("aaabbc"), min_freq=2, reserved_tokens=["<pad>", "<bos>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "<bos>", "a", "b"]
    assert vocab["c"] == 0


def test_vocab_round_trips_through_dict():
    """to_dict/from_dict keeps ids and frequencies."""
    vocab = Vocab(list("the time machine"))
    again = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert again.idx_to_token == vocab.idx_to_token
    assert again.token_freqs == vocab.token_freqs


def test_split_corpus_is_disjoint_head_and_tail():
    """train_tokens takes the head, val_tokens the tail, and they never overlap."""
    corpus = torch.arange(100)
    train, val = split_corpus(corpus, 30, 20)
    assert train.tolist() == list(range(30)) and val.tolist() == list(range(80, 100))
    train, val = split_corpus(corpus, 90, 20)
    assert train.tolist() == list(range(80))
    train, val = split_corpus(corpus, 0, 0)
    assert len(train) == 100 and len(val) == 0


def test_split_corpus_refuses_no_training_tokens():
    """val_tokens that leave nothing to train on are refused."""
    with pytest.raises(DataError, match="val_tokens=100"):
        split_corpus(torch.arange(100), 10, 100)


@pytest.mark.parametrize("train_tokens, val_tokens, test_tokens", [
    (30, 20, 10), (0, 20, 10), (0, 0, 10), (90, 20, 15), (0, 30, 0)])
def test_test_split_is_the_very_end_and_disjoint(train_tokens, val_tokens, test_tokens):
    """split_test takes the last test_tokens; validation is the tail just before it; the three
    splits have the asked-for sizes and share no position."""
    corpus = torch.arange(100)
    rest, test = split_test(corpus, test_tokens)
    train, val = split_corpus(rest, train_tokens, val_tokens)
    assert test.tolist() == list(range(100 - test_tokens, 100))
    assert val.tolist() == list(range(100 - test_tokens - val_tokens, 100 - test_tokens))
    available = 100 - test_tokens - val_tokens
    assert train.tolist() == list(range(min(train_tokens or available, available)))
    positions = [set(t.tolist()) for t in (train, val, test)]
    assert sum(map(len, positions)) == len(set().union(*positions))


@pytest.mark.parametrize("test_tokens, message", [
    (-1, "test_tokens must be >= 0, got -1"), (99, "test_tokens=99 leaves nothing to train on")])
def test_split_test_refuses_bad_sizes(test_tokens, message):
    """A negative test split, or one that leaves nothing to train on, is refused."""
    with pytest.raises(DataError, match=message):
        split_test(torch.arange(100), test_tokens)


@pytest.mark.parametrize("sampling", ["random", "sequential"])
def test_targets_are_inputs_shifted_by_one(sampling):
    """Y is X shifted by one token in both samplings."""
    corpus = torch.arange(500)
    gen = torch.Generator().manual_seed(0)
    count = 0
    for X, Y in batches(corpus, 4, 7, sampling, gen):
        assert X.shape == Y.shape == (4, 7)
        assert torch.equal(Y, X + 1)
        count += 1
    assert count > 0


def test_sequential_rows_continue_across_batches():
    """Row i of batch k+1 starts where row i of batch k ended."""
    corpus = torch.arange(1000)
    gen = torch.Generator().manual_seed(3)
    pairs = list(batches(corpus, 5, 6, "sequential", gen))
    for (X0, _), (X1, _) in zip(pairs, pairs[1:], strict=False):
        assert torch.equal(X1[:, 0], X0[:, -1] + 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_uses_each_subsequence_at_most_once(seed):
    """Random sampling never repeats a subsequence start within an epoch, and they align."""
    corpus = torch.arange(1000)
    gen = torch.Generator().manual_seed(seed)
    starts = [int(x) for X, _ in batches(corpus, 4, 10, "random", gen) for x in X[:, 0]]
    assert len(starts) == len(set(starts))
    assert len({s % 10 for s in starts}) == 1  # one random offset for the epoch


@pytest.mark.parametrize("sampling,expected", [("random", (9, 10)), ("sequential", (9, 10))])
def test_batch_counts(sampling, expected):
    """1000 tokens in 4x25 batches give 9-10 batches depending on the random offset."""
    corpus = torch.arange(1000)
    for seed in range(10):
        gen = torch.Generator().manual_seed(seed)
        assert len(list(batches(corpus, 4, 25, sampling, gen))) in expected


def test_textbook_batch_count_on_lab_corpus():
    """The lab's 10000 training characters give 8 batches of 32x35 per epoch, as the peer."""
    gen = torch.Generator().manual_seed(0)
    assert len(list(batches(torch.arange(10000), 32, 35, "sequential", gen))) == 8


def test_batches_refuse_a_corpus_shorter_than_one_batch():
    """A corpus shorter than one batch says how many tokens it needs and has."""
    with pytest.raises(DataError, match="needs at least 141 tokens and has 50"):
        list(batches(torch.arange(50), 4, 28, "sequential", torch.Generator()))


def test_batches_refuse_unknown_sampling():
    """An unknown sampling is named."""
    with pytest.raises(DataError, match="'shuffle'"):
        batches(torch.arange(500), 4, 7, "shuffle", torch.Generator())


@pytest.mark.parametrize("sampling", ["random", "sequential"])
def test_batches_follow_the_corpus_device(sampling):
    """Batches come on the corpus's device (CUDA too, where there is one)."""
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        corpus = torch.arange(500, device=device)
        X, Y = next(batches(corpus, 4, 7, sampling, torch.Generator().manual_seed(0)))
        assert X.device.type == Y.device.type == device


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


def test_preprocess_refuses_unknown_token_without_output(tmp_path):
    """An unknown token kind writes nothing."""
    with pytest.raises(DataError, match="'syllable'"):
        preprocess(bundled_corpus(), "syllable", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_load_data_refuses_missing_directory(tmp_path):
    """A missing data directory is named."""
    with pytest.raises(DataError, match="does not exist"):
        load_data(tmp_path / "nope")


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


def test_preprocess_refuses_a_min_freq_that_leaves_only_unk(tiny_text, tmp_path):
    """A min_freq above every count would make an all-<unk> corpus: refused, nothing written."""
    with pytest.raises(DataError, match="maps every char .* to <unk>"):
        preprocess(tiny_text, "char", tmp_path / "out", min_freq=10**9)
    assert not (tmp_path / "out").exists()
