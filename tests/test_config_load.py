"""Tests of rnnlab.config.load: reading config files and validating whole configs."""

import pytest
import yaml
from helpers import minimal_config

from rnnlab.config import load_config, resolve_variant
from rnnlab.errors import ConfigError


def test_invalid_yaml_is_reported(tmp_path):
    """A config that is not YAML gives a ConfigError with the file name."""
    path = tmp_path / "config.yaml"
    path.write_text("variants: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_later_config_files_override_earlier_keys(project_root, tmp_path):
    """Several config files merge key by key in order, as Snakemake's --configfile does."""
    override = tmp_path / "override.yaml"
    override.write_text("training: {epochs: 3}\nvariants: {lstm_deep: {lr: 0.5}}\n")
    config = load_config(project_root / "config.yaml", override)
    assert config["training"]["epochs"] == 3 and config["training"]["batch_size"] == 32
    assert config["variants"]["lstm_deep"]["lr"] == 0.5
    assert config["variants"]["lstm_deep"]["layers"] == 2 and len(config["variants"]) == 10


def test_a_config_with_a_non_utf8_byte_is_one_config_error(tmp_path):
    """A config file that is not UTF-8 is a ConfigError naming the file and the byte."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes("variants: {}  # caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.yaml.*not UTF-8.*byte 0xe9 at offset 19"):
        load_config(path)


def test_sweeps_reach_rnnlab_train_as_ordinary_variants(tmp_path):
    """load_config (what `rnnlab train --config` reads) sees the generated variants."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**minimal_config(), "sweeps": {
        "hidden": {"base": ["tiny"], "grid": {"hidden": [4, 16]}}}}))
    config = load_config(path)
    assert resolve_variant(config, "tiny--hidden-16")["hidden"] == 16
