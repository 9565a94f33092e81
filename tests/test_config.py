"""Tests of rnnlab.config: schema validation with defaults, key-naming errors, variant merge."""

import copy

import pytest
import yaml

from rnnlab.config import load_config, resolve_variant, validate_config
from rnnlab.errors import ConfigError

MINIMAL = {"variants": {"tiny": {"cell": "gru", "impl": "torch", "hidden": 8, "lr": 1}}}


def test_the_lab_config_is_valid(project_root):
    """config.yaml validates and holds the lab's ten variants."""
    config = load_config(project_root / "config.yaml")
    assert len(config["variants"]) == 10
    assert config["variants"]["lstm_deep"] == {
        "cell": "lstm", "impl": "torch", "layers": 2, "hidden": 256, "lr": 2,
        "dropout": 0}


def test_defaults_are_filled_in():
    """Missing sections and keys get the schema's defaults."""
    config = validate_config(copy.deepcopy(MINIMAL))
    assert config["data"]["train_tokens"] == 10000 and config["data"]["token"] == "char"
    assert config["training"]["batch_size"] == 32 and config["training"]["sampling"] == "sequential"
    assert config["variants"]["tiny"]["layers"] == 1
    assert "epochs" not in config["variants"]["tiny"]  # training defaults stay in `training`


@pytest.mark.parametrize("path,value,named", [
    (("training", "lr_typo"), 1, "training.lr_typo"),
    (("data", "token"), "byte", "data.token"),
    (("data", "sha1"), "abc", "data.sha1"),
    (("training", "batch_size"), 0, "training.batch_size"),
    (("variants", "tiny", "cell"), "transformer", "variants.tiny.cell"),
    (("variants", "tiny", "impl"), "jax", "variants.tiny.impl"),
    (("variants", "tiny", "lr"), -1, "variants.tiny.lr"),
    (("variants", "tiny", "epochs"), 0, "variants.tiny.epochs"),
    (("variants", "tiny", "colour"), "red", "variants.tiny.colour"),
    (("bogus",), 1, "bogus"),
])
def test_bad_values_name_the_key(path, value, named):
    """Unknown keys and bad values are refused with the dotted key in the message."""
    config = copy.deepcopy(MINIMAL)
    node = config
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        validate_config(config)


def test_missing_required_variant_key_is_named():
    """A variant without a cell says so."""
    config = {"variants": {"tiny": {"impl": "torch", "hidden": 8, "lr": 1}}}
    with pytest.raises(ConfigError, match=r"variants\.tiny.*'cell'"):
        validate_config(config)


def test_invalid_yaml_is_reported(tmp_path):
    """A config that is not YAML gives a ConfigError with the file name."""
    path = tmp_path / "config.yaml"
    path.write_text("variants: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_resolve_variant_merges_defaults_overrides_and_command_line():
    """training defaults < variant keys < command line; data split settings come along."""
    config = copy.deepcopy(MINIMAL)
    config["training"] = {"epochs": 7, "batch_size": 4}
    config["variants"]["tiny"]["batch_size"] = 8
    validate_config(config)
    settings = resolve_variant(config, "tiny", {"epochs": 3, "device": None})
    assert settings["variant"] == "tiny"
    assert (settings["epochs"], settings["batch_size"], settings["num_steps"]) == (3, 8, 35)
    assert settings["train_tokens"] == 10000 and settings["device"] == "auto"


def test_resolve_variant_lists_valid_names():
    """An unknown variant lists the valid names."""
    config = validate_config(copy.deepcopy(MINIMAL))
    with pytest.raises(ConfigError, match="unknown variant 'huge' .valid: tiny."):
        resolve_variant(config, "huge")


def test_resolve_variant_refuses_bad_overrides():
    """A non-positive epochs override is refused with the key named."""
    config = validate_config(copy.deepcopy(MINIMAL))
    with pytest.raises(ConfigError, match="epochs"):
        resolve_variant(config, "tiny", {"epochs": 0})


def test_schema_file_is_what_the_package_reads(project_root):
    """The workflow's schema and the package's copy are the same document."""
    from rnnlab.config import load_schema

    on_disk = yaml.safe_load((project_root / "workflow/schemas/config.schema.yaml").read_text())
    assert load_schema() == on_disk


def test_later_config_files_override_earlier_keys(project_root, tmp_path):
    """Several config files merge key by key in order, as Snakemake's --configfile does."""
    override = tmp_path / "override.yaml"
    override.write_text("training: {epochs: 3}\nvariants: {lstm_deep: {lr: 0.5}}\n")
    config = load_config(project_root / "config.yaml", override)
    assert config["training"]["epochs"] == 3 and config["training"]["batch_size"] == 32
    assert config["variants"]["lstm_deep"]["lr"] == 0.5
    assert config["variants"]["lstm_deep"]["layers"] == 2 and len(config["variants"]) == 10
