"""The argument parser: every subcommand's flags, help and example."""

from __future__ import annotations

import argparse

from rnnlab import __version__
from rnnlab.cli.commands import (
    cmd_compare,
    cmd_download,
    cmd_export,
    cmd_generate,
    cmd_predict,
    cmd_preprocess,
    cmd_report,
    cmd_train,
)
from rnnlab.errors import bounded


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
