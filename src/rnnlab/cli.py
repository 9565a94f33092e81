"""The ``rnnlab`` command line. Each pipeline stage is a subcommand, so every stage also runs by
hand. Known errors, a user's path that the OS refuses and a bad command line print one line
(``rnnlab COMMAND: error: ...``) and exit 1; heavy modules (torch, matplotlib) are imported only
by the subcommand that needs them."""

from __future__ import annotations

import argparse
import os
import re
import sys

from rnnlab import __version__
from rnnlab.errors import RnnlabError, bounded


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

    claim_for_new_run(args.out, args.force)  # a finished run's folder: refused or cleared
    watch_workflow()  # a job Snakemake started stops when that Snakemake dies
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


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one line and exit status 1, like every other error of
    rnnlab (an unknown or missing flag, a word that is not a number, a value not among the
    choices): scripts and tests check one status, and stderr holds one line to read."""

    def error(self, message: str):
        self.exit(1, bounded(f"{self.prog}: error: {message}") + f" (see {self.prog} --help)\n")


def _example(*lines: str) -> dict:
    """The parts of a subcommand's --help below its options: an example run."""
    return {"epilog": "example:\n" + "\n".join(f"  {line}" for line in lines),
            "formatter_class": argparse.RawDescriptionHelpFormatter}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rnnlab", description="The recurrent-network lab of Dive into Deep Learning.",
        **_example("rnnlab preprocess --text results/data/timemachine.txt --out results/data",
                   "rnnlab COMMAND --help"))
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub = commands.add_parser(
        "download", help="fetch a text and check its SHA-1",
        description="Fetch a text over http(s), from file:// or a path, and check its SHA-1.",
        **_example("rnnlab download --url "
                   "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt \\",
                   "    --sha1 090b5e7e70c295757f55df93cb0a180b9691891a "
                   "--out results/data/timemachine.txt"))
    sub.add_argument("--url", required=True, help="http(s) or file:// URL, or a local path")
    sub.add_argument("--sha1", help="expected SHA-1 (hex)")
    sub.add_argument("--out", required=True, help="where to write the text")
    sub.add_argument("--timeout", type=float, default=30.0, help="seconds per try (30)")
    sub.add_argument("--retries", type=int, default=3, help="retries after the first try (3)")
    sub.set_defaults(func=cmd_download)

    sub = commands.add_parser(
        "preprocess", help="tokenize a text into vocab, corpus and stats",
        description="Tokenize a text, or the train, valid and test files of a pre-split "
                    "corpus, into vocab.json, corpus.int32 and stats.json.",
        **_example("rnnlab preprocess --text results/data/timemachine.txt --token char "
                   "--out results/data"))
    sub.add_argument("--text", help="the text file")
    sub.add_argument("--files", nargs=3, metavar=("TRAIN", "VALID", "TEST"),
                     help="instead of --text: the train, valid and test files of a corpus")
    sub.add_argument("--token", default="char", choices=["char", "word", "whitespace"],
                     help="char, word or whitespace (word_language_model's tokens) (char)")
    sub.add_argument("--min-freq", type=int, default=0, help="drop rarer tokens to <unk> (0)")
    sub.add_argument("--out", required=True, help="output directory")
    sub.set_defaults(func=cmd_preprocess)

    sub = commands.add_parser(
        "train", help="train one variant of config.yaml",
        description="Train one variant of config.yaml on a preprocessed corpus.",
        **_example("rnnlab train --config config.yaml --variant lstm_deep --data results/data "
                   "\\", "    --out results/models/lstm_deep --epochs 5"))
    sub.add_argument("--settings", metavar="JSON",
                     help="one variant's resolved settings as JSON (what the pipeline passes)")
    sub.add_argument("--run-options", metavar="JSON",
                     help="with --settings: settings that change how the job runs, not what it "
                          "computes (checkpoint_every, cuda_graph, device)")
    sub.add_argument("--config", nargs="+", metavar="FILE",
                     help="config.yaml; further files override its keys in order")
    sub.add_argument("--variant", help="a name under variants: (with --config)")
    sub.add_argument("--data", required=True, help="the directory rnnlab preprocess wrote")
    sub.add_argument("--out", required=True, help="output directory (results/models/NAME)")
    sub.add_argument("--epochs", type=int, help="override the config's epochs")
    sub.add_argument("--device", choices=["auto", "cpu", "cuda"],
                     help="override the config's device: auto, cpu or cuda")
    sub.add_argument("--threads", type=int, help="torch intra-op threads")
    sub.add_argument("--quiet", action="store_true", help="no progress bar or log lines")
    sub.add_argument("--tensorboard", metavar="DIR",
                     help="also write TensorBoard event files to DIR (the tracking extra)")
    sub.add_argument("--force", action="store_true",
                     help="replace a finished run in --out (its files are removed first)")
    sub.set_defaults(func=cmd_train)

    sub = commands.add_parser(
        "predict", help="greedy text after each prefix from a checkpoint, as JSON",
        description="Greedy text (the textbook's predict_ch8) after each prefix from a "
                    "checkpoint's model, written as JSON {prefix: text}.",
        **_example("rnnlab predict --checkpoint results/models/lstm_deep/best.pt "
                   "--prefixes '[\"time traveller\"]' \\",
                   "    --num-preds 50 --out results/models/lstm_deep/predictions.json"))
    sub.add_argument("--checkpoint", required=True, help="best.pt (or checkpoint.pt)")
    sub.add_argument("--prefixes", required=True, metavar="JSON",
                     help="the prefixes as a JSON list of texts")
    sub.add_argument("--num-preds", type=int, default=50, help="tokens after each prefix (50)")
    sub.add_argument("--out", required=True, help="the predictions.json to write")
    sub.set_defaults(func=cmd_predict)

    sub = commands.add_parser(
        "report", help="compare the trained variants",
        description="Compare the trained variants: tables and figures of their metrics.json.",
        **_example("rnnlab report --models results/models --out results/report"))
    sub.add_argument("--models", required=True, help="directory of <variant>/metrics.json")
    sub.add_argument("--variants", nargs="+", help="only these variants (default: all found)")
    sub.add_argument("--out", required=True, help="output directory")
    sub.add_argument("--sweeps", metavar="JSON",
                     help="the config's sweeps: mapping as JSON (one sweep-<name>.png each)")
    sub.set_defaults(func=cmd_report)

    sub = commands.add_parser(
        "compare", help="compare two results folders",
        description="Two results folders (or comparison.csv files) side by side: per variant, "
                    "the change in perplexity and speed, Welch's t-test where both sides have "
                    "replicates, the settings that differ, the variants on one side only.",
        **_example("rnnlab compare --out results-after/compare results results-after"))
    sub.add_argument("a", metavar="A", help="results folder (or comparison.csv): before")
    sub.add_argument("b", metavar="B", help="results folder (or comparison.csv): after")
    sub.add_argument("--out", help="write compare.md, compare.csv and compare.png here")
    sub.set_defaults(func=cmd_compare)

    sub = commands.add_parser(
        "generate", help="sample text from a checkpoint",
        description="Continue a prefix with the model of a checkpoint (greedy, sample or beam).",
        **_example("rnnlab generate --checkpoint results/models/lstm_deep/checkpoint.pt "
                   "--prefix 'time traveller' \\", "    --num-preds 100 --strategy beam"))
    sub.add_argument("--checkpoint", required=True, help="checkpoint.pt (last epoch) or best.pt")
    sub.add_argument("--prefix", required=True, help="text to warm the state up on")
    sub.add_argument("--num-preds", type=int, default=50, help="tokens to generate (50)")
    sub.add_argument("--strategy", choices=["greedy", "sample", "beam"], default="greedy",
                     help="greedy (the textbook's predict_ch8), sample or beam (greedy)")
    sub.add_argument("--temperature", type=float, default=1.0, help="sample: softmax temperature")
    sub.add_argument("--top-k", type=int, help="sample: only the k most likely tokens")
    sub.add_argument("--beam-size", type=int, default=4, help="beam: sequences kept (4)")
    sub.add_argument("--alpha", type=float, default=0.75,
                     help="beam: length penalty, score = log P / L^alpha (0.75)")
    sub.add_argument("--num-best", type=int, default=1,
                     help="beam: print the k best with their scores (1)")
    sub.add_argument("--seed", type=int, help="sample: random seed for reproducible text")
    sub.add_argument("--device", default="cpu", help="cpu, cuda or auto (cpu)")
    sub.set_defaults(func=cmd_generate)

    sub = commands.add_parser(
        "export", help="write one step (or a whole sequence) of a checkpoint's model as ONNX",
        description="Write one step of a checkpoint's model (tokens and state in, logits and "
                    "state out), or with --sequence a whole sequence of tokens, as ONNX.",
        **_example("rnnlab export --checkpoint results/models/lstm_deep/best.pt "
                   "--out lstm_deep.onnx"))
    sub.add_argument("--checkpoint", required=True, help="a checkpoint.pt or best.pt")
    sub.add_argument("--out", required=True, help="the .onnx file to write")
    sub.add_argument("--sequence", action="store_true",
                     help="tokens (batch, steps) in, logits (batch, steps, vocab) out")
    sub.set_defaults(func=cmd_export)
    return parser


