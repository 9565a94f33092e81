"""One variant's settings: training defaults <- the variant's own keys <- the command line, plus
the data split, with each value in its canonical form, and the canonical JSON the pipeline
hands to its training job."""

from __future__ import annotations

import copy
import json
from functools import cache

from rnnlab.config.schema import (
    DATA_SPLIT_KEYS,
    SETTINGS_DATA_KEYS,
    load_schema,
    one_line,
    shown,
)
from rnnlab.config.sweeps import split_name
from rnnlab.errors import ConfigError

EXACT_FLOATS = 2**53  # integral floats up to this are ints in the settings
# Settings of the predict stage (greedy text from best.pt); a training job uses them only for
# the text it shows as it trains (TensorBoard, metrics.json), never for its weights.
PREDICTION_KEYS = ("prefixes", "num_preds")
# Settings that change how a training job runs, not what it computes (CUDA graphs replay the
# eager step's kernels; devices differ by rounding only; the greedy text it shows): they reach
# the job outside its settings JSON (rnnlab train --run-options), so changing them retrains
# nothing, and replicates that differ in them are one group in the report.
RUN_ONLY_KEYS = ("checkpoint_every", "cuda_graph", "device", *PREDICTION_KEYS)


@cache
def number_keys() -> frozenset:
    """The settings keys whose schema type is number (int or float)."""
    defs = load_schema()["$defs"]
    properties = {**defs["training_keys"]["properties"], **defs["variant"]["properties"]}
    return frozenset(key for key, sub in properties.items() if sub.get("type") == "number")


def canonical(key: str, value):
    """A setting's value in one form per meaning, so that equal values give the same settings
    JSON and rerun nothing: a number that is integral (``clip: 1.0``) as an int (``1``)."""
    if key in number_keys() and isinstance(value, float) and value.is_integer() \
            and abs(value) <= EXACT_FLOATS:
        return int(value)
    return value


def resolve_variant(config: dict, name: str, overrides: dict | None = None) -> dict:
    """The settings of one variant of a validated ``config``: training defaults, then the
    variant's own keys, then ``overrides`` (the command line, None values ignored, validated
    here), plus the data split settings; every value canonical."""
    variants = config["variants"]
    if name not in variants:
        raise ConfigError(one_line(f"unknown variant {shown(name)} (valid: "
                                   f"{', '.join(sorted(variants))})"))
    settings = {"variant": name}
    settings.update(copy.deepcopy(config["training"]))
    settings.update(copy.deepcopy(variants[name]))
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    for key, value in given.items():
        if key not in settings:
            raise ConfigError(f"cannot override unknown setting {shown(key)}")
        settings[key] = value
    for key in DATA_SPLIT_KEYS:
        settings[key] = config["data"][key]
    if config["data"].get("test_tokens"):  # absent or 0: no test split, settings as before
        settings["test_tokens"] = config["data"]["test_tokens"]
    if given:  # re-check the merged values, so a bad override names its key
        from rnnlab.config.schema import check_schema

        check_schema({"variants": {name: {key: value for key, value in settings.items()
                                          if key not in ("variant", *SETTINGS_DATA_KEYS)}}})
    return {key: canonical(key, value) for key, value in settings.items()}


def settings_json(settings: dict) -> str:
    """A variant's resolved settings as canonical JSON (sorted keys, no spaces): the same values
    give the same text whatever file, key order or number form they came from, so Snakemake
    reruns a job exactly when this text changes."""
    settings = {key: canonical(key, value) for key, value in settings.items()}
    return json.dumps(settings, sort_keys=True, separators=(",", ":"), allow_nan=False)


def split_run_options(settings: dict) -> tuple[dict, dict]:
    """``settings`` as (what shapes the job's result, its RUN_ONLY_KEYS)."""
    return ({key: value for key, value in settings.items() if key not in RUN_ONLY_KEYS},
            {key: value for key, value in settings.items() if key in RUN_ONLY_KEYS})


def run_options_from_json(text: str) -> dict:
    """The run-only settings ``rnnlab train --run-options`` receives (values are checked with
    the settings)."""
    try:
        options = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ConfigError(f"--run-options is not a JSON object: {shown(text)}") from None
    if not isinstance(options, dict):
        raise ConfigError(f"--run-options is not a JSON object: {shown(text)}")
    unknown = sorted(set(options) - set(RUN_ONLY_KEYS))
    if unknown:
        raise ConfigError(f"--run-options: unknown key {shown(unknown[0])} (valid: "
                          f"{', '.join(RUN_ONLY_KEYS)})")
    return options


def settings_from_json(text: str, overrides: dict | None = None) -> dict:
    """The settings ``rnnlab train --settings`` receives, checked against the schema, with
    ``overrides`` applied as in resolve_variant."""
    from rnnlab.config.load import validate_config

    try:
        settings = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"--settings is not valid JSON: {err}") from None
    except RecursionError:
        raise ConfigError("--settings is nested too deeply to be settings") from None
    if not isinstance(settings, dict) or not isinstance(settings.get("variant"), str):
        raise ConfigError("--settings must be a JSON object with a 'variant' name, as "
                          "rnnlab.config.settings_json writes it")
    name = settings["variant"]
    config = {"data": {key: settings[key] for key in SETTINGS_DATA_KEYS if key in settings},
              "variants": {name: {key: value for key, value in settings.items()
                                  if key not in ("variant", *SETTINGS_DATA_KEYS)}}}
    return resolve_variant(validate_config(config), name, overrides)


def selected_variants(config: dict) -> list[str]:
    """The variants that ``run`` selects, in config order: ``all``, or one name or a list of
    names, where a base variant also selects the variants its sweeps generate (``<base>--...``)
    and a generated name selects itself alone. An unknown name is a ConfigError naming the
    key."""
    names = list(config["variants"])
    run = config.get("run", "all")
    if run == "all":
        return names
    if isinstance(run, str):  # one name, as `--config run=lstm_deep` gives it
        run = [run]
    unknown = [name for name in run if name not in config["variants"]]
    if unknown:
        raise ConfigError(one_line(f"config key run: unknown variant "
                                   f"{', '.join(map(shown, unknown[:3]))} (valid: all, or "
                                   f"some of {', '.join(names)})"))
    return [name for name in names if name in run or split_name(name)[0] in run]
