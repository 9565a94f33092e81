"""Tests of rnnlab.config: schema validation with defaults, key-naming errors, variant merge."""

import copy
import json

import pytest
import yaml
from helpers import rnnlab, tiny_config

from rnnlab.config import (
    coerce_overrides,
    load_config,
    resolve_variant,
    selected_variants,
    settings_from_json,
    settings_json,
    validate_config,
)
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
    config = copy.deepcopy(MINIMAL)
    node = config
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        validate_config(config)


@pytest.mark.parametrize("options, values", [
    ({"tied": True}, "embedding 0 and hidden 8"),
    ({"tied": True, "embedding": 16}, "embedding 16 and hidden 8"),
])
def test_tied_needs_embedding_equal_to_hidden(options, values):
    """tied: true without embedding == hidden is refused, naming tied, embedding and hidden."""
    config = copy.deepcopy(MINIMAL)
    config["variants"]["tiny"].update(options)
    with pytest.raises(ConfigError, match=r"variants\.tiny\.tied: .*variants\.tiny\.embedding "
                       r"== variants\.tiny\.hidden, got " + values):
        validate_config(config)


def test_sweep_that_unties_a_tied_variant_is_refused():
    """A sweep over hidden of a tied variant generates variants with embedding != hidden: the
    config is refused before any job runs, naming the generated variant's keys."""
    config = copy.deepcopy(MINIMAL)
    config["variants"]["tiny"].update(embedding=8, tied=True)
    config["sweeps"] = {"width": {"base": ["tiny"], "grid": {"hidden": [8, 16]}}}
    with pytest.raises(ConfigError, match=r"variants\.tiny--hidden-16\.tied: .*got embedding 8 "
                       r"and hidden 16"):
        validate_config(config)


@pytest.mark.parametrize("test_tokens", [None, 0, 500])
def test_test_tokens_reach_the_settings_only_when_set(test_tokens):
    """data.test_tokens joins a variant's settings when > 0; absent or 0 leaves the settings
    as they were (so the lab's jobs do not rerun)."""
    config = copy.deepcopy(MINIMAL)
    before = resolve_variant(validate_config(copy.deepcopy(MINIMAL)), "tiny")
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
    config = copy.deepcopy(MINIMAL)
    config["data"] = {"token": "word", "test_tokens": 300}
    config["training"] = {"anneal": 4}
    config["variants"]["tiny"].update(embedding=8, tied=True, init_from="a/best.pt")
    settings = resolve_variant(validate_config(config), "tiny")
    assert settings["anneal"] == 4 and settings["test_tokens"] == 300
    assert settings_from_json(settings_json(settings)) == settings


def test_word_level_variant_keys_are_accepted():
    """embedding, tied (with embedding == hidden) and init_from are variant keys, without
    defaults: a variant that leaves them out resolves exactly as before."""
    config = copy.deepcopy(MINIMAL)
    config["variants"]["word"] = {"cell": "lstm", "impl": "scratch", "hidden": 8, "lr": 1,
                                  "embedding": 8, "tied": True, "init_from": "a/best.pt"}
    validate_config(config)
    settings = resolve_variant(config, "word")
    assert (settings["embedding"], settings["tied"], settings["init_from"]) == (8, True,
                                                                               "a/best.pt")
    assert not {"embedding", "tied", "init_from"} & set(resolve_variant(config, "tiny"))


@pytest.mark.parametrize("key, value", [("embedding", -1), ("tied", "yes"), ("init_from", "")])
def test_bad_word_level_values_name_the_key(key, value):
    """Bad embedding, tied or init_from values are refused with the key named."""
    config = copy.deepcopy(MINIMAL)
    config["variants"]["tiny"][key] = value
    with pytest.raises(ConfigError, match=rf"variants\.tiny\.{key}"):
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


# ---- sweeps ------------------------------------------------------------------------------------

def swept(sweeps: dict, **variants) -> dict:
    """MINIMAL plus ``variants`` and ``sweeps``, validated (sweeps expanded)."""
    config = copy.deepcopy(MINIMAL)
    config["variants"].update(variants)
    config["sweeps"] = sweeps
    return validate_config(config)


