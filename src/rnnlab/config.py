"""config.yaml: validation against the schema (defaults filled in, errors naming the key), the
expansion of sweeps into generated variants, and the resolved settings of one variant (training
defaults <- variant overrides <- command line)."""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
from importlib import resources
from pathlib import Path

from rnnlab.errors import ConfigError

MODEL_KEYS = ("cell", "impl", "layers", "hidden", "lr", "dropout", "dropout_kind", "reset_after",
              "embedding", "tied")
DATA_SPLIT_KEYS = ("token", "train_tokens", "val_tokens", "min_freq")
# The data keys in a variant's settings: the split keys, and test_tokens only when set (> 0).
SETTINGS_DATA_KEYS = (*DATA_SPLIT_KEYS, "test_tokens")


def load_schema() -> dict:
    import yaml

    text = (resources.files("rnnlab") / "config.schema.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _is_integer(checker, instance) -> bool:
    """JSON Schema calls 8.0 an integer; torch and range() do not, so neither does rnnlab."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _validator_class():
    """A Draft 2020-12 validator that also fills in each property's ``default`` and whose
    integers are Python ints (``hidden: 8.0`` is refused naming the key)."""
    import jsonschema

    base = jsonschema.Draft202012Validator

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from base.VALIDATORS["properties"](validator, properties, instance, schema)

    return jsonschema.validators.extend(
        base, {"properties": properties_with_defaults},
        type_checker=base.TYPE_CHECKER.redefine("integer", _is_integer))


def _describe(error) -> str:
    """One line naming the config key of a jsonschema error."""
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties") \
            and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        for sub in [*error.schema.get("allOf", []), error.schema]:
            if "$ref" in sub:  # the training keys a variant may override
                allowed |= set(load_schema()["$defs"][sub["$ref"].split("/")[-1]]["properties"])
            allowed |= set(sub.get("properties", {}))
        extra = sorted(set(error.instance) - allowed)
        if extra:
            keys = ", ".join(f"{path}.{key}" if path else key for key in extra)
            return f"config: unknown key {keys}"
    return f"config key {path or '(top level)'}: {error.message}"


def validate_config(config: dict) -> dict:
    """Validate ``config`` in place, filling in defaults and adding the variants its sweeps
    generate; raise ConfigError naming the key."""
    check_schema(config)
    add_sweep_variants(config)
    _check_semantics(config)  # the generated variants too
    return config


def check_schema(config: dict) -> dict:
    """Validate ``config`` against the schema in place, filling in defaults (no sweeps)."""
    import jsonschema

    if not isinstance(config, dict):
        raise ConfigError(f"config must be a mapping, got {type(config).__name__}")
    validator = _validator_class()(load_schema())
    errors = list(validator.iter_errors(config))
    if errors:
        raise ConfigError(_describe(jsonschema.exceptions.best_match(errors)))
    for name, variant in config["variants"].items():
        check_tied(variant, f"variants.{name}")
    _check_semantics(config)
    return config


def check_tied(variant: dict, where: str) -> None:
    """``tied: true`` shares the embedding with the output layer, so it needs embedding ==
    hidden (a rule across keys, which the schema cannot state)."""
    embedding, hidden = variant.get("embedding", 0), variant.get("hidden")
    if variant.get("tied") and embedding != hidden:
        raise ConfigError(f"config key {where}.tied: tied: true needs {where}.embedding == "
                          f"{where}.hidden, got embedding {embedding} and hidden {hidden}")


def _check_semantics(config: dict) -> None:
    """What the schema cannot say: a URL that parses, and model options that fit the cell."""
    from rnnlab.download import check_url
    from rnnlab.errors import DownloadError

    if "url" in config.get("data", {}):
        try:
            check_url(config["data"]["url"])
        except DownloadError as err:
            raise ConfigError(f"config key data.url: {err}") from None
    # The same rules as rnnlab.models.build_model (tests/test_config.py checks they agree).
    for name, variant in config.get("variants", {}).items():
        cell, impl, reset_after = variant["cell"], variant["impl"], variant.get("reset_after")
        if reset_after and cell != "gru":
            raise ConfigError(f"config key variants.{name}.reset_after: true applies only to "
                              f"cell gru, not {cell!r}")
        if reset_after is False and cell == "gru" and impl == "torch":
            raise ConfigError(f"config key variants.{name}.reset_after: false (the textbook "
                              "GRU) needs impl scratch: torch.nn.GRU always resets after the "
                              "product")


def merge(base: dict, update: dict) -> dict:
    """Merge ``update`` into ``base`` key by key, recursing into mappings (as Snakemake merges
    several --configfile files)."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def load_config(*paths: str | Path) -> dict:
    """Read one or more config files, later ones overriding earlier keys, and validate."""
    import yaml

    config: dict = {}
    for path in map(Path, paths):
        try:
            part = yaml.safe_load(path.read_text("utf-8"))
        except OSError as err:
            raise ConfigError(f"cannot read config {str(path)!r}: {err.strerror}") from None
        except UnicodeDecodeError as err:
            raise ConfigError(f"config {str(path)!r} is not UTF-8 text: byte "
                              f"0x{err.object[err.start]:02x} at offset {err.start}") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"config {str(path)!r} is not valid YAML: {err}") from None
        if part is not None and not isinstance(part, dict):
            raise ConfigError(f"config {str(path)!r} must be a mapping of keys")
        merge(config, part or {})
    return validate_config(config)


