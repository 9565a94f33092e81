# Config validation and helpers shared by the rules. The schema lives in
# workflow/schemas/config.schema.yaml; rnnlab.config fills in its defaults and names the bad key.
import os

from rnnlab.config import resolve_variant, validate_config

validate_config(config)

DATA_DIR = "results/data"


def data_outputs():
    """What the data stage writes."""
    return expand(
        f"{DATA_DIR}/{{name}}",
        name=["vocab.json", "corpus.int32", "stats.json"],
    )


def text_path():
    return f"{DATA_DIR}/{config['data']['name']}.txt"


def output_dir(wildcards, output):
    """The folder of a rule's first output (for commands that take a directory)."""
    return os.path.dirname(output[0])


RNNLAB_ENV = "../workflow/envs/rnnlab.yaml"
