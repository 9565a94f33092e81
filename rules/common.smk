# Config validation and helpers shared by the rules. The schema lives in
# workflow/schemas/config.schema.yaml; rnnlab.config fills in its defaults and names the bad key.
import json
import os
import sys

from rnnlab.config import (
    check_init_from,
    check_plain_files,
    coerce_overrides,
    init_from_path,
    resolve_variant,
    selected_variants,
    settings_json,
    split_run_options,
    validate_config,
)
from rnnlab.config.sweeps import NAME as VARIANT_NAME
from rnnlab.errors import ConfigError
from rnnlab.lifeline import name_workflow
from rnnlab.locks import LockError, hold_results
from rnnlab.plan import describe_workflow
from rnnlab.provenance import code_fingerprint

# Values given with --config come last (Snakemake merged them into config); read their strings
# with the schema's types, then validate the whole, before any job runs. A bad config is one
# line naming the key, and exit status 1.
try:
    check_plain_files(workflow.configfiles)
    coerce_overrides(config, workflow.config_settings.overwrite_config)
    validate_config(config)
    check_init_from(config)  # variant:NAME references between variants
except ConfigError as err:
    sys.exit(f"rnnlab: {err}")
# The jobs' environment names this Snakemake: a training job stops when it dies (kill -9).
name_workflow()


localrules:
    all,
    download,
    download_split,
    preprocess,
    predict,
    report,


report: "../workflow/report/workflow.rst"


RESULTS_DIR = config["results_dir"]
DATA_DIR = f"{RESULTS_DIR}/data"
MODELS_DIR = f"{RESULTS_DIR}/models"
REPORT_DIR = f"{RESULTS_DIR}/report"
LOGS_DIR = f"{RESULTS_DIR}/logs"
BENCHMARKS_DIR = f"{RESULTS_DIR}/benchmarks"
# The variants that train and enter the report (config key `run`).
VARIANTS = selected_variants(config)
if len(VARIANTS) > 200:  # say what the silence before the first job is
    print(
        f"rnnlab: planning {len(VARIANTS)} training jobs (one per variant a sweep generates)",
        file=sys.stderr,
    )


wildcard_constraints:
    # the name grammar, not a list of every name: a list of a big sweep's names makes every
    # match Snakemake does slow (variant_settings refuses a name the config does not have)
    variant=VARIANT_NAME.pattern,


def data_outputs():
    """What the data stage writes."""
    return expand(
        f"{DATA_DIR}/{{name}}",
        name=["vocab.json", "corpus.int32", "stats.json"],
    )


def code_version(stage):
    """A param that makes ``stage``'s jobs stale when the code shaping their results changes
    (rnnlab.provenance.code_fingerprint: comments and docstrings do not count). It names the
    stage and says code, as a dry run's reason prints it."""
    return f"rnnlab {stage} code {code_fingerprint(stage)}"


def variant_config(wildcards):
    """The resolved settings of the job's variant; a target of a variant the config does not
    have stops the run with one line."""
    try:
        return resolve_variant(config, wildcards.variant)
    except ConfigError as err:
        sys.exit(f"rnnlab: {err}")


def variant_settings(wildcards):
    """The resolved settings of one variant that shape its result, as canonical JSON. As a
    rule's params they make Snakemake rerun exactly the variants whose settings changed (and
    the report after them), whatever file or key order the values came from."""
    return settings_json(split_run_options(variant_config(wildcards))[0])


def init_checkpoint(wildcards):
    """The checkpoint a variant starts from (init_from), as an input of its training job:
    variant:NAME is NAME's best.pt, so NAME trains first and retraining it makes this one
    stale; a path is an input as it is. None without init_from."""
    value = variant_config(wildcards).get("init_from")
    return [init_from_path(value, MODELS_DIR)] if value else []


def train_gpus(wildcards):
    """GPUs for one training job: the config's, none for a variant that trains on the CPU."""
    device = variant_config(wildcards)["device"]
    return 0 if device == "cpu" else config["resources"]["gpu"]


def variant_prefixes(wildcards):
    """One variant's prefixes as JSON, for its predict job."""
    return json.dumps(variant_config(wildcards)["prefixes"])


def variant_num_preds(wildcards):
    """How many tokens one variant's predict job generates after each prefix."""
    return variant_config(wildcards)["num_preds"]


def run_options(wildcards, output):
    """One variant's settings that change how its job runs, not what it computes (checkpoint
    interval, CUDA graphs, device, the greedy text it shows), as JSON. A params function that takes ``output`` counts for
    Snakemake as derived from the outputs, so it is left out of the params that rerun a job;
    jobs on a cluster node compute it again from the same config."""
    return json.dumps(split_run_options(variant_config(wildcards))[1])