def resolve_variant(config: dict, name: str, overrides: dict | None = None) -> dict:
    """The settings of one variant: training defaults, then the variant's own keys, then
    ``overrides`` (the command line, None values ignored), plus the data split settings."""
    variants = config["variants"]
    if name not in variants:
        raise ConfigError(f"unknown variant {name!r} (valid: {', '.join(sorted(variants))})")
    settings = {"variant": name}
    settings.update(copy.deepcopy(config["training"]))
    settings.update(copy.deepcopy(variants[name]))
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in settings:
            raise ConfigError(f"cannot override unknown setting {key!r}")
        settings[key] = value
    for key in DATA_SPLIT_KEYS:
        settings[key] = config["data"][key]
    if config["data"].get("test_tokens"):  # absent or 0: no test split, settings as before
        settings["test_tokens"] = config["data"]["test_tokens"]
    # Re-check the merged values with the variant's schema, so a bad override names its key.
    check = {key: value for key, value in settings.items()
             if key not in ("variant", *SETTINGS_DATA_KEYS)}
    try:
        check_schema({"variants": {name: check}})
    except ConfigError as err:
        raise ConfigError(str(err)) from None
    return settings


# ---- sweeps ------------------------------------------------------------------------------------
# A generated variant is named <base>--<key>-<value>[--<key>-<value>...]. Names of the variants a
# user writes cannot hold "--" (the schema's pattern), so a generated name never shadows one.
SWEEP_SEP = "--"
NAME_TEXT = re.compile(r"[A-Za-z0-9_.-]+")  # safe in a path, a wildcard and a shell word


def value_text(value) -> str:
    """A swept value as its generated variant's name writes it: true/false, an integer as is, a
    float as the shortest text that reads back as the same float (0.5, 0.001, 1e-05; 1e+20 as
    1e20), a string as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value).replace("e+", "e")
    return str(value)


def sweepable_keys() -> list[str]:
    """The keys a sweep may vary: every variant key and every training key."""
    defs = load_schema()["$defs"]
    return sorted({*defs["variant"]["properties"], *defs["training_keys"]["properties"]})


def _same(a, b) -> bool:
    """Equal as config values: 1 == 1.0, but True is not 1."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _check_generated(name: str, settings: dict, sweep: str, values: dict) -> None:
    """Validate one generated variant against the variant schema, naming the swept key."""
    import jsonschema

    errors = list(_validator_class()(load_schema()).iter_errors({"variants": {name: settings}}))
    if not errors:
        check_tied(settings, f"variants.{name}")
        return
    error = jsonschema.exceptions.best_match(errors)
    key = error.absolute_path[2] if len(error.absolute_path) > 2 else None
    if key not in values:
        raise ConfigError(f"config key sweeps.{sweep}: generated variant {name}: {error.message}")
    hint = ""
    if isinstance(values[key], str) and re.fullmatch(r"[-+]?[0-9.]+[eE][-+]?[0-9]+", values[key]):
        hint = f" (YAML reads {values[key]} as text: write it with a dot, e.g. 1.0e-3)"
    raise ConfigError(f"config key sweeps.{sweep}.grid.{key}: {error.message}{hint}")


