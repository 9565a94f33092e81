"""Tests of rnnlab.predict: greedy text from a checkpoint for each prefix, as predictions.json."""

import json

import pytest
from helpers import rnnlab, tiny_config, write_config

from rnnlab.errors import GenerationError
from rnnlab.generate import generate
from rnnlab.predict import parse_prefixes, predict


@pytest.fixture(scope="module")
def best(tiny_data, tmp_path_factory):
    """best.pt of a tiny GRU trained one epoch by the command line."""
    root = tmp_path_factory.mktemp("predict")
    write_config(root / "config.yaml", tiny_config(epochs=1))
    rnnlab("train", "--config", root / "config.yaml", "--variant", "gru", "--data", tiny_data,
           "--out", root / "gru", "--quiet", check=True)
    return root / "gru" / "best.pt"


def test_predictions_are_the_greedy_text_of_each_prefix(best, tmp_path):
    """predictions.json maps each prefix, in order, to rnnlab generate's greedy text."""
    out = tmp_path / "predictions.json"
    texts = predict(best, ["traveller", "time"], 12, out)
    assert json.loads(out.read_text()) == texts
    assert list(texts) == ["traveller", "time"]
    for prefix, text in texts.items():
        assert text == generate(best, prefix, num_preds=12)[0][0]
        assert text.startswith(prefix) and len(text) == len(prefix) + 12


def test_the_command_line_writes_predictions(best, tmp_path):
    """rnnlab predict writes the file it is given."""
    out = tmp_path / "p.json"
    done = rnnlab("predict", "--checkpoint", best, "--prefixes", '["time traveller"]',
                  "--num-preds", "5", "--out", out)
    assert done.returncode == 0, done.stderr
    assert list(json.loads(out.read_text())) == ["time traveller"]


@pytest.mark.parametrize("text", ["time", "[]x", '["a", ""]', '{"a": 1}', "[1]"])
def test_prefixes_must_be_a_list_of_texts(text):
    """--prefixes that is not a JSON list of non-empty texts is refused, quoting it."""
    with pytest.raises(GenerationError, match="--prefixes must be a JSON list"):
        parse_prefixes(text)
