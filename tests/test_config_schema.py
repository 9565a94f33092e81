"""Tests of rnnlab.config.schema: the schema and its validator: defaults, key-naming errors,
cross-key rules."""

import pytest
import yaml
from helpers import minimal_config

from rnnlab.config import load_config, validate_config
from rnnlab.errors import ConfigError


def test_the_lab_config_is_valid(project_root):
    """config.yaml validates and holds the lab's ten variants, in rnnlab.config.lab's order."""
    from rnnlab.config.lab import LAB_VARIANTS

    config = load_config(project_root / "config.yaml")
    assert tuple(config["variants"]) == LAB_VARIANTS  # the lab's list, in its order
    assert config["variants"]["lstm_deep"] == {
        "cell": "lstm", "impl": "torch", "layers": 2, "hidden": 256, "lr": 2,
        "dropout": 0}


def test_defaults_are_filled_in():
    """Missing sections and keys get the schema's defaults."""
    config = validate_config(minimal_config())
    assert config["data"]["train_tokens"] == 10000 and config["data"]["token"] == "char"
    assert config["training"]["batch_size"] == 32 and config["training"]["sampling"] == "sequential"
    assert config["variants"]["tiny"]["layers"] == 1
    assert "epochs" not in config["variants"]["tiny"]  # training defaults stay in `training`


@pytest.mark.parametrize("path,value,named", [
    (("training", "lr_typo"), 1, "training.lr_typo"),
    (("data", "token"), "byte", "data.token"),
    (("data", "sha1"), "abc", "data.sha1"),
    (("data", "test_tokens"), -5, "data.test_tokens"),
    (("training", "anneal"), 1, "training.anneal"),
    (("variants", "tiny", "anneal"), 0.5, "variants.tiny.anneal"),
    (("training", "batch_size"), 0, "training.batch_size"),
    (("variants", "tiny", "cell"), "transformer", "variants.tiny.cell"),
    (("variants", "tiny", "impl"), "jax", "variants.tiny.impl"),
    (("variants", "tiny", "lr"), -1, "variants.tiny.lr"),
    (("variants", "tiny", "epochs"), 0, "variants.tiny.epochs"),
    (("variants", "tiny", "colour"), "red", "variants.tiny.colour"),
    (("bogus",), 1, "bogus"),
    (("variants", "tiny", "hidden"), 8.0, "variants.tiny.hidden: 8.0 is not of type 'integer'"),
    (("training", "batch_size"), 4.0, "training.batch_size: 4.0 is not of type 'integer'"),
    (("variants", "tiny", "layers"), True, "variants.tiny.layers"),
    (("variants", "tiny", "lr"), 1e300, "variants.tiny.lr"),
    (("training", "seed"), 10**23, "training.seed"),
    (("variants", "tiny", "reset_after"), False, "variants.tiny.reset_after: false"),
    (("data", "url"), "http://", "data.url: malformed URL 'http://'"),
    (("data", "url"), "http://host:99999/t.txt", "data.url: malformed URL"),
    (("data", "url"), "http://[::1/t.txt", "data.url: malformed URL"),
])
def test_bad_values_name_the_key(path, value, named):
    """Unknown keys and bad values are refused with the dotted key in the message."""
    config = minimal_config()
    node = config
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        validate_config(config)


@pytest.mark.parametrize("key, value", [("embedding", -1), ("tied", "yes"), ("init_from", "")])
def test_bad_word_level_values_name_the_key(key, value):
    """Bad embedding, tied or init_from values are refused with the key named."""
    config = minimal_config()
    config["variants"]["tiny"][key] = value
    with pytest.raises(ConfigError, match=rf"variants\.tiny\.{key}"):
        validate_config(config)


def test_missing_required_variant_key_is_named():
    """A variant without a cell says so."""
    config = {"variants": {"tiny": {"impl": "torch", "hidden": 8, "lr": 1}}}
    with pytest.raises(ConfigError, match=r"variants\.tiny.*'cell'"):
        validate_config(config)


def test_schema_file_is_what_the_package_reads(project_root):
    """The workflow's schema and the package's copy are the same document."""
    from rnnlab.config import load_schema

    on_disk = yaml.safe_load((project_root / "workflow/schemas/config.schema.yaml").read_text())
    assert load_schema() == on_disk
