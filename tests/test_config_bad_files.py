"""A table of bad config files, each refused by rnnlab.config.load_config with one short line
naming the key: names that would become unsafe paths or wildcards, unsafe results folders,
values out of range or not finite, splits too small to measure, and inputs that would take
unbounded work (deep nesting, alias bombs, huge grids, huge files) or run code (templates)."""

import time

import pytest
import yaml
from helpers import minimal_config, rnnlab

from rnnlab.config import load_config
from rnnlab.config.schema import MESSAGE_CHARS
from rnnlab.errors import ConfigError

TINY = "variants: {tiny: {cell: gru, impl: torch, hidden: 8, lr: 1}}\n"
ALIAS_BOMB = "".join(
    [f"a0: &a0 [{', '.join(['x'] * 10)}]\n"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)])


def variant(name: str, **keys) -> str:
    """A config of one variant under ``name`` (a YAML double-quoted key), with ``keys``."""
    settings = {"cell": "gru", "impl": "torch", "hidden": 8, "lr": 1, **keys}
    return yaml.safe_dump({"variants": {name: settings}}, default_style=None)


BAD_FILES = [
    # names that become folders, wildcard values and shell words
    (variant("a\n"), "variants: variant name 'a\\n' is not allowed"),
    (variant("a;rm -rf x"), "variants: variant name 'a;rm -rf x'"),
    (variant("x" * 300), "limit of 120 characters"),
    (variant("ab" * 25), "repeated 20 or more times"),
    (variant("a" * 25 + "_" + "b" * 21), "repeated 20 or more times"),
    (variant("a--b c"), "variants: variant name 'a--b c'"),
    (TINY + "data: {name: \"corpus\\n\"}\n", "data.name"),
    (TINY + "data: {name: ../etc}\n", "data.name"),
    (TINY + "data: {name: " + "n" * 100 + "}\n", "data.name"),
    (TINY + "data: {sha1: \"" + "a" * 40 + "\\n\"}\n", "data.sha1"),
    (TINY + "sweeps: {\"s\\n\": {base: [tiny], grid: {seed: [1]}}}\n", "sweeps: sweep name"),
    (variant("tiny", init_from="a\nb.pt"), "variants.tiny.init_from"),
    # results folders that are not safe to write into
    (TINY + "results_dir: /\n", "results_dir: '/' is the root folder"),
    (TINY + "results_dir: //\n", "results_dir: '//' is the root folder"),
    (TINY + "results_dir: r$(touch X)x\n", "results_dir"),
    (TINY + "results_dir: \"a\\nb\"\n", "results_dir"),
    (TINY + "results_dir: \"-rf\"\n", "results_dir"),
    (TINY + "results_dir: \"{variant}\"\n", "results_dir"),
    (TINY + "results_dir: " + "r" * 300 + "\n", "results_dir"),
    # numbers that are not finite or past a sane limit (named in the message)
    (TINY + "training: {clip: .inf}\n", "training.clip: inf is not a finite number"),
    (TINY + "training: {anneal: .nan}\n", "training.anneal: nan is not a finite number"),
    (variant("tiny", dropout=float("nan")), "variants.tiny.dropout: nan is not a finite"),
    (variant("tiny", lr=float("-inf")), "variants.tiny.lr: -inf is not a finite number"),
    (variant("tiny", hidden=2**62), "variants.tiny.hidden: 4611686018427387904 is over the "
                                    "limit of 16384"),
    (variant("tiny", embedding=2**62), "variants.tiny.embedding: .* limit of 16384"),
    (variant("tiny", layers=1000), "variants.tiny.layers: 1000 is over the limit of 64"),
    (TINY + "training: {epochs: " + "9" * 401 + "}\n", "training.epochs: 999.* limit of 1000000"),
    (TINY + "training: {epochs: " + "9" * 5000 + "}\n", "cannot read: Exceeds the limit"),
    (TINY + "training: {num_preds: 100000000}\n", "training.num_preds: .* limit of 10000"),
    (TINY + "training: {batch_size: 1000000}\n", "training.batch_size: .* limit of 65536"),
    (TINY + "training: {num_steps: 1000000}\n", "training.num_steps: .* limit of 10000"),
    (TINY + "training: {prefixes: [" + ", ".join(["a"] * 101) + "]}\n",
     "training.prefixes: 101 items are over the limit of 100"),
    # held-out and test splits too small to measure
    (TINY + "data: {val_tokens: 1}\ntraining: {patience: 3}\n", "data.val_tokens: 1 token is "
                                                                 "too few"),
    (TINY + "data: {val_tokens: 0}\ntraining: {patience: 3}\n",
     "training.patience: 3 .* data.val_tokens: 0 holds out no text"),
    (variant("tiny", patience=2) + "data: {val_tokens: 0}\n", "variants.tiny.patience"),
    (TINY + "data: {test_tokens: 1}\n", "data.test_tokens: 1 token is too few"),
    # unbounded work, and code
    (TINY + "deep: " + "[" * 500 + "]" * 500 + "\n", "nested deeper than 12 levels"),
    (TINY + "deep: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than 12 levels"),
    (ALIAS_BOMB + TINY, "holds more than 100000 values"),
    (TINY + "sweeps: {s: {base: [tiny], grid: {lr: [0.5, .inf]}}}\n",
     "sweeps.s.grid.lr: inf is not a finite number"),
    (TINY + "sweeps: {s: {base: [tiny], grid: {seed: [" + ", ".join(map(str, range(1, 101)))
     + "], hidden: [" + ", ".join(map(str, range(1, 201))) + "]}}}\n",
     "generate 20000 variants, over the limit of 10000"),
    (TINY + "__use_yte__: true\n", "__use_yte__ marks a template"),
    (TINY + "# " + "x" * 1_000_001 + "\n", "over the limit of 1000000 bytes"),
]


