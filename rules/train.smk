rule train:
    input:
        data_outputs(),
        init=init_checkpoint,
    output:
        checkpoint=f"{MODELS_DIR}/{{variant}}/checkpoint.pt",
        best=f"{MODELS_DIR}/{{variant}}/best.pt",
        history=f"{MODELS_DIR}/{{variant}}/history.csv",
        metrics=f"{MODELS_DIR}/{{variant}}/metrics.json",
        curve=report(
            f"{MODELS_DIR}/{{variant}}/curve.png",
            caption="../workflow/report/curve.rst",
            category="Training curves",
            labels={"variant": "{variant}"},
        ),
    log:
        f"{LOGS_DIR}/train/{{variant}}.log",
    benchmark:
        f"{BENCHMARKS_DIR}/train/{{variant}}.tsv"
    threads: 1
    resources:
        gpu=train_gpus,
        cpus_per_task=config["resources"]["cpus_per_task"],
        mem_mb=config["resources"]["mem_mb"],
        runtime=config["resources"]["runtime"],
        # On Slurm: SIGTERM to the job's steps (where rnnlab train runs under srun, not only the
        # batch shell: no "B:") 120 s before the time limit, so the job writes resume.pt and its
        # next run resumes (docs/recovery.md). Other executors ignore it.
        slurm_extra="--signal=TERM@120",
    params:
        code=code_version("train"),
        settings=variant_settings,
        run_options=run_options,
        data=input_dir,
        out=output_dir,
        tensorboard=tensorboard_dir,
    shell:
        "rnnlab train --settings {params.settings:q} --run-options {params.run_options:q} "
        "--data {params.data:q} --out {params.out:q} "
        "--tensorboard {params.tensorboard:q} --threads {threads} > {log:q} 2>&1"
