"""config.yaml: validation against the schema (defaults filled in, errors naming the key) and the
resolved settings of one variant (training defaults <- variant overrides <- command line)."""

from __future__ import annotations

import copy
from importlib import resources
from pathlib import Path

from rnnlab.errors import ConfigError

MODEL_KEYS = ("cell", "impl", "layers", "hidden", "lr", "dropout", "reset_after")
DATA_SPLIT_KEYS = ("token", "train_tokens", "val_tokens", "min_freq")


def load_schema() -> dict:
    import yaml

    text = (resources.files("rnnlab") / "config.schema.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _validator_class():
    """A Draft 2020-12 validator that also fills in each property's ``default``."""
    import jsonschema

    base = jsonschema.Draft202012Validator

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from base.VALIDATORS["properties"](validator, properties, instance, schema)

    return jsonschema.validators.extend(base, {"properties": properties_with_defaults})


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
    """Validate ``config`` in place, filling in defaults; raise ConfigError naming the key."""
    import jsonschema

    if not isinstance(config, dict):
        raise ConfigError(f"config must be a mapping, got {type(config).__name__}")
    validator = _validator_class()(load_schema())
    errors = list(validator.iter_errors(config))
    if errors:
        raise ConfigError(_describe(jsonschema.exceptions.best_match(errors)))
    return config


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
    # Re-check the merged values with the variant's schema, so a bad override names its key.
    check = {key: value for key, value in settings.items()
             if key not in ("variant", *DATA_SPLIT_KEYS)}
    try:
        validate_config({"variants": {name: check}})
    except ConfigError as err:
        raise ConfigError(str(err)) from None
    return settings
