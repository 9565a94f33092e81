rule download:
    output:
        text_path(),
    log:
        f"{LOGS_DIR}/download.log",
    params:
        url=config["data"]["url"],
        sha1=config["data"]["sha1"],
    shell:
        "rnnlab download --url {params.url:q} --sha1 {params.sha1:q} --out {output:q} 2> {log:q}"


rule download_split:
    output:
        f"{DATA_DIR}/{config['data']['name']}.{{split}}.txt",
    log:
        f"{LOGS_DIR}/download-{{split}}.log",
    wildcard_constraints:
        split="|".join(SPLITS),
    params:
        url=split_url,
        sha1=split_sha1,
    shell:
        "rnnlab download --url {params.url:q} --sha1 {params.sha1:q} --out {output:q} 2> {log:q}"


rule preprocess:
    input:
        data_sources(),
    output:
        data_outputs(),
    log:
        f"{LOGS_DIR}/preprocess.log",
    params:
        code=code_version("data"),
        token=config["data"]["token"],
        min_freq=config["data"]["min_freq"],
        out=output_dir,
        sources=sources_flag(),
    shell:
        "rnnlab preprocess {params.sources:q} {input:q} --token {params.token:q} "
        "--min-freq {params.min_freq:q} --out {params.out:q} 2> {log:q}"
