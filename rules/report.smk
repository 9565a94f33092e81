rule report:
    input:
        model_outputs("metrics.json"),
    output:
        table=report(
            f"{REPORT_DIR}/comparison.md",
            caption="../workflow/report/comparison.rst",
            category="Comparison",
        ),
        html=report(
            f"{REPORT_DIR}/comparison.html",
            caption="../workflow/report/comparison_html.rst",
            category="Comparison",
        ),
        csv=report(
            f"{REPORT_DIR}/comparison.csv",
            caption="../workflow/report/comparison.rst",
            category="Comparison",
        ),
        perplexity=report(
            f"{REPORT_DIR}/perplexity.png",
            caption="../workflow/report/perplexity.rst",
            category="Comparison",
        ),
        gru_vs_lstm=report(
            f"{REPORT_DIR}/gru_vs_lstm.png",
            caption="../workflow/report/gru_vs_lstm.rst",
            category="Comparison",
        ),
        speed=report(
            f"{REPORT_DIR}/speed.png",
            caption="../workflow/report/speed.rst",
            category="Comparison",
        ),
    log:
        f"{LOGS_DIR}/report.log",
    conda:
        RNNLAB_ENV
    params:
        models=input_grandparent,
        variants=sorted(VARIANTS),  # a set: the config's order must not rerun it
        out=output_dir,
    shell:
        "rnnlab report --models {params.models} --variants {params.variants} "
        "--out {params.out} > {log} 2>&1"
