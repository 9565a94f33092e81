"""Tests of rnnlab.config.resolve: one variant's settings, their canonical JSON and the variants
`run` selects."""

import copy
import json

import pytest
from helpers import minimal_config, rnnlab, tiny_config

from rnnlab.config import (
    load_config,
    resolve_variant,
    selected_variants,
    settings_from_json,
    settings_json,
    validate_config,
)
from rnnlab.errors import ConfigError


@pytest.mark.parametrize("test_tokens", [None, 0, 500])
def test_test_tokens_reach_the_settings_only_when_set(test_tokens):
    """data.test_tokens joins a variant's settings when > 0; absent or 0 leaves the settings
    as they were (so the lab's jobs do not rerun)."""
    config = minimal_config()
    before = resolve_variant(validate_config(minimal_config()), "tiny")
    if test_tokens is not None:
        config["data"] = {"test_tokens": test_tokens}
    settings = resolve_variant(validate_config(config), "tiny")
    if test_tokens:
        assert settings == {**before, "test_tokens": test_tokens}
    else:
        assert settings == before


def test_word_level_settings_travel_as_json():
    """A word-level variant's settings (embedding, tied, init_from, anneal, test_tokens) come
    back unchanged through the JSON the pipeline hands to `rnnlab train --settings`."""
    config = minimal_config()
    config["data"] = {"token": "word", "test_tokens": 300}
    config["training"] = {"anneal": 4}
    config["variants"]["tiny"].update(embedding=8, tied=True, init_from="a/best.pt")
    settings = resolve_variant(validate_config(config), "tiny")
    assert settings["anneal"] == 4 and settings["test_tokens"] == 300
    assert settings_from_json(settings_json(settings)) == settings


def test_word_level_variant_keys_are_accepted():
    """embedding, tied (with embedding == hidden) and init_from are variant keys, without
    defaults: a variant that leaves them out resolves exactly as before."""
    config = minimal_config()
    config["variants"]["word"] = {"cell": "lstm", "impl": "scratch", "hidden": 8, "lr": 1,
                                  "embedding": 8, "tied": True, "init_from": "a/best.pt"}
    validate_config(config)
    settings = resolve_variant(config, "word")
    assert (settings["embedding"], settings["tied"], settings["init_from"]) == (8, True,
                                                                               "a/best.pt")
    assert not {"embedding", "tied", "init_from"} & set(resolve_variant(config, "tiny"))


def test_resolve_variant_merges_defaults_overrides_and_command_line():
    """training defaults < variant keys < command line; data split settings come along."""
    config = minimal_config()
    config["training"] = {"epochs": 7, "batch_size": 4}
    config["variants"]["tiny"]["batch_size"] = 8
    validate_config(config)
    settings = resolve_variant(config, "tiny", {"epochs": 3, "device": None})
    assert settings["variant"] == "tiny"
    assert (settings["epochs"], settings["batch_size"], settings["num_steps"]) == (3, 8, 35)
    assert settings["train_tokens"] == 10000 and settings["device"] == "auto"


def test_resolve_variant_lists_valid_names():
    """An unknown variant lists the valid names."""
    config = validate_config(minimal_config())
    with pytest.raises(ConfigError, match="unknown variant 'huge' .valid: tiny."):
        resolve_variant(config, "huge")


def test_resolve_variant_refuses_bad_overrides():
    """A non-positive epochs override is refused with the key named."""
    config = validate_config(minimal_config())
    with pytest.raises(ConfigError, match="epochs"):
        resolve_variant(config, "tiny", {"epochs": 0})


def test_settings_json_is_canonical(project_root):
    """The same values in another key order give the same JSON text, and it reads back equal."""
    config = load_config(project_root / "config.yaml")
    settings = resolve_variant(config, "lstm_deep")
    reordered = dict(reversed(list(settings.items())))
    assert settings_json(reordered) == settings_json(settings)
    assert settings_from_json(settings_json(settings)) == settings
    assert settings_json({**settings, "lr": 1.5}) != settings_json(settings)


@pytest.mark.parametrize("text,named", [
    ("not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"variant": "x", "cell": "gru", "impl": "torch", "hidden": 0, "lr": 1}',
     r"variants\.x\.hidden"),
])
def test_bad_settings_json_is_refused(text, named):
    """--settings that is not JSON, not an object or has a bad value names the problem."""
    with pytest.raises(ConfigError, match=named):
        settings_from_json(text)


def test_train_reads_settings_json(tiny_data, tmp_path):
    """`rnnlab train --settings JSON` trains with exactly those settings; no file is read."""
    config = validate_config(tiny_config(epochs=1))
    settings = resolve_variant(config, "gru")
    settings.update(sampling="random", seed=3)
    result = rnnlab("train", "--settings", settings_json(settings), "--data", tiny_data,
                    "--out", tmp_path / "out", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "out/metrics.json").read_text())
    assert (metrics["variant"], metrics["sampling"], metrics["seed"]) == ("gru", "random", 3)
    assert len(metrics["history"]) == 1


