"""Sweeps, and the one home of the variant-name grammar. A generated variant is named
``<base>--<key>-<value>[--<key>-<value>...]`` (keys in grid order). Names of the variants a user
writes cannot hold ``--``, so a generated name never shadows one. Every name is a folder, a
Snakemake wildcard value and a word in a shell line: letters, digits, '_', '.' and '-' only,
at most NAME_CHARS characters, and not periodic (Snakemake takes a value that ends in one
piece repeated 20 times for a cycle of rules)."""

from __future__ import annotations

import copy
import itertools
import re

from rnnlab.config.checks import check_tied
from rnnlab.config.schema import load_schema, one_line, shown, validator
from rnnlab.errors import ConfigError

SEPARATOR = "--"
WORD = re.compile(r"[A-Za-z0-9_]+")  # a hand-written variant's name, a sweep's name
VALUE_TEXT = re.compile(r"[A-Za-z0-9_.-]+")  # a swept value as a name writes it
NAME = re.compile(rf"{WORD.pattern}(?:{SEPARATOR}{VALUE_TEXT.pattern})*")
NAME_CHARS = 120
SWEEP_NAME_CHARS = 64
PERIODIC = re.compile(r"(.+)\1{19,}\Z")  # as Snakemake's PeriodicityDetector
MAX_GENERATED = 10_000  # variants all sweeps together may generate: a job each


def check_name(name, key: str, generated: bool = True) -> None:
    """Refuse a variant name that cannot be a folder, a wildcard value and a shell word,
    naming ``key`` (where it was written)."""
    pattern = NAME if generated else WORD
    allowed = ("letters, digits and '_'" + (", then --<key>-<value> segments" if generated
                                            else ""))
    if not isinstance(name, str) or not pattern.fullmatch(name):
        raise ConfigError(one_line(f"config key {key}: variant name {shown(name)} is not "
                                   f"allowed ({allowed})"))
    if len(name) > NAME_CHARS:
        raise ConfigError(one_line(f"config key {key}: variant name {shown(name)} is longer "
                                   f"than the limit of {NAME_CHARS} characters"))
    if PERIODIC.search(name):
        raise ConfigError(one_line(f"config key {key}: variant name {shown(name)} ends in one "
                                   "piece repeated 20 or more times, which Snakemake refuses"))


def split_name(name: str) -> tuple[str, list[str]]:
    """A variant name's base and its ``<key>-<value>`` segments: gru_deep--seed-3 ->
    ("gru_deep", ["seed-3"])."""
    base, *segments = name.split(SEPARATOR)
    return base, segments


def segment_key(segment: str) -> str:
    """The key of a ``<key>-<value>`` segment (keys hold no '-')."""
    return segment.split("-", 1)[0]


def join_name(base: str, segments) -> str:
    return SEPARATOR.join([base, *segments])


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


def _check_values(base: str, settings: dict, sweep: str, grid: dict) -> None:
    """Validate each value of a grid once, as a key of ``base``'s settings (the variant schema
    holds no rule across keys, so a point of the grid is valid when each of its values is),
    naming the swept key."""
    import jsonschema

    from rnnlab.config.schema import describe

    for key, values in grid.items():
        for value in values:
            point = {**settings, key: value}
            errors = list(validator().iter_errors({"variants": {base: point}}))
            if not errors:
                continue
            message = describe(jsonschema.exceptions.best_match(errors)).split(": ", 1)[-1]
            hint = ""
            if isinstance(value, str) and re.fullmatch(r"[-+]?[0-9.]+[eE][-+]?[0-9]+", value):
                hint = f" (YAML reads {value} as text: write it with a dot, e.g. 1.0e-3)"
            raise ConfigError(one_line(f"config key sweeps.{sweep}.grid.{key}: {message}{hint}"))


def _check_grid(sweep: str, grid: dict, allowed: list[str]) -> None:
    """Every key of a grid is sweepable and every value can be part of a name."""
    for key, values in grid.items():
        if key not in allowed:
            raise ConfigError(one_line(
                f"config: unknown key sweeps.{sweep}.grid.{key} (a sweep varies a variant or "
                f"training key: {', '.join(allowed)})"))
        for value in values:
            if not VALUE_TEXT.fullmatch(value_text(value)):
                raise ConfigError(one_line(
                    f"config key sweeps.{sweep}.grid.{key}: value {shown(value)} cannot be part "
                    "of a variant name (only letters, digits, '_', '.' and '-')"))


def _grid_size(config: dict) -> int:
    """How many variants the sweeps would generate at most, before generating any."""
    total = 0
    for spec in config.get("sweeps", {}).values():
        points = len(spec["base"])
        for values in spec["grid"].values():
            points *= len(values)
        total += points
    return total


def expand_sweeps(config: dict) -> dict[str, tuple[str, dict]]:
    """The variants that ``config['sweeps']`` generates, by name: (sweep name, settings), where
    the settings are the base variant's with one combination of the grid. A combination equal
    to the base's own settings is the base itself and generates nothing. Raises ConfigError
    naming the key for an unknown base or key, a value that cannot be part of a name, an
    invalid value, a name that two sweeps generate, and grids of more than MAX_GENERATED
    points. (itertools.product rather than Snakemake's Paramspace: see docs/configuration.md.)"""
    own = {name: settings for name, settings in config["variants"].items()
           if SEPARATOR not in name}
    size = _grid_size(config)
    if size > MAX_GENERATED:
        raise ConfigError(f"config key sweeps: the grids generate {size} variants, over the "
                          f"limit of {MAX_GENERATED} (one training job each)")
    allowed = sweepable_keys() if config.get("sweeps") else []
    generated: dict[str, tuple[str, dict]] = {}
    for sweep, spec in config.get("sweeps", {}).items():
        if not WORD.fullmatch(sweep) or len(sweep) > SWEEP_NAME_CHARS:
            raise ConfigError(one_line(
                f"config key sweeps: sweep name {shown(sweep)} is not allowed (letters, digits "
                f"and '_', at most {SWEEP_NAME_CHARS} characters: it names sweep-<name>.png)"))
        grid = spec["grid"]
        _check_grid(sweep, grid, allowed)
        made = 0
        for base in spec["base"]:
            if base not in own:
                raise ConfigError(one_line(f"config key sweeps.{sweep}.base: unknown variant "
                                           f"{shown(base)} (valid: {', '.join(own)})"))
            inherited = {**config["training"], **own[base]}
            _check_values(base, own[base], sweep, grid)
            for combination in itertools.product(*grid.values()):
                values = dict(zip(grid, combination, strict=True))
                name = join_name(base, (f"{key}-{value_text(value)}"
                                        for key, value in values.items()))
                settings = {**copy.deepcopy(own[base]), **copy.deepcopy(values)}
                check_name(name, f"sweeps.{sweep}")
                check_tied(settings, f"variants.{name}")
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
