rule train:
    input:
        data_outputs(),
    output:
        checkpoint=f"{MODELS_DIR}/{{variant}}/checkpoint.pt",
        metrics=f"{MODELS_DIR}/{{variant}}/metrics.json",
        curve=report(
            f"{MODELS_DIR}/{{variant}}/curve.png",
            caption="../workflow/report/curve.rst",
            category="Training curves",
            labels={"variant": "{variant}"},
        ),
    log:
        "results/logs/train/{variant}.log",
    benchmark:
        "results/benchmarks/train/{variant}.tsv"
    conda:
        RNNLAB_ENV
    threads: 1
    params:
        settings=variant_settings,
        config=CONFIG_FILES,
        data=input_dir,
        out=output_dir,
    shell:
        "rnnlab train --config {params.config:q} --variant {wildcards.variant} "
        "--data {params.data} --out {params.out} --threads {threads} > {log} 2>&1"
