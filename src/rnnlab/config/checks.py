"""What the schema cannot state: rules across keys (tied, reset_after, patience with the held-out
split), a URL that parses, and a results folder that is safe to write into."""

from __future__ import annotations

import os

from rnnlab.config.schema import one_line, shown
from rnnlab.errors import ConfigError

MIN_HELD_OUT = 2  # tokens: one input and its target, the least a perplexity is measured on


def check_results_dir(path: str) -> None:
    """Refuse the root folder and a path that names an existing file (the schema has already
    kept the characters safe)."""
    if os.path.normpath(path) in ("/", "//"):
        raise ConfigError(f"config key results_dir: {path!r} is the root folder; name a "
                          "folder of its own, e.g. results")
    if os.path.exists(path) and not os.path.isdir(path):
        raise ConfigError(one_line(f"config key results_dir: {shown(path)} names an existing "
                                   "file, not a folder"))


def check_splits(config: dict) -> None:
    """A held-out or test split, when asked for, holds at least MIN_HELD_OUT tokens, and early
    stopping (patience) has a held-out split to watch."""
    data = config.get("data", {})
    for key in ("val_tokens", "test_tokens"):
        if 0 < data.get(key, 0) < MIN_HELD_OUT:
            raise ConfigError(f"config key data.{key}: {data[key]} token is too few for a "
                              f"perplexity: 0 for none, or at least {MIN_HELD_OUT}")
    if data.get("val_tokens", 1) or "files" in data:
        return
    for name, variant in config.get("variants", {}).items():
        patience = variant.get("patience", config.get("training", {}).get("patience", 0))
        if patience:
            where = f"variants.{name}" if "patience" in variant else "training"
            raise ConfigError(f"config key {where}.patience: {patience} counts held-out "
                              "evaluations, but data.val_tokens: 0 holds out no text")


def files_are_the_splits(data) -> None:
    """With ``data.files`` the three files are the splits: a token count that would cut them
    (other than 0) is refused, and the counts are 0 instead of the single text's defaults."""
    if not isinstance(data, dict) or "files" not in data:
        return
    for key in ("train_tokens", "val_tokens", "test_tokens"):
        if data.get(key):
            raise ConfigError(one_line(
                f"config key data.{key}: {data[key]!r} cannot be used with data.files (the "
                "valid and test files are the held-out and test texts); remove it or set it "
                "to 0"))
        data[key] = 0


def check_tied(variant: dict, where: str) -> None:
    """``tied: true`` shares the embedding with the output layer, so it needs embedding ==
    hidden (a rule across keys, which the schema cannot state)."""
    embedding, hidden = variant.get("embedding", 0), variant.get("hidden")
    if variant.get("tied") and embedding != hidden:
        raise ConfigError(f"config key {where}.tied: tied: true needs {where}.embedding == "
                          f"{where}.hidden, got embedding {embedding} and hidden {hidden}")


def check_semantics(config: dict) -> None:
    """What the schema cannot say: a URL that parses, a usable results folder, held-out splits
    large enough for a perplexity, and model options that fit the cell."""
    from rnnlab.download import check_url
    from rnnlab.errors import DownloadError

    data = config.get("data", {})
    urls = {"data.url": data["url"]} if "url" in data else {}
    urls.update({f"data.files.{split}.url": source["url"]
                 for split, source in data.get("files", {}).items()})
    for key, url in urls.items():
        try:
            check_url(url)
        except DownloadError as err:
            raise ConfigError(one_line(f"config key {key}: {err}")) from None
    if "results_dir" in config:
        check_results_dir(config["results_dir"])
    check_splits(config)
    # The same rules as rnnlab.models.build_model (tests/test_config_checks.py checks they agree).
    for name, variant in config.get("variants", {}).items():
        cell, impl, reset_after = variant["cell"], variant["impl"], variant.get("reset_after")
        if reset_after and cell != "gru":
            raise ConfigError(f"config key variants.{name}.reset_after: true applies only to "
                              f"cell gru, not {cell!r}")
        if reset_after is False and cell == "gru" and impl == "torch":
            raise ConfigError(f"config key variants.{name}.reset_after: false (the textbook "
                              "GRU) needs impl scratch: torch.nn.GRU always resets after the "
                              "product")
