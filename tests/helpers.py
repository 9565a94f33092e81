"""Helpers for tests: a tiny config and the command line in a subprocess."""

import subprocess
import sys
from pathlib import Path

import yaml


def tiny_config(**training) -> dict:
    """A config with small models and short epochs for tests; ``training`` overrides."""
    return {
        "data": {"train_tokens": 0, "val_tokens": 600},
        "training": {"batch_size": 4, "num_steps": 8, "epochs": 2, "eval_every": 1,
                     "checkpoint_every": 1, "prefixes": ["time traveller"], "num_preds": 10,
                     "device": "cpu", **training},
        "variants": {
            "rnn": {"cell": "rnn", "impl": "scratch", "hidden": 16, "lr": 1},
            "gru": {"cell": "gru", "impl": "torch", "hidden": 16, "lr": 1},
            "lstm": {"cell": "lstm", "impl": "torch", "layers": 2, "hidden": 16, "lr": 2},
        },
    }


def write_config(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def rnnlab(*args, check=False, **kwargs) -> subprocess.CompletedProcess:
    """Run the rnnlab command line in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-m", "rnnlab.cli", *map(str, args)],
                          capture_output=True, text=True, check=check, **kwargs)
