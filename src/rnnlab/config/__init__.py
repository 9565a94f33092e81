"""config.yaml: the schema and its validator (schema), rules across keys (checks), ``--config``
values typed by the schema (overrides), sweeps and the variant-name grammar (sweeps), whole
configs read and validated (load), and one variant's settings (resolve). The names below are
the package's public API."""

from rnnlab.config.checks import check_tied
from rnnlab.config.init_from import check_init_from, init_from_path, init_from_variant
from rnnlab.config.load import (
    check_bounds,
    check_plain_files,
    load_config,
    merge,
    validate_config,
)
from rnnlab.config.overrides import coerce_overrides
from rnnlab.config.resolve import (
    PREDICTION_KEYS,
    RUN_ONLY_KEYS,
    canonical,
    resolve_variant,
    run_options_from_json,
    selected_variants,
    settings_from_json,
    settings_json,
    split_run_options,
)
from rnnlab.config.schema import (
    DATA_SPLIT_KEYS,
    MODEL_KEYS,
    SETTINGS_DATA_KEYS,
    check_schema,
    load_schema,
)
from rnnlab.config.sweeps import (
    SEPARATOR,
    add_sweep_variants,
    expand_sweeps,
    split_name,
    sweepable_keys,
    value_text,
)

__all__ = ["DATA_SPLIT_KEYS", "MODEL_KEYS", "PREDICTION_KEYS", "RUN_ONLY_KEYS", "SEPARATOR",
           "SETTINGS_DATA_KEYS", "add_sweep_variants", "canonical", "check_bounds",
           "check_init_from", "check_plain_files", "check_schema", "check_tied",
           "coerce_overrides", "expand_sweeps", "init_from_path", "init_from_variant",
           "load_config", "load_schema", "merge",
           "resolve_variant", "run_options_from_json", "selected_variants",
           "settings_from_json", "settings_json", "split_name", "split_run_options",
           "sweepable_keys", "validate_config", "value_text"]
