"""``rnnlab predict``: the textbook's greedy text (``predict_ch8``) from a trained variant's
best.pt, for each of the config's prefixes, as predictions.json. A stage of its own, so new
prefixes or a new length regenerate text in seconds and retrain nothing."""

from __future__ import annotations

import json
from pathlib import Path

from rnnlab.errors import GenerationError
from rnnlab.fileio import atomic_write_text

PREDICTIONS_FILE = "predictions.json"


def parse_prefixes(text: str) -> list[str]:
    """``--prefixes``: a JSON list of non-empty strings."""
    try:
        prefixes = json.loads(text)
    except (ValueError, RecursionError):
        prefixes = None
    if not isinstance(prefixes, list) or not all(
            isinstance(prefix, str) and prefix for prefix in prefixes):
        raise GenerationError(f"--prefixes must be a JSON list of non-empty texts, got "
                              f"{text!r:.60}")
    return prefixes


def predict(checkpoint: str | Path, prefixes: list[str], num_preds: int,
            out: str | Path) -> dict[str, str]:
    """Greedy text of ``num_preds`` tokens after each prefix from ``checkpoint``'s model (on
    the CPU), written to ``out`` as JSON ``{prefix: text}`` in the prefixes' order."""
    from rnnlab.generate import generate

    texts = {prefix: generate(checkpoint, prefix, num_preds=num_preds)[0][0]
             for prefix in prefixes}
    atomic_write_text(out, json.dumps(texts, indent=2, ensure_ascii=False) + "\n")
    return texts