def expand_sweeps(config: dict) -> dict[str, tuple[str, dict]]:
    """The variants that ``config['sweeps']`` generates, by name: (sweep name, settings), where
    the settings are the base variant's with one combination of the grid. A combination equal
    to the base's own settings is the base itself and generates nothing. Raises ConfigError
    naming the key for an unknown base or key, a value that cannot be part of a name, an
    invalid value and a name that two sweeps generate. (itertools.product rather than
    Snakemake's Paramspace: see the README, "Sweeps".)"""
    own = {name: settings for name, settings in config["variants"].items()
           if SWEEP_SEP not in name}
    allowed = sweepable_keys() if config.get("sweeps") else []
    generated: dict[str, tuple[str, dict]] = {}
    for sweep, spec in config.get("sweeps", {}).items():
        grid = spec["grid"]
        for key, values in grid.items():
            if key not in allowed:
                raise ConfigError(f"config: unknown key sweeps.{sweep}.grid.{key} (a sweep varies "
                                  f"a variant or training key: {', '.join(allowed)})")
            for value in values:
                if not NAME_TEXT.fullmatch(value_text(value)):
                    raise ConfigError(
                        f"config key sweeps.{sweep}.grid.{key}: value {value!r} cannot be part of "
                        "a variant name (only letters, digits, '_', '.' and '-')")
        made = 0
        for base in spec["base"]:
            if base not in own:
                raise ConfigError(f"config key sweeps.{sweep}.base: unknown variant {base!r} "
                                  f"(valid: {', '.join(own)})")
            inherited = {**config["training"], **own[base]}
            for combination in itertools.product(*grid.values()):
                values = dict(zip(grid, combination, strict=True))
                name = SWEEP_SEP.join(
                    [base, *(f"{key}-{value_text(value)}" for key, value in values.items())])
                settings = {**copy.deepcopy(own[base]), **copy.deepcopy(values)}
                _check_generated(name, settings, sweep, values)
                if all(_same(inherited.get(key), value) for key, value in values.items()):
                    continue  # the base's own settings: the base is this point of the sweep
                if name in generated:
                    raise ConfigError(f"config key sweeps.{sweep}: generated variant {name} is "
                                      f"also generated by sweeps.{generated[name][0]}")
                generated[name] = (sweep, settings)
                made += 1
        if not made:
            raise ConfigError(f"config key sweeps.{sweep}: generates no variant (every "
                              "combination of its grid is its base's own settings)")
    return generated


def add_sweep_variants(config: dict) -> dict:
    """Add the variants that the sweeps generate to ``config['variants']`` (in place, after the
    variants written by hand). Idempotent: a config validated before keeps its generated
    variants. A variant already under a generated name with other settings is a clash.
    (Other names with "--" pass: one generated variant's settings travel to its job alone.)"""
    generated = expand_sweeps(config)
    variants = config["variants"]
    for name, settings in variants.items():
        if name in generated and settings != generated[name][1]:
            raise ConfigError(f"config key sweeps.{generated[name][0]}: generated variant "
                              f"{name} clashes with variants.{name}, which has other settings")
    for name, (_, settings) in generated.items():
        variants.setdefault(name, settings)
    return config
