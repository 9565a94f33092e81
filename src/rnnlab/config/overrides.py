"""``snakemake --config`` values: Snakemake reads nested values as strings (``training=
{"epochs": 3}`` gives ``"3"``, a sweep's grid ``[0.5, 1]`` gives ``["0.5", "1"]``); each is read
back as config.yaml would read it wherever the schema expects a number or a boolean."""

from __future__ import annotations

import math

from rnnlab.config.load import check_bounds
from rnnlab.config.schema import load_schema


def _alternatives(schema: dict, root: dict) -> list[dict]:
    """``schema`` and every subschema it brings in through $ref, allOf, anyOf and oneOf."""
    found, todo = [], [schema]
    while todo:
        sub = todo.pop()
        found.append(sub)
        if "$ref" in sub:
            todo.append(root["$defs"][sub["$ref"].split("/")[-1]])
        for combined in ("allOf", "anyOf", "oneOf"):
            todo.extend(sub.get(combined, []))
    return found


def _schema_at(schema: dict, path: tuple, root: dict) -> list[dict]:
    """The subschemas that apply to the value at ``path`` (following $ref, allOf, anyOf, oneOf
    and additionalProperties); empty when the schema does not know the path."""
    found = _alternatives(schema, root)
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


def schemas_of(path: tuple) -> list[dict]:
    """The subschemas of the config value at ``path``. A sweep's grid values
    (``sweeps.<name>.grid.<key>``) take the schema of the variant key they vary."""
    schema = load_schema()
    if len(path) == 4 and path[0] == "sweeps" and path[2] == "grid":
        variant = {"$ref": "#/$defs/variant"}
        return [{"type": "array", "items": sub}
                for sub in _schema_at(variant, (path[3],), schema)]
    return _schema_at(schema, path, schema)


def _types(schemas: list[dict]) -> set:
    types = set()
    for sub in schemas:
        kind = sub.get("type", [])
        types |= set(kind if isinstance(kind, list) else [kind])
    return types


def _coerce(text: str, schemas: list[dict]):
    """A command-line string read as YAML reads it, kept only where the schema wants that type
    (integer, number, boolean); other strings stay strings and the schema judges them."""
    import yaml

    types = _types(schemas)
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
    the schema's types: each string is read as config.yaml would read it, where the schema
    expects a number or boolean. Returns ``config``."""

    def walk(node: dict, given: dict, path: tuple) -> None:
        for key, value in given.items():
            here = (*path, key)
            if isinstance(value, dict) and isinstance(node.get(key), dict):
                walk(node[key], value, here)
            elif isinstance(value, str) and node.get(key) == value:
                node[key] = _coerce(value, schemas_of(here))
            elif isinstance(value, list) and node.get(key) == value:
                items = [s.get("items", {}) for s in schemas_of(here)]
                node[key] = [_coerce(v, items) if isinstance(v, str) else v for v in value]

    if isinstance(config, dict) and isinstance(overrides, dict):
        check_bounds(overrides, "--config")  # before walking it
        walk(config, overrides, ())
    return config
