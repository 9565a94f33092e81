"""The subcommands: each one stage (or a tool on finished results), importing what it needs
(torch, matplotlib) only when it runs."""

from __future__ import annotations

import argparse
import os
import sys


def cmd_download(args: argparse.Namespace) -> None:
    from rnnlab.download import download

    path = download(args.url, args.out, sha1=args.sha1, timeout=args.timeout,
                    retries=args.retries)
    print(f"wrote {path}", file=sys.stderr)


def cmd_preprocess(args: argparse.Namespace) -> None:
    from rnnlab.errors import DataError
    from rnnlab.preprocess import preprocess, preprocess_files

    if (args.text is None) == (args.files is None):
        raise DataError("give --text FILE or --files TRAIN VALID TEST, one of the two")
    if args.files:
        files = dict(zip(("train", "valid", "test"), args.files, strict=True))
        stats = preprocess_files(files, args.token, args.out, min_freq=args.min_freq)
    else:
        stats = preprocess(args.text, args.token, args.out, min_freq=args.min_freq)
    print(f"{stats['token']} corpus: {stats['corpus_length']} tokens, vocabulary "
          f"{stats['vocab_size']}, {stats['num_lines']} lines -> {args.out}", file=sys.stderr)


def cmd_train(args: argparse.Namespace) -> None:
    from rnnlab.errors import ConfigError, TrainingError, TrainingInterrupted
    from rnnlab.interrupts import Interrupted, stop_signals_deferred

    try:
        # A Ctrl-C inside `import torch` can be swallowed there: record it, answer it after.
        with stop_signals_deferred():
            from rnnlab.config import (
                load_config,
                resolve_variant,
                run_options_from_json,
                settings_from_json,
            )
            from rnnlab.training import Settings, train
    except Interrupted as interruption:
        raise TrainingInterrupted(f"interrupted by {interruption} while starting, before "
                                  "training: nothing was written", interruption.signum) from None
    overrides = {"epochs": args.epochs, "device": args.device}
    if args.settings is not None:  # what the pipeline passes: one variant's resolved settings
        if args.config or args.variant:
            raise ConfigError("give either --settings, or --config with --variant, not both")
        run_options = run_options_from_json(args.run_options or "{}")
        settings = settings_from_json(args.settings, {
            **run_options, **{key: value for key, value in overrides.items() if value is not None}})
    elif args.config and args.variant:
        settings = resolve_variant(load_config(*args.config), args.variant, overrides)
    else:
        raise ConfigError("give --settings JSON, or --config FILE... with --variant NAME")
    cpus = os.cpu_count() or 1  # more threads than CPUs only spin (thousands stall the job)
    if args.threads is not None and not 1 <= args.threads <= cpus:
        shown = args.threads if len(str(args.threads)) <= 20 else "a longer number"
        raise TrainingError(f"--threads must be between 1 and this machine's {cpus} CPUs, "
                            f"got {shown}")
    from rnnlab.lifeline import watch_workflow
    from rnnlab.locks import claim_for_new_run
    from rnnlab.memory import keep_freed_memory

    claim_for_new_run(args.out, args.force)  # a finished run's folder: refused or cleared
    watch_workflow()  # a job Snakemake started stops when that Snakemake dies
    keep_freed_memory()  # this process only trains: the same pages serve every batch
    train(Settings.from_dict(settings), args.data, args.out, threads=args.threads,
          progress=not args.quiet, tensorboard=args.tensorboard)


def cmd_predict(args: argparse.Namespace) -> None:
    from rnnlab.predict import parse_prefixes, predict

    predict(args.checkpoint, parse_prefixes(args.prefixes), args.num_preds, args.out)
    print(f"wrote {args.out}", file=sys.stderr)


def _json_argument(flag: str, text: str | None):
    import json

    from rnnlab.errors import DataError

    try:
        return None if text is None else json.loads(text)
    except ValueError as err:
        raise DataError(f"{flag} is not JSON ({err}): {text!r:.80}") from None


def cmd_report(args: argparse.Namespace) -> None:
    from rnnlab.report import build_report

    build_report(args.models, args.out, variants=args.variants,
                 sweep_specs=_json_argument("--sweeps", args.sweeps))
    print(f"wrote the comparison report to {args.out}", file=sys.stderr)


def cmd_compare(args: argparse.Namespace) -> None:
    from rnnlab.compare import compare

    result = compare(args.a, args.b, args.out)
    print(result["markdown"], end="")
    if args.out is not None:
        print(f"wrote {', '.join(path.name for path in result['files'])} to {args.out}",
              file=sys.stderr)


def cmd_generate(args: argparse.Namespace) -> None:
    from rnnlab.generate import generate

    results = generate(args.checkpoint, args.prefix, num_preds=args.num_preds,
                       strategy=args.strategy, temperature=args.temperature, top_k=args.top_k,
                       beam_size=args.beam_size, alpha=args.alpha, num_best=args.num_best,
                       seed=args.seed, device=args.device)
    for text, score in results:
        print(text if score is None or args.num_best == 1 else f"{score:.4f}\t{text}")


def cmd_export(args: argparse.Namespace) -> None:
    from rnnlab.export import export_checkpoint

    path = export_checkpoint(args.checkpoint, args.out, sequence=args.sequence)
    print(f"wrote {path}", file=sys.stderr)