def _fail(command: str, message: str, status: int = 1) -> int:
    """Print an error as one short line (a YAML parser's message spans several, a bad value
    may be megabytes); return ``status``."""
    message = " ".join(line.strip() for line in message.splitlines() if line.strip())
    print(bounded(f"rnnlab {command}: error: {message}"), file=sys.stderr)
    return status


def _out_of_memory(err: BaseException) -> str | None:
    """One line for a failed allocation (torch raises a plain RuntimeError on the CPU and
    torch.OutOfMemoryError, also a RuntimeError, on CUDA); None for any other error."""
    text = str(err)
    if not (isinstance(err, MemoryError) or "can't allocate memory" in text
            or "out of memory" in text.lower()):
        return None
    tried = re.search(r"tried to allocate ([0-9.]+ ?[KMGT]?i?B|[0-9]+ bytes)", text)
    size = f" ({tried.group(1)} at once)" if tried else ""
    return (f"out of memory{size}: the model or its batches do not fit; try a smaller hidden, "
            "layers, batch_size or num_steps")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except RnnlabError as err:
        return _fail(args.command, str(err), getattr(err, "exit_code", 1))
    except OSError as err:  # a user's path: a read-only or full disk, a file in a folder's place
        from rnnlab.fileio import describe_os_error

        return _fail(args.command, describe_os_error(err))
    except (MemoryError, RuntimeError) as err:
        message = _out_of_memory(err)
        if message is None:
            raise
        return _fail(args.command, message)
    except KeyboardInterrupt:
        print(f"rnnlab {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
