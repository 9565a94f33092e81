rule predict:
    input:
        f"{MODELS_DIR}/{{variant}}/best.pt",
    output:
        f"{MODELS_DIR}/{{variant}}/predictions.json",
    log:
        f"{LOGS_DIR}/predict/{{variant}}.log",
    params:
        code=code_version("predict"),
        prefixes=variant_prefixes,
        num_preds=variant_num_preds,
    shell:
        "rnnlab predict --checkpoint {input:q} --prefixes {params.prefixes:q} "
        "--num-preds {params.num_preds:q} --out {output:q} 2> {log:q}"