def tensorboard_dir(wildcards, output):
    """<results_dir>/tensorboard/<variant>: where the job writes TensorBoard's event files
    (with the tracking extra). A function of ``output``: it reruns no job."""
    return f"{RESULTS_DIR}/tensorboard/{wildcards.variant}"


def model_outputs(name):
    """One output file of every variant's training job."""
    return expand(f"{MODELS_DIR}/{{variant}}/{name}", variant=VARIANTS)


def text_path():
    return f"{DATA_DIR}/{config['data']['name']}.txt"


SPLITS = ("train", "valid", "test")


def data_sources():
    """What the data stage reads: the one text, or with data.files the three downloaded
    files (train, valid, test)."""
    if "files" in config["data"]:
        name = config["data"]["name"]
        return [f"{DATA_DIR}/{name}.{split}.txt" for split in SPLITS]
    return [text_path()]


def split_url(wildcards):
    return config["data"]["files"][wildcards.split]["url"]


def split_sha1(wildcards):
    return config["data"]["files"][wildcards.split]["sha1"]


def sources_flag():
    """How rnnlab preprocess takes data_sources(): --text FILE or --files TRAIN VALID TEST."""
    return "--files" if "files" in config["data"] else "--text"


def output_dir(wildcards, output):
    """The folder of a rule's first output (for commands that take a directory)."""
    return os.path.dirname(output[0])


def input_dir(wildcards, input):
    """The folder of a rule's first input."""
    return os.path.dirname(input[0])


def input_grandparent(wildcards, input):
    """The folder above the folder of a rule's first input (results/models for metrics)."""
    return os.path.dirname(os.path.dirname(input[0]))


def selected_sweeps():
    """The config's sweeps that have a base among the selected variants (``run:``)."""
    return {
        name: spec
        for name, spec in config.get("sweeps", {}).items()
        if set(spec["base"]) & set(VARIANTS)
    }


# Caption and category of each report file in `snakemake --report` (sweep-*.png: "sweep").
REPORT_CAPTIONS = {
    "comparison.csv": ("comparison", "Comparison"),
    "comparison.md": ("comparison", "Comparison"),
    "comparison.html": ("comparison_html", "Comparison"),
    "perplexity.png": ("perplexity", "Comparison"),
    "gru_vs_lstm.png": ("gru_vs_lstm", "Comparison"),
    "speed.png": ("speed", "Comparison"),
    "replicates.csv": ("replicates", "Replicates"),
}


def report_outputs():
    """The files `rnnlab report` writes for the selected variants and sweeps, as
    rnnlab.report.report_files decides from their resolved settings, marked for
    `snakemake --report`."""
    from snakemake.io import report as marked_for_report

    from rnnlab.report import report_files

    settings = [resolve_variant(config, variant) for variant in VARIANTS]
    outputs = []
    for name in report_files(settings, sorted(selected_sweeps())):
        caption, category = REPORT_CAPTIONS.get(name, ("sweep", "Sweeps"))
        outputs.append(
            marked_for_report(
                f"{REPORT_DIR}/{name}",
                caption=f"../workflow/report/{caption}.rst",
                category=category,
            )
        )
    return outputs


def sweeps_json():
    """The selected sweeps as JSON for `rnnlab report --sweeps`: sweeps by name, each grid in
    its own key order (not sorted: generated names follow it, and the report reads them).
    """
    sweeps = selected_sweeps()
    return json.dumps(
        {
            name: {"base": sweeps[name]["base"], "grid": sweeps[name]["grid"]}
            for name in sorted(sweeps)
        }
    )


def hold_results_dir():
    """Lock results_dir for as long as this Snakemake runs, before any job deletes or writes a
    file, and wait for a training job a killed Snakemake left in one of its model folders to
    stop; another Snakemake on the same folder stops here with one line."""
    global RESULTS_LOCK
    try:
        RESULTS_LOCK = hold_results(
            RESULTS_DIR, [f"{MODELS_DIR}/{variant}" for variant in VARIANTS]
        )
    except (LockError, OSError) as err:  # OSError: results_dir cannot be made
        sys.exit(f"Error: {err}")


# Before the first job: what will train, about how long it takes, where to watch (never an
# error: rnnlab.plan.describe_workflow turns any failure into one line).
onstart:
    hold_results_dir()
    print(
        describe_workflow(
            workflow, list(config["variants"]), LOGS_DIR, f"{DATA_DIR}/stats.json"
        ),
        file=sys.stderr,
    )
