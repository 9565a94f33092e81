"""``init_from: variant:NAME``: a variant that starts from another variant's trained weights (its
best.pt). The pipeline makes that checkpoint an input of the training job, so NAME trains
first and retraining it makes the dependent variant stale."""

from __future__ import annotations

from pathlib import Path

from rnnlab.config.schema import shown
from rnnlab.errors import ConfigError

PREFIX = "variant:"
CHECKPOINT = "best.pt"


def init_from_variant(value) -> str | None:
    """The variant an ``init_from`` value names (``variant:NAME``), or None for a path."""
    if isinstance(value, str) and value.startswith(PREFIX):
        return value[len(PREFIX):]
    return None


def init_from_path(value: str, models_dir: str | Path) -> str:
    """The checkpoint an ``init_from`` value means: NAME's best.pt under ``models_dir`` (the
    folder of every variant's folder) for ``variant:NAME``, else the path as given."""
    name = init_from_variant(value)
    return value if name is None else str(Path(models_dir) / name / CHECKPOINT)


def check_init_from(config: dict) -> None:
    """Every ``variant:NAME`` names a variant, and no chain of them comes back to where it
    started (NAME would have to train before itself)."""
    variants = config["variants"]
    for name, settings in variants.items():
        seen = [name]
        source = init_from_variant(settings.get("init_from"))
        while source is not None:
            if source not in variants:
                raise ConfigError(f"config key variants.{name}.init_from: unknown variant "
                                  f"{shown(source)} (valid: variant:NAME for a variant's best.pt,"
                                  " or a checkpoint's path)")
            if source in seen:
                raise ConfigError(f"config key variants.{name}.init_from: a cycle: "
                                  f"{' <- '.join([*seen, source])} would each train first")
            seen.append(source)
            source = init_from_variant(variants[source].get("init_from"))
