# rnnlab: the recurrent-network lab of Dive into Deep Learning as a pipeline. No logic here:
# helpers live in rules/common.smk and every rule calls the rnnlab command line.


from snakemake.utils import min_version

min_version("9.0")  # as pyproject.toml requires


configfile: "config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/predict.smk"
include: "rules/report.smk"


rule all:
    default_target: True
    input:
        data_outputs(),
        model_outputs("metrics.json"),
        rules.report.output,
