"""Tests of rnnlab.config.init_from: init_from: variant:NAME names a variant's best.pt."""

import pytest
from helpers import tiny_config

from rnnlab.config import check_init_from, init_from_path, init_from_variant, validate_config
from rnnlab.errors import ConfigError


def test_a_variant_name_means_its_best_checkpoint():
    """variant:NAME is NAME's best.pt under the models folder; a path stays as it is."""
    assert init_from_variant("variant:rnn") == "rnn"
    assert init_from_variant("results/models/rnn/best.pt") is None
    assert init_from_path("variant:rnn", "out/models") == "out/models/rnn/best.pt"
    assert init_from_path("elsewhere/checkpoint.pt", "out/models") == "elsewhere/checkpoint.pt"


def test_a_chain_of_variants_is_valid():
    """gru starts from rnn's weights and lstm from gru's: a valid config."""
    config = tiny_config()
    config["variants"]["gru"]["init_from"] = "variant:rnn"
    config["variants"]["lstm"]["init_from"] = "variant:gru"
    check_init_from(validate_config(config))
    assert config["variants"]["lstm"]["init_from"] == "variant:gru"


@pytest.mark.parametrize("links, message", [
    ({"gru": "variant:nope"}, "variants.gru.init_from: unknown variant 'nope'"),
    ({"gru": "variant:gru"}, "variants.gru.init_from: a cycle: gru <- gru"),
    ({"gru": "variant:lstm", "lstm": "variant:gru"},
     "variants.gru.init_from: a cycle: gru <- lstm <- gru"),
])
def test_unknown_or_circular_sources_are_refused(links, message):
    """A variant:NAME that names no variant, or leads back to itself, is refused naming it."""
    config = tiny_config()
    for name, value in links.items():
        config["variants"][name]["init_from"] = value
    with pytest.raises(ConfigError, match=message):
        check_init_from(validate_config(config))
