rule report:
    input:
        model_outputs("metrics.json"),
        model_outputs("predictions.json"),
    output:
        report_outputs(),
    log:
        f"{LOGS_DIR}/report.log",
    params:
        code=code_version("report"),
        models=input_grandparent,
        variants=sorted(VARIANTS),  # a set: the config's order must not rerun it
        sweeps=sweeps_json(),
        out=output_dir,
    shell:
        "rnnlab report --models {params.models:q} --variants {params.variants:q} "
        "--out {params.out:q} --sweeps {params.sweeps:q} > {log:q} 2>&1"
