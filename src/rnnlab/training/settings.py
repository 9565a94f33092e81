"""The settings of one training job as one typed, immutable object, built once per job from the
settings the config validated (``rnnlab.config.resolve_variant`` or ``rnnlab train --settings``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from rnnlab.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Settings:
    """One variant's resolved settings: the variant's own keys, the training defaults and the data
    keys that shape its splits. Optional keys are None when the config leaves them out; they are
    then left out of :meth:`to_dict` too, so checkpoints and metrics.json keep their keys."""

    variant: str
    cell: str
    impl: str
    hidden: int
    lr: float
    layers: int
    dropout: float
    batch_size: int
    num_steps: int
    epochs: int
    sampling: str
    clip: float
    seed: int
    eval_every: int
    checkpoint_every: int
    prefixes: tuple[str, ...]
    num_preds: int
    device: str  # as asked: auto, cpu or cuda (metrics.json's device_used says what ran)
    cuda_graph: bool  # as asked (cuda_graph_used says whether a graph ran)
    patience: int
    anneal: float
    token: str
    train_tokens: int
    val_tokens: int
    min_freq: int
    test_tokens: int | None = None
    eval_batch_size: int | None = None  # rows of held-out and test evaluation; None: batch_size
    dropout_kind: str | None = None
    reset_after: bool | None = None
    embedding: int | None = None
    tied: bool | None = None
    init_from: str | None = None

    @classmethod
    def from_dict(cls, settings: Mapping) -> Settings:
        """Settings from an already validated dict (the schema checked every value); a key this
        class does not know, or a missing one, is a ConfigError naming it."""
        if isinstance(settings, Settings):
            return settings
        unknown = sorted(set(settings) - set(KEYS))
        if unknown:
            raise ConfigError(f"unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
        missing = [field.name for field in dataclasses.fields(cls)
                   if field.default is dataclasses.MISSING and field.name not in settings]
        if missing:
            raise ConfigError(f"the settings lack {missing[0]!r}")
        values = dict(settings)
        values["prefixes"] = tuple(values["prefixes"])
        return cls(**values)

    def to_dict(self) -> dict:
        """The settings as the config gave them (lists, not tuples; no None-valued optional
        keys): what checkpoints and metrics.json hold."""
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        values["prefixes"] = list(self.prefixes)
        return {key: value for key, value in values.items()
                if not (value is None and key in OPTIONAL)}

    @property
    def eval_rows(self) -> int:
        """Rows of held-out and test evaluation: ``eval_batch_size``, else ``batch_size``."""
        return self.eval_batch_size or self.batch_size

    def model_options(self) -> dict:
        """The keyword options of rnnlab.models.build_model that these settings give."""
        options = {"dropout": self.dropout, "dropout_kind": self.dropout_kind,
                   "reset_after": self.reset_after,
                   "embedding": self.embedding, "tied": self.tied}
        return {key: value for key, value in options.items() if value is not None}


# Every settings key, in the class's order: metrics.json holds these at its top level as asked;
# everything else there is a result or what was used (the report tells them apart by these).
KEYS = tuple(field.name for field in dataclasses.fields(Settings))
OPTIONAL = frozenset(field.name for field in dataclasses.fields(Settings)
                     if field.default is None)
