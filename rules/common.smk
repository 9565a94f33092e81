# Config validation and helpers shared by the rules. The schema lives in
# workflow/schemas/config.schema.yaml; rnnlab.config fills in its defaults and names the bad key.
import os
import re

from rnnlab.config import resolve_variant, validate_config

validate_config(config)


localrules:
    all,
    download,
    preprocess,
    report,


report: "../workflow/report/workflow.rst"


DATA_DIR = "results/data"
MODELS_DIR = "results/models"
REPORT_DIR = "results/report"
VARIANTS = list(config["variants"])
# The config files the train jobs read, merged in Snakemake's order: the workflow's config.yaml,
# then any --configfile. (Values given with --config KEY=VALUE do not reach the jobs.)
CONFIG_FILES = [
    *[str(f) for f in workflow.configfiles if f not in workflow.overwrite_configfiles],
    *map(str, workflow.overwrite_configfiles),
]


wildcard_constraints:
    variant="|".join(map(re.escape, VARIANTS)),  # generated names may hold '.' (lr-0.5)


def data_outputs():
    """What the data stage writes."""
    return expand(
        f"{DATA_DIR}/{{name}}",
        name=["vocab.json", "corpus.int32", "stats.json"],
    )


def variant_settings(wildcards):
    """The resolved settings of one variant. As a rule's params they make Snakemake rerun
    exactly the variants whose settings changed (and the report after them)."""
    return resolve_variant(config, wildcards.variant)


def model_outputs(name):
    """One output file of every variant's training job."""
    return expand(f"{MODELS_DIR}/{{variant}}/{name}", variant=VARIANTS)


def text_path():
    return f"{DATA_DIR}/{config['data']['name']}.txt"


def output_dir(wildcards, output):
    """The folder of a rule's first output (for commands that take a directory)."""
    return os.path.dirname(output[0])


def input_dir(wildcards, input):
    """The folder of a rule's first input."""
    return os.path.dirname(input[0])


def input_grandparent(wildcards, input):
    """The folder above the folder of a rule's first input (results/models for metrics)."""
    return os.path.dirname(os.path.dirname(input[0]))


RNNLAB_ENV = "../workflow/envs/rnnlab.yaml"
