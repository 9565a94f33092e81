"""Tests of rnnlab.config.overrides: `--config` values typed by the schema."""

import pytest
from helpers import minimal_config

from rnnlab.config import coerce_overrides, validate_config
from rnnlab.errors import ConfigError


@pytest.mark.parametrize("given,key,expected", [
    ({"training": {"epochs": "3"}}, ("training", "epochs"), 3),
    ({"training": {"clip": "0.5"}}, ("training", "clip"), 0.5),
    ({"training": {"cuda_graph": "false"}}, ("training", "cuda_graph"), False),
    ({"training": {"sampling": "random"}}, ("training", "sampling"), "random"),
    ({"variants": {"tiny": {"lr": "2"}}}, ("variants", "tiny", "lr"), 2),
    ({"variants": {"tiny": {"lr": "1e-1"}}}, ("variants", "tiny", "lr"), 0.1),
    ({"data": {"train_tokens": "500"}}, ("data", "train_tokens"), 500),
    ({"data": {"sha1": "1234"}}, ("data", "sha1"), "1234"),  # a string in the schema stays one
    ({"training": {"epochs": "many"}}, ("training", "epochs"), "many"),  # left to the schema
])
def test_command_line_strings_get_the_schema_types(given, key, expected):
    """Strings given with snakemake --config are read as YAML where the schema wants numbers or
    booleans, and left alone elsewhere."""
    config = minimal_config()
    for section, values in given.items():  # as Snakemake merges --config into the config
        for name, value in values.items():
            config.setdefault(section, {})
            if isinstance(value, dict):
                config[section].setdefault(name, {}).update(value)
            else:
                config[section][name] = value
    coerce_overrides(config, given)
    node = config
    for part in key:
        node = node[part]
    assert node == expected and type(node) is type(expected)


def test_a_bad_command_line_value_names_the_key():
    """A --config string that is not a number where one is needed fails naming its key."""
    config = minimal_config()
    config["training"] = {"epochs": "many"}
    coerce_overrides(config, {"training": {"epochs": "many"}})
    with pytest.raises(ConfigError, match=r"training\.epochs"):
        validate_config(config)


def test_coercion_leaves_values_from_files_alone():
    """Only the --config values are coerced: a quoted number in a file is still refused."""
    config = minimal_config()
    config["training"] = {"epochs": "3"}
    coerce_overrides(config, {})
    with pytest.raises(ConfigError, match=r"training\.epochs"):
        validate_config(config)


def test_a_sweep_grid_on_the_command_line_gets_each_keys_type():
    """--config 'sweeps=...' gives strings; each grid value is read as its key's schema expects
    (lr a number, seed an integer, sampling text), so the sweep validates."""
    given = {"sweeps": {"s": {"base": ["tiny"], "grid": {"lr": ["0.5", "1e-1"],
                                                           "seed": ["3"],
                                                           "sampling": ["random"]}}}}
    config = {**minimal_config(), **given}
    coerce_overrides(config, given)
    assert config["sweeps"]["s"]["grid"] == {"lr": [0.5, 0.1], "seed": [3],
                                             "sampling": ["random"]}
    assert "tiny--lr-0.5--seed-3--sampling-random" in validate_config(config)["variants"]


def test_a_deeply_nested_command_line_value_is_one_short_error():
    """A --config value nested past any config key is refused before it is walked."""
    nested: dict = {}
    inner = nested
    for _ in range(50):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(ConfigError, match="--config is nested deeper than 12 levels"):
        coerce_overrides({"training": {}}, {"training": nested})