def settings_json(settings: dict) -> str:
    """A variant's resolved settings as canonical JSON (sorted keys, no spaces): the same values
    give the same text whatever file or key order they came from, so Snakemake reruns a job
    exactly when this text changes."""
    return json.dumps(settings, sort_keys=True, separators=(",", ":"), allow_nan=False)


def settings_from_json(text: str, overrides: dict | None = None) -> dict:
    """The settings ``rnnlab train --settings`` receives, checked against the schema, with
    ``overrides`` applied as in resolve_variant."""
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"--settings is not valid JSON: {err}") from None
    if not isinstance(settings, dict) or not isinstance(settings.get("variant"), str):
        raise ConfigError("--settings must be a JSON object with a 'variant' name, as "
                          "rnnlab.config.settings_json writes it")
    name = settings["variant"]
    config = {"data": {key: settings[key] for key in SETTINGS_DATA_KEYS if key in settings},
              "variants": {name: {key: value for key, value in settings.items()
                                  if key not in ("variant", *SETTINGS_DATA_KEYS)}}}
    return resolve_variant(validate_config(config), name, overrides)


def _schema_at(schema: dict, path: tuple, root: dict) -> list[dict]:
    """The subschemas that apply to the value at ``path`` (following $ref, allOf, anyOf, oneOf
    and additionalProperties); empty when the schema does not know the path."""
    found = [schema]
    if "$ref" in schema:
        found.append(root["$defs"][schema["$ref"].split("/")[-1]])
    for sub in list(found):
        for combined in ("allOf", "anyOf", "oneOf"):
            for part in sub.get(combined, []):
                found += _schema_at(part, (), root)
    if not path:
        return found
    key, rest = path[0], path[1:]
    children = []
    for sub in found:
        if key in sub.get("properties", {}):
            children.append(sub["properties"][key])
        elif isinstance(sub.get("additionalProperties"), dict):
            children.append(sub["additionalProperties"])
    return [deeper for child in children for deeper in _schema_at(child, rest, root)]


def _coerce(text: str, schemas: list[dict]):
    """A command-line string read as YAML reads it, kept only where the schema wants that type
    (integer, number, boolean); other strings stay strings and the schema judges them."""
    import yaml

    types = set()
    for sub in schemas:
        kind = sub.get("type", [])
        types |= set(kind if isinstance(kind, list) else [kind])
    if not types & {"integer", "number", "boolean"}:
        return text
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, bool):
        return value if "boolean" in types else text
    if isinstance(value, int) and types & {"integer", "number"}:
        return value
    if isinstance(value, float) and "number" in types:
        return value
    if "number" in types:  # PyYAML reads 1e-3 (no dot) as a string; Python does not
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    return text


def coerce_overrides(config: dict, overrides: dict) -> dict:
    """Give the values of ``snakemake --config`` (``overrides``, already merged into ``config``)
    the schema's types. Snakemake reads nested --config values as strings (``training={"epochs":
    3}`` gives ``"3"``); this reads each such string as config.yaml would, where the schema
    expects a number or boolean. Returns ``config``."""
    schema = load_schema()

    def walk(node: dict, given: dict, path: tuple) -> None:
        for key, value in given.items():
            here = (*path, key)
            if isinstance(value, dict) and isinstance(node.get(key), dict):
                walk(node[key], value, here)
            elif isinstance(value, str) and node.get(key) == value:
                node[key] = _coerce(value, _schema_at(schema, here, schema))
            elif isinstance(value, list) and node.get(key) == value:
                items = [s.get("items", {}) for s in _schema_at(schema, here, schema)]
                node[key] = [_coerce(v, items) if isinstance(v, str) else v for v in value]

    walk(config, overrides or {}, ())
    return config


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
        raise ConfigError(f"config key run: unknown variant {', '.join(map(repr, unknown))} "
                          f"(valid: all, or some of {', '.join(names)})")
    return [name for name in names
            if name in run or name.split("--", 1)[0] in run]
