rule download:
    output:
        text_path(),
    log:
        f"{LOGS_DIR}/download.log",
    conda:
        RNNLAB_ENV
    params:
        url=config["data"]["url"],
        sha1=config["data"]["sha1"],
    shell:
        "rnnlab download --url {params.url:q} --sha1 {params.sha1} --out {output} 2> {log}"


rule preprocess:
    input:
        text_path(),
    output:
        data_outputs(),
    log:
        f"{LOGS_DIR}/preprocess.log",
    conda:
        RNNLAB_ENV
    params:
        token=config["data"]["token"],
        min_freq=config["data"]["min_freq"],
        out=output_dir,
    shell:
        "rnnlab preprocess --text {input} --token {params.token} "
        "--min-freq {params.min_freq} --out {params.out} 2> {log}"