def test_sweep_expands_the_product_over_each_base_in_grid_order():
    """Each base gets one variant per combination, named <base>--<key>-<value> in grid order."""
    config = swept({"grid_search": {"base": ["tiny", "small"],
                                    "grid": {"lr": [0.5, 2], "hidden": [4, 16]}}},
                   small={"cell": "rnn", "impl": "scratch", "hidden": 32, "lr": 1})
    generated = [name for name in config["variants"] if "--" in name]
    assert generated == [f"{base}--lr-{lr}--hidden-{hidden}" for base in ("tiny", "small")
                         for lr in ("0.5", "2") for hidden in (4, 16)]
    variant = config["variants"]["small--lr-2--hidden-4"]
    assert variant == {"cell": "rnn", "impl": "scratch", "layers": 1, "hidden": 4, "lr": 2,
                       "dropout": 0}
    assert list(config["variants"])[:2] == ["tiny", "small"]  # hand-written variants first


def test_training_keys_can_be_swept_and_resolve_like_any_variant():
    """A swept training key overrides the training default for the generated variant alone."""
    config = swept({"seeds": {"base": ["tiny"], "grid": {"seed": [1, 2]}},
                    "sampling": {"base": ["tiny"], "grid": {"sampling": ["random"]}}})
    assert resolve_variant(config, "tiny--seed-2")["seed"] == 2
    assert resolve_variant(config, "tiny--seed-2")["variant"] == "tiny--seed-2"
    assert resolve_variant(config, "tiny")["seed"] == 0
    assert resolve_variant(config, "tiny--sampling-random")["sampling"] == "random"


def test_a_combination_equal_to_the_base_is_the_base_itself():
    """Sweeping seed over [0, 1, 2] with the default seed 0 generates only seeds 1 and 2."""
    config = swept({"seeds": {"base": ["tiny"], "grid": {"seed": [0, 1, 2]}}})
    assert [name for name in config["variants"] if "--" in name] == ["tiny--seed-1",
                                                                      "tiny--seed-2"]


@pytest.mark.parametrize("value,text", [
    (0.5, "0.5"), (0.001, "0.001"), (1e-05, "1e-05"), (1e20, "1e20"), (2.0, "2.0"), (3, "3"),
    (True, "true"), ("random", "random"),
])
def test_value_text_is_safe_and_exact(value, text):
    """Values become name text of letters, digits, '.', '_' and '-' that reads back exactly."""
    from rnnlab.config import value_text

    assert value_text(value) == text
    if isinstance(value, float):
        assert float(text) == value


def test_validating_twice_keeps_the_generated_variants():
    """Validation is idempotent: a validated config validates again to the same config."""
    config = swept({"seeds": {"base": ["tiny"], "grid": {"seed": [1, 2]}}})
    again = validate_config(copy.deepcopy(config))
    assert again == config


@pytest.mark.parametrize("sweeps,named", [
    ({"s": {"base": ["huge"], "grid": {"seed": [1]}}}, r"sweeps\.s\.base: unknown variant 'huge'"),
    ({"s": {"base": [], "grid": {"seed": [1]}}}, r"sweeps\.s\.base"),
    ({"s": {"base": ["tiny"], "grid": {"seed": []}}}, r"sweeps\.s\.grid\.seed"),
    ({"s": {"base": ["tiny"], "grid": {}}}, r"sweeps\.s\.grid"),
    ({"s": {"base": ["tiny"], "grid": {"colour": [1]}}}, r"unknown key sweeps\.s\.grid\.colour"),
    ({"s": {"base": ["tiny"], "grid": {"hidden": [0]}}}, r"sweeps\.s\.grid\.hidden: 0 is less"),
    ({"s": {"base": ["tiny"], "grid": {"cell": ["transformer"]}}}, r"sweeps\.s\.grid\.cell"),
    ({"s": {"base": ["tiny"], "grid": {"lr": ["1e-3"]}}}, r"sweeps\.s\.grid\.lr: .*write it"),
    ({"s": {"base": ["tiny"], "grid": {"seed": [1, 1]}}}, r"sweeps\.s\.grid\.seed: .*non-unique"),
    ({"s": {"base": ["tiny"], "grid": {"prefixes": [["time traveller"]]}}},
     r"sweeps\.s\.grid\.prefixes: value .* cannot be part of a variant name"),
    ({"s": {"base": ["tiny"], "grid": {"seed": [0]}}}, r"sweeps\.s: generates no variant"),
    ({"s": {"base": ["tiny"], "grid": {"seed": [1]}, "colour": 1}}, r"sweeps\.s\.colour"),
    ({"a b": {"base": ["tiny"], "grid": {"seed": [1]}}}, r"sweeps"),
    ({"a": {"base": ["tiny"], "grid": {"seed": [1, 2]}},
      "b": {"base": ["tiny"], "grid": {"seed": [2, 3]}}},
     r"sweeps\.b: generated variant tiny--seed-2 is also generated by sweeps\.a"),
])
def test_bad_sweeps_are_refused_naming_the_key(sweeps, named):
    """Unknown bases and keys, empty lists, bad or unsafe values and name clashes are refused."""
    with pytest.raises(ConfigError, match=named):
        swept(sweeps)


