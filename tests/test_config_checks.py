"""Tests of rnnlab.config.checks: rules across keys (tied, reset_after, held-out splits) and a
results folder that is safe to write into."""

import pytest
from helpers import minimal_config

from rnnlab.config import validate_config
from rnnlab.errors import ConfigError


@pytest.mark.parametrize("options, values", [
    ({"tied": True}, "embedding 0 and hidden 8"),
    ({"tied": True, "embedding": 16}, "embedding 16 and hidden 8"),
])
def test_tied_needs_embedding_equal_to_hidden(options, values):
    """tied: true without embedding == hidden is refused, naming tied, embedding and hidden."""
    config = minimal_config()
    config["variants"]["tiny"].update(options)
    with pytest.raises(ConfigError, match=r"variants\.tiny\.tied: .*variants\.tiny\.embedding "
                       r"== variants\.tiny\.hidden, got " + values):
        validate_config(config)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("impl", ["scratch", "torch"])
@pytest.mark.parametrize("reset_after", [None, True, False])
def test_schema_and_build_model_agree_on_reset_after(cell, impl, reset_after):
    """A variant's reset_after passes validation exactly when build_model accepts it."""
    from rnnlab.models import build_model

    variant = {"cell": cell, "impl": impl, "hidden": 4, "lr": 1}
    options = {} if reset_after is None else {"reset_after": reset_after}
    try:
        build_model(cell, impl, 5, 4, **options)
        builds = True
    except ValueError:
        builds = False
    try:
        validate_config({"variants": {"v": {**variant, **options}}})
        valid = True
    except ConfigError as err:
        assert "variants.v.reset_after" in str(err)
        valid = False
    assert valid == builds


@pytest.mark.parametrize("data,training,ok", [
    ({"val_tokens": 2}, {"patience": 3}, True),
    ({"val_tokens": 1}, {}, False),
    ({"val_tokens": 0}, {}, True),
    ({"val_tokens": 0}, {"patience": 1}, False),
    ({"test_tokens": 2}, {}, True),
    ({"test_tokens": 1}, {}, False),
])
def test_held_out_splits_hold_at_least_one_input_and_target(data, training, ok):
    """val_tokens and test_tokens are 0 or at least 2, and patience needs held-out text."""
    config = {**minimal_config(), "data": data, "training": training}
    if ok:
        validate_config(config)
    else:
        with pytest.raises(ConfigError, match=r"data\.(val|test)_tokens"):
            validate_config(config)