@pytest.mark.parametrize("text,named", BAD_FILES, ids=range(len(BAD_FILES)))
def test_a_bad_config_file_is_one_short_line_naming_the_key(text, named, tmp_path):
    """Each bad file is a ConfigError of one line, at most MESSAGE_CHARS long, naming the key
    (each part of ``named`` around ".*"), within two seconds whatever its size."""
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert time.perf_counter() - started < 2
    assert "\n" not in message and len(message) <= MESSAGE_CHARS, message
    assert all(part in message for part in named.split(".*")), message


def test_a_results_dir_that_names_a_file_is_refused(tmp_path):
    """results_dir naming an existing file (not a folder) is refused naming the key."""
    (tmp_path / "notes.txt").write_text("mine\n")
    path = tmp_path / "bad.yaml"
    path.write_text(TINY + f"results_dir: {tmp_path / 'notes.txt'}\n")
    with pytest.raises(ConfigError, match="results_dir: .* names an existing file"):
        load_config(path)
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


@pytest.mark.parametrize("results_dir", ["results", "notes.txt results", "out/run-1.2+x",
                                         "/tmp/lab results", "../elsewhere"])
def test_safe_results_dirs_are_accepted(results_dir):
    """Folders of letters, digits, spaces and _ . - / + , @ = pass."""
    from rnnlab.config import validate_config

    assert validate_config({**minimal_config(), "results_dir": results_dir})["results_dir"] \
        == results_dir


@pytest.mark.parametrize("index", [0, 19, 37, 38])
def test_the_command_line_prints_one_line_and_fails(index, tmp_path):
    """`rnnlab train --config BAD` exits non-zero with one line on stderr, no traceback."""
    text, named = BAD_FILES[index]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = rnnlab("train", "--config", path, "--variant", "tiny", "--data", tmp_path,
                    "--out", tmp_path / "out")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "config" in result.stderr
