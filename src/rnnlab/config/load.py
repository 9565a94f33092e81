"""Reading and validating whole configs: config files (YAML, bounded in size, depth and alias
expansion before anything else reads them), merged as Snakemake merges several --configfile
files, then checked against the schema with sweeps expanded."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

from rnnlab.config.checks import check_semantics
from rnnlab.config.init_from import check_init_from
from rnnlab.config.schema import check_schema, one_line
from rnnlab.config.sweeps import add_sweep_variants, check_name
from rnnlab.errors import ConfigError

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 12  # the deepest config key is sweeps.<name>.grid.<key>.<value>
MAX_VALUES = 100_000  # mappings, lists and scalars, counting each alias's every use
TEMPLATE_KEY = "__use_yte__"  # Snakemake runs such a file's Python (YTE templating)


def check_bounds(config, where: str = "config") -> None:
    """Refuse a config nested deeper than MAX_DEPTH or holding more than MAX_VALUES values (a
    YAML alias counts at each use, so an alias bomb stops here), before anything walks it."""
    stack, count = [(config, 0)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise ConfigError(f"{where} holds more than {MAX_VALUES} values (YAML aliases "
                              "count at each use): refusing to read it")
        if isinstance(node, (dict, list)):
            if depth >= MAX_DEPTH:
                raise ConfigError(f"{where} is nested deeper than {MAX_DEPTH} levels: no "
                                  "config key is that deep")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)


def check_variant_names(config: dict) -> None:
    """Every variant's name fits the name grammar (rnnlab.config.sweeps)."""
    variants = config.get("variants")
    if isinstance(variants, dict):
        for name in variants:
            check_name(name, "variants")


def validate_config(config: dict) -> dict:
    """Validate ``config`` in place, filling in defaults and adding the variants its sweeps
    generate; raise ConfigError naming the key."""
    check_bounds(config)
    if isinstance(config, dict) and TEMPLATE_KEY in config:
        raise ConfigError(f"config key {TEMPLATE_KEY}: templated config files are refused "
                          "(Snakemake would run their Python); write plain values")
    check_variant_names(config)
    check_schema(config)
    check_semantics(config)
    add_sweep_variants(config)
    check_semantics(config)  # the generated variants too
    return config


def check_plain_files(paths) -> None:
    """Refuse config files marked as YTE templates (a top-level ``__use_yte__`` key): Snakemake
    runs their Python while it reads them, which a config file must never do. (Snakemake drops
    the key as it reads such a file, so the files themselves are read here.)"""
    import re

    for path in map(Path, paths):
        try:
            text = path.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", "replace")
        except OSError:
            continue  # Snakemake has read it, or said why not
        if re.search(rf"^[\"']?{TEMPLATE_KEY}[\"']?\s*:", text, re.M):
            name = repr(str(path) if len(str(path)) <= 80 else "..." + str(path)[-77:])
            raise ConfigError(f"config {name}: key {TEMPLATE_KEY} marks a template, which "
                              "Snakemake runs as Python; rnnlab reads only plain config files")


def merge(base: dict, update: dict) -> dict:
    """Merge ``update`` into ``base`` key by key, recursing into mappings (as Snakemake merges
    several --configfile files)."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


class _TooDeep(Exception):
    """A YAML document nested deeper than MAX_DEPTH (raised while it is parsed)."""


@cache
def _bounded_loader():
    """yaml.SafeLoader that stops as soon as a document nests deeper than MAX_DEPTH, before
    Python's recursion limit (PyYAML composes nodes recursively)."""
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent, index):
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH + 1:
                    raise _TooDeep
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return BoundedLoader


def read_config_file(path: Path) -> dict:
    """One config file's mapping, or a one-line ConfigError naming the file."""
    import yaml

    name = repr(str(path) if len(str(path)) <= 80 else "..." + str(path)[-77:])
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"cannot read config {name}: {err.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"config {name} is over the limit of {MAX_FILE_BYTES} bytes")
    try:
        part = yaml.load(data.decode("utf-8"), Loader=_bounded_loader())  # a SafeLoader
    except UnicodeDecodeError as err:
        raise ConfigError(f"config {name} is not UTF-8 text: byte "
                          f"0x{err.object[err.start]:02x} at offset {err.start}") from None
    except yaml.YAMLError as err:
        raise ConfigError(one_line(f"config {name} is not valid YAML: {err}")) from None
    except ValueError as err:  # an integer too long for Python (over 4300 digits)
        raise ConfigError(one_line(f"config {name} holds a value Python cannot read: {err}")) \
            from None
    except _TooDeep:
        raise ConfigError(f"config {name} is nested deeper than {MAX_DEPTH} levels: no config "
                          "key is that deep") from None
    if part is not None and not isinstance(part, dict):
        raise ConfigError(f"config {name} must be a mapping of keys")
    check_bounds(part, f"config {name}")
    if part and TEMPLATE_KEY in part:
        raise ConfigError(f"config {name}: key {TEMPLATE_KEY} marks a template, which "
                          "Snakemake runs as Python; rnnlab reads only plain config files")
    return part or {}


def load_config(*paths: str | Path) -> dict:
    """Read one or more config files, later ones overriding earlier keys, and validate (the
    variants' init_from references among them too)."""
    config: dict = {}
    for path in map(Path, paths):
        merge(config, read_config_file(path))
    check_init_from(validate_config(config))
    return config
