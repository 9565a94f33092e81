"""The config schema (workflow/schemas/config.schema.yaml), read once per process, and its
validator, built once: defaults filled in, integers that are Python ints, finite numbers,
patterns that must match the whole text, and errors of one short line naming the key."""

from __future__ import annotations

import copy
import math
import re
from functools import cache
from importlib import resources

from rnnlab.errors import ConfigError

MODEL_KEYS = ("cell", "impl", "layers", "hidden", "lr", "dropout", "dropout_kind", "reset_after",
              "embedding", "tied")
DATA_SPLIT_KEYS = ("token", "train_tokens", "val_tokens", "min_freq")
# The data keys in a variant's settings: the split keys, and test_tokens only when set (> 0).
SETTINGS_DATA_KEYS = (*DATA_SPLIT_KEYS, "test_tokens")
SHOWN_CHARS = 40  # an error quotes at most this much of a bad value
MESSAGE_CHARS = 300  # and is at most this long


@cache
def load_schema() -> dict:
    """The schema as a dict, read once per process (callers must not change it)."""
    import yaml

    text = (resources.files("rnnlab") / "config.schema.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def shown(value) -> str:
    """``repr(value)`` cut to a few dozen characters, for error messages."""
    try:
        text = repr(value) if not isinstance(value, (dict, list)) else _short_repr(value)
    except ValueError:  # an int too long for Python to write out
        text = f"an {type(value).__name__} too long to write out"
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 3] + "..."


def _short_repr(value) -> str:
    """The start of a container's repr without building all of it (it may be huge)."""
    parts, size = [], 0
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        part = (f"{key!r}: " if isinstance(value, dict) else "") + shown(item)
        parts.append(part)
        size += len(part)
        if size > SHOWN_CHARS:
            break
    open_, close = "{}" if isinstance(value, dict) else "[]"
    return open_ + ", ".join(parts) + close


def one_line(message: str) -> str:
    """``message`` on one line of at most MESSAGE_CHARS characters."""
    message = " ".join(message.split())
    return message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS - 3] + "..."


def _is_integer(checker, instance) -> bool:
    """JSON Schema calls 8.0 an integer; torch and range() do not, so neither does rnnlab."""
    return isinstance(instance, int) and not isinstance(instance, bool)


def _is_number(checker, instance) -> bool:
    """A finite int or float: .inf and .nan are not numbers a setting can take."""
    if isinstance(instance, float):
        return math.isfinite(instance)
    return _is_integer(checker, instance)


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


@cache
def validator():
    """A Draft 2020-12 validator of the schema, built once, that also fills in each property's
    ``default``; its integers are Python ints, its numbers finite, and its patterns must match
    the whole text (``re.search`` with ``$`` would let a final newline through)."""
    import jsonschema
    from jsonschema.exceptions import ValidationError

    base = jsonschema.Draft202012Validator

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from base.VALIDATORS["properties"](validator, properties, instance, schema)

    def full_match(validator, pattern, instance, schema):
        if isinstance(instance, str) and not _compiled(pattern).fullmatch(instance):
            yield ValidationError(f"{shown(instance)} does not match {pattern!r}")

    checker = base.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number})
    cls = jsonschema.validators.extend(
        base, {"properties": properties_with_defaults, "pattern": full_match},
        type_checker=checker)
    return cls(load_schema())


def _allowed_keys(error) -> set:
    """The keys the schema allows where an unknown key was found."""
    allowed = set(error.schema.get("properties", {}))
    for sub in [*error.schema.get("allOf", []), error.schema]:
        if "$ref" in sub:  # the training keys a variant may override
            allowed |= set(load_schema()["$defs"][sub["$ref"].split("/")[-1]]["properties"])
        allowed |= set(sub.get("properties", {}))
    return allowed


def describe(error) -> str:
    """One short line naming the config key of a jsonschema error."""
    path = ".".join(str(part)[:SHOWN_CHARS] for part in error.absolute_path)
    where = path or "(top level)"
    if error.validator in ("additionalProperties", "unevaluatedProperties") \
            and isinstance(error.instance, dict):
        extra = sorted(map(str, set(error.instance) - _allowed_keys(error)))
        if extra:
            keys = ", ".join(f"{path}.{key}" if path else key for key in extra[:5])
            return one_line(f"config: unknown key {keys}")
    instance, message = error.instance, error.message
    if error.validator == "type" and isinstance(instance, float) and not math.isfinite(instance):
        message = f"{instance} is not a finite number"
    elif error.validator == "pattern" and "x-allowed" in error.schema:
        message = f"{shown(instance)} is not allowed: {error.schema['x-allowed']}"
    elif error.validator == "maximum":
        message = f"{shown(instance)} is over the limit of {error.validator_value}"
    elif error.validator == "maxItems":
        message = f"{len(instance)} items are over the limit of {error.validator_value}"
    elif error.validator == "maxLength":
        message = (f"{shown(instance)} is longer than the limit of {error.validator_value} "
                   "characters")
    else:  # jsonschema quotes the whole value: quote only its start
        message = message.replace(repr(instance), shown(instance))
    return one_line(f"config key {where}: {message}")


def check_schema(config: dict) -> dict:
    """Validate ``config`` against the schema in place, filling in defaults (no sweeps)."""
    import jsonschema

    from rnnlab.config.checks import check_tied, files_are_the_splits

    if not isinstance(config, dict):
        raise ConfigError(f"config must be a mapping, got {type(config).__name__}")
    files_are_the_splits(config.get("data"))
    errors = list(validator().iter_errors(config))
    if errors:
        raise ConfigError(describe(jsonschema.exceptions.best_match(errors)))
    for name, variant in config["variants"].items():
        check_tied(variant, f"variants.{name}")
    return config