def test_train_needs_settings_or_config_and_variant(tmp_path):
    """Without --settings, or --config with --variant, train stops with one line."""
    result = rnnlab("train", "--data", tmp_path, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "--settings" in result.stderr


def with_generated(run) -> dict:
    """A validated config of three variants plus one named as a sweep generates it (sweeps
    add theirs to ``variants`` after validation)."""
    tiny = minimal_config()["variants"]["tiny"]
    config = validate_config({"variants": {"tiny": dict(tiny), "other": dict(tiny),
                                           "tiny_wide": dict(tiny)}, "run": run})
    config["variants"] = {"tiny": config["variants"]["tiny"],
                          "other": config["variants"]["other"],
                          "tiny--seed-1": dict(config["variants"]["tiny"]),
                          "tiny_wide": config["variants"]["tiny_wide"]}
    return config


@pytest.mark.parametrize("run,selected", [
    ("all", ["tiny", "other", "tiny--seed-1", "tiny_wide"]),
    (["tiny"], ["tiny", "tiny--seed-1"]),
    ("tiny", ["tiny", "tiny--seed-1"]),
    (["tiny--seed-1"], ["tiny--seed-1"]),
    (["other", "tiny_wide"], ["other", "tiny_wide"]),
])
def test_run_selects_variants(run, selected):
    """`run` selects all, named variants, a base with its generated variants, or one of those."""
    assert selected_variants(with_generated(run)) == selected


def test_run_defaults_to_all_and_results_dir_to_results():
    """Without `run` and `results_dir`, every variant runs and results go to results/."""
    config = validate_config(minimal_config())
    assert config["run"] == "all" and config["results_dir"] == "results"
    assert selected_variants(config) == ["tiny"]


@pytest.mark.parametrize("run,named", [
    (["nope"], "run: unknown variant 'nope'"),
    ([], "run"),
    ("some", "run"),
])
def test_bad_run_names_the_key(run, named):
    """An unknown name (alone or in a list) or an empty list is refused naming `run`."""
    with pytest.raises(ConfigError, match=named):
        selected_variants(validate_config({**minimal_config(), "run": run}))


def test_run_selects_what_a_sweep_generates():
    """With a real sweep, naming its base selects the generated variants, and naming one
    generated variant selects it alone."""
    config = minimal_config()
    config["variants"]["other"] = dict(config["variants"]["tiny"])
    config["sweeps"] = {"seeds": {"base": ["tiny", "other"], "grid": {"seed": [1, 2]}}}
    generated = ["tiny--seed-1", "tiny--seed-2"]
    selected = selected_variants(validate_config({**copy.deepcopy(config), "run": ["tiny"]}))
    assert sorted(selected) == sorted(["tiny", *generated])
    alone = validate_config({**copy.deepcopy(config), "run": ["other--seed-2"]})
    assert selected_variants(alone) == ["other--seed-2"]


def test_run_options_split_from_the_settings_and_read_back():
    """The run-only keys leave the settings and come back from --run-options JSON; another key
    there is refused naming it."""
    from rnnlab.config import RUN_ONLY_KEYS, run_options_from_json, split_run_options

    settings = {"variant": "v", "lr": 1, "checkpoint_every": 5, "cuda_graph": True,
                "device": "auto", "prefixes": ["time"], "num_preds": 9}
    shaping, options = split_run_options(settings)
    assert shaping == {"variant": "v", "lr": 1} and set(options) == set(RUN_ONLY_KEYS)
    assert run_options_from_json(json.dumps(options)) == options
    with pytest.raises(ConfigError, match="--run-options: unknown key 'lr'"):
        run_options_from_json('{"lr": 2}')
    with pytest.raises(ConfigError, match="--run-options is not a JSON object"):
        run_options_from_json("[1]")


@pytest.mark.parametrize("key,given,canonical", [
    ("clip", 1.0, 1), ("clip", 1, 1), ("clip", 0.5, 0.5), ("lr", 2.0, 2), ("dropout", 0.0, 0),
    ("anneal", 4.0, 4), ("seed", 3, 3), ("lr", 1e20, 1e20), ("lr", 2.0**53, 2**53),
])
def test_numbers_are_canonical_in_the_settings(key, given, canonical):
    """An integral number is an int in the settings and their JSON, whatever form it was
    written in (up to 2**53, where floats stop being exact), so `clip: 1` and `clip: 1.0` give
    the same text; other values stay."""
    config = minimal_config()
    config["variants"]["tiny"][key] = given
    settings = resolve_variant(validate_config(config), "tiny")
    assert settings[key] == canonical and type(settings[key]) is type(canonical)
    other = minimal_config()
    other["variants"]["tiny"][key] = canonical
    assert settings_json(settings) == settings_json(resolve_variant(validate_config(other),
                                                                    "tiny"))