def test_a_hand_written_variant_with_a_generated_name_clashes():
    """A variant written under a generated name with other settings is refused."""
    with pytest.raises(ConfigError, match=r"tiny--seed-1 clashes with variants\.tiny--seed-1"):
        swept({"s": {"base": ["tiny"], "grid": {"seed": [1]}}},
              **{"tiny--seed-1": {"cell": "rnn", "impl": "torch", "hidden": 8, "lr": 1}})


def test_sweeps_reach_rnnlab_train_as_ordinary_variants(tmp_path):
    """load_config (what `rnnlab train --config` reads) sees the generated variants."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**MINIMAL, "sweeps": {
        "hidden": {"base": ["tiny"], "grid": {"hidden": [4, 16]}}}}))
    config = load_config(path)
    assert resolve_variant(config, "tiny--hidden-16")["hidden"] == 16


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
    config = copy.deepcopy(MINIMAL)
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
    config = copy.deepcopy(MINIMAL)
    config["training"] = {"epochs": "many"}
    coerce_overrides(config, {"training": {"epochs": "many"}})
    with pytest.raises(ConfigError, match=r"training\.epochs"):
        validate_config(config)


def test_coercion_leaves_values_from_files_alone():
    """Only the --config values are coerced: a quoted number in a file is still refused."""
    config = copy.deepcopy(MINIMAL)
    config["training"] = {"epochs": "3"}
    coerce_overrides(config, {})
    with pytest.raises(ConfigError, match=r"training\.epochs"):
        validate_config(config)


def with_generated(run) -> dict:
    """A validated config of three variants plus one named as a sweep generates it (sweeps
    add theirs to ``variants`` after validation)."""
    tiny = MINIMAL["variants"]["tiny"]
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
    config = validate_config(copy.deepcopy(MINIMAL))
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
        selected_variants(validate_config({**copy.deepcopy(MINIMAL), "run": run}))


def test_the_exercises_preset_replicates_the_pairs_and_sweeps_rnn_scratch(project_root):
    """exercises.yaml: 47 jobs, n >= 5 seeds per exercise group, 4 values each of hidden,
    num_steps and lr around rnn_scratch, under results/exercises."""
    from rnnlab.config import selected_variants

    config = load_config(project_root / "config.yaml",
                         project_root / "workflow/presets/exercises.yaml")
    assert config["results_dir"] == "results/exercises"
    selected = selected_variants(config)
    assert len(selected) == 47
    for base in ("rnn_concise", "rnn_deep", "gru_deep", "lstm_deep", "rnn_scratch",
                 "gru_scratch", "gru_concise"):
        group = [name for name in selected
                 if name == base or name.startswith(f"{base}--seed-")]
        seeds = {resolve_variant(config, name)["seed"] for name in group}
        assert len(group) == len(seeds) >= 5, base
    base = resolve_variant(config, "rnn_scratch")
    for key in ("hidden", "num_steps", "lr"):
        swept = [resolve_variant(config, name) for name in selected
                 if name.startswith(f"rnn_scratch--{key}-")]
        assert len({settings[key] for settings in swept} - {base[key]}) == 4, key
        for settings in swept:  # one key at a time: all else as rnn_scratch
            assert {k for k in settings if settings[k] != base[k]} == {key, "variant"}


def test_run_selects_what_a_sweep_generates():
    """With a real sweep, naming its base selects the generated variants, and naming one
    generated variant selects it alone."""
    config = copy.deepcopy(MINIMAL)
    config["variants"]["other"] = dict(config["variants"]["tiny"])
    config["sweeps"] = {"seeds": {"base": ["tiny", "other"], "grid": {"seed": [1, 2]}}}
    generated = ["tiny--seed-1", "tiny--seed-2"]
    selected = selected_variants(validate_config({**copy.deepcopy(config), "run": ["tiny"]}))
    assert sorted(selected) == sorted(["tiny", *generated])
    alone = validate_config({**copy.deepcopy(config), "run": ["other--seed-2"]})
    assert selected_variants(alone) == ["other--seed-2"]


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


def test_a_config_with_a_non_utf8_byte_is_one_config_error(tmp_path):
    """A config file that is not UTF-8 is a ConfigError naming the file and the byte."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes("variants: {}  # caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.yaml.*not UTF-8.*byte 0xe9 at offset 19"):
        load_config(path)
