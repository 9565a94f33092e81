"""Tests of rnnlab.training.settings: one typed object per job, as the config resolved it."""

import dataclasses

import pytest
from helpers import tiny_config

from rnnlab.config import resolve_variant, settings_json, validate_config
from rnnlab.errors import ConfigError
from rnnlab.training import KEYS, Settings


@pytest.mark.parametrize("variant", ["rnn", "gru", "lstm"])
def test_settings_round_trip_the_resolved_dict(variant):
    """Settings built from a resolved variant give back exactly that dict (lists, no absent
    optional keys), so checkpoints and metrics.json keep their keys."""
    config = tiny_config()
    config["data"]["test_tokens"] = 100
    resolved = resolve_variant(validate_config(config), variant)
    settings = Settings.from_dict(resolved)
    assert settings.to_dict() == resolved
    assert settings_json(settings.to_dict()) == settings_json(resolved)
    assert set(resolved) <= set(KEYS) and settings.prefixes == ("time traveller",)


def test_settings_are_immutable_and_unknown_keys_are_refused():
    """A Settings cannot be changed after it is built, and an unknown key is named."""
    resolved = resolve_variant(validate_config(tiny_config()), "gru")
    settings = Settings.from_dict(resolved)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.lr = 2
    with pytest.raises(ConfigError, match="unknown setting 'bogus'"):
        Settings.from_dict({**resolved, "bogus": 1})
    with pytest.raises(ConfigError, match="lack 'lr'"):
        Settings.from_dict({k: v for k, v in resolved.items() if k != "lr"})
