"""Tests of rnnlab.cli: every command fed bad values exits 1 with one line on stderr, no
traceback and no user file touched; --version and --help say what the commands do."""

import shutil

import pytest
from helpers import rnnlab, tiny_config, write_config

from rnnlab.checkpoint import load_checkpoint, save_checkpoint
from rnnlab.cli import build_parser, main


@pytest.fixture(scope="module")
def workspace(tiny_data, tmp_path_factory):
    """A folder with what the bad command lines point at: a config, a user's file, a folder
    where a file goes, a truncated data folder and a checkpoint without its vocabulary."""
    root = tmp_path_factory.mktemp("cli")
    write_config(root / "config.yaml", tiny_config())
    (root / "mine.txt").write_text("the user's own file\n")
    (root / "folder.txt").mkdir()
    (root / "latin1.yaml").write_bytes(b"variants: {}  # caf\xe9\n")
    config = tiny_config()
    config["variants"]["rnn"]["hidden"] = 8.0
    write_config(root / "float.yaml", config)
    config = tiny_config()
    config["variants"]["lstm"]["reset_after"] = True
    write_config(root / "reset.yaml", config)
    config = tiny_config()
    config["variants"]["gru"]["lr"] = 1e300
    write_config(root / "lr.yaml", config)
    config = tiny_config()
    config["data"]["url"] = "http://[::1/timemachine.txt"
    write_config(root / "url.yaml", config)
    config = tiny_config()
    config["variants"]["rnn"]["hidden"] = 10**7  # a 400 TB recurrent weight: refused by the schema
    write_config(root / "huge.yaml", config)
    shutil.copytree(tiny_data, root / "short")
    corpus = root / "short" / "corpus.int32"
    corpus.write_bytes(corpus.read_bytes()[:4000])
    from rnnlab.config import load_config, resolve_variant
    from rnnlab.training import train

    settings = resolve_variant(load_config(root / "config.yaml"), "gru", {"epochs": 1})
    train(settings, tiny_data, root / "model", progress=False)
    payload = load_checkpoint(root / "model" / "checkpoint.pt")
    del payload["vocab"]
    save_checkpoint(root / "no-vocab.pt", **{k: v for k, v in payload.items()
                                          if k not in ("format", "version")})
    return root


DATA = "{tiny_data}"
# case -> (arguments with {dir} the workspace, what the one error line says)
BAD = {
    "no command": ([], "rnnlab: error: the following arguments are required: COMMAND"),
    "unknown command": (["fly"], "invalid choice: 'fly'"),
    "download retries -1": (["download", "--url", "http://127.0.0.1:9/t", "--out",
                             "{dir}/t.txt", "--retries", "-1"],
                            "retries must be an integer >= 0, got -1"),
    "download timeout 0": (["download", "--url", "http://127.0.0.1:9/t", "--out",
                            "{dir}/t.txt", "--timeout", "0"], "timeout must be a number"),
    "download retries word": (["download", "--url", "x", "--out", "{dir}/t.txt",
                               "--retries", "many"], "invalid int value: 'many'"),
    "download sha1": (["download", "--url", "{dir}/mine.txt", "--out", "{dir}/t.txt",
                       "--sha1", "abc"], "--sha1 must be 40 hexadecimal digits, got 'abc'"),
    "download no host": (["download", "--url", "http://", "--out", "{dir}/t.txt"],
                         "malformed URL 'http://': it names no host"),
    "download port": (["download", "--url", "http://127.0.0.1:70000/t", "--out",
                       "{dir}/t.txt"], "Port out of range"),
    "download ipv6": (["download", "--url", "http://[::1/t", "--out", "{dir}/t.txt"],
                      "Invalid IPv6 URL"),
    "download out in a file": (["download", "--url", "{dir}/mine.txt", "--out",
                                "{dir}/mine.txt/t.txt"], "mine.txt': Not a directory"),
    "download out a folder": (["download", "--url", "{dir}/mine.txt", "--out",
                               "{dir}/folder.txt"], "folder.txt': Is a directory"),
    "preprocess token": (["preprocess", "--text", "{dir}/mine.txt", "--token", "byte",
                          "--out", "{dir}/d"], "argument --token: invalid choice: 'byte'"),
    "preprocess missing text": (["preprocess", "--text", "{dir}/nope.txt", "--out", "{dir}/d"],
                                "cannot read text file"),
    "preprocess out a file": (["preprocess", "--text", "{dir}/mine.txt", "--out",
                               "{dir}/mine.txt"], "mine.txt': Not a directory"),
    "preprocess min-freq -1": (["preprocess", "--text", "{dir}/mine.txt", "--min-freq", "-1",
                                "--out", "{dir}/d"], "min_freq must be an integer >= 0"),
    "preprocess all unk": (["preprocess", "--text", "{dir}/mine.txt", "--min-freq", "1000",
                            "--out", "{dir}/d"], "maps every char"),
    "preprocess text and files": (["preprocess", "--text", "{dir}/mine.txt", "--files",
                                   "{dir}/mine.txt", "{dir}/mine.txt", "{dir}/mine.txt",
                                   "--out", "{dir}/d"], "give --text FILE or --files TRAIN"),
    "train non-utf8 config": (["train", "--config", "{dir}/latin1.yaml", "--variant", "gru",
                               "--data", DATA, "--out", "{dir}/m"], "is not UTF-8 text"),
    "train float hidden": (["train", "--config", "{dir}/float.yaml", "--variant", "rnn",
                            "--data", DATA, "--out", "{dir}/m"],
                           "variants.rnn.hidden: 8.0 is not of type 'integer'"),
    "train reset_after lstm": (["train", "--config", "{dir}/reset.yaml", "--variant", "lstm",
                                "--data", DATA, "--out", "{dir}/m"],
                               "variants.lstm.reset_after: true applies only to cell gru"),
    "train lr 1e300": (["train", "--config", "{dir}/lr.yaml", "--variant", "gru",
                        "--data", DATA, "--out", "{dir}/m"], "variants.gru.lr"),
    "train bad data.url": (["train", "--config", "{dir}/url.yaml", "--variant", "gru",
                            "--data", DATA, "--out", "{dir}/m"], "data.url: malformed URL"),
    "train hidden beyond limit": (["train", "--config", "{dir}/huge.yaml", "--variant", "rnn",
                                   "--data", DATA, "--out", "{dir}/m"],
                                  "variants.rnn.hidden: 10000000 is over the limit of"),
    "train device": (["train", "--config", "{dir}/config.yaml", "--variant", "gru", "--data",
                      DATA, "--out", "{dir}/m", "--device", "tpu"], "invalid choice: 'tpu'"),
    "train truncated data": (["train", "--config", "{dir}/config.yaml", "--variant", "gru",
                              "--data", "{dir}/short", "--out", "{dir}/m"],
                             "holds 1000 tokens but stats.json says"),
    "train out a file": (["train", "--config", "{dir}/config.yaml", "--variant", "gru",
                          "--data", DATA, "--out", "{dir}/mine.txt", "--epochs", "1"],
                         "mine.txt': Not a directory"),
    "generate huge seed": (["generate", "--checkpoint", "{dir}/model/checkpoint.pt",
                            "--prefix", "time", "--strategy", "sample", "--seed",
                            "99999999999999999999999"], "seed must be at most"),
    "generate no vocab": (["generate", "--checkpoint", "{dir}/no-vocab.pt", "--prefix", "a"],
                          "key 'vocab' is missing"),
    "generate strategy": (["generate", "--checkpoint", "x", "--prefix", "a", "--strategy",
                           "best"], "invalid choice: 'best'"),
    "generate num-preds word": (["generate", "--checkpoint", "x", "--prefix", "a",
                                 "--num-preds", "lots"], "invalid int value: 'lots'"),
    "predict prefixes not a list": (["predict", "--checkpoint", "{dir}/model/best.pt",
                                     "--prefixes", "time", "--out", "{dir}/p.json"],
                                    "--prefixes must be a JSON list of non-empty texts"),
    "predict num-preds 10**9": (["predict", "--checkpoint", "{dir}/model/best.pt", "--prefixes",
                                 '["a"]', "--num-preds", str(10**9), "--out", "{dir}/p.json"],
                                "num_preds must be at most 100000, got 1000000000"),
    "predict no checkpoint": (["predict", "--checkpoint", "{dir}/nope.pt", "--prefixes",
                               '["a"]', "--out", "{dir}/p.json"], "nope.pt"),
    "train run-options key": (["train", "--settings", '{{"variant": "gru"}}', "--run-options",
                               '{{"lr": 2}}', "--data", DATA, "--out", "{dir}/m"],
                              "--run-options: unknown key 'lr'"),
    "report no models": (["report", "--models", "{dir}/nope", "--out", "{dir}/r"],
                         "does not exist"),
    "train into a finished run": (["train", "--config", "{dir}/config.yaml", "--variant", "gru",
                                   "--data", DATA, "--out", "{dir}/model"],
                                  "holds a finished run (metrics.json); training into it would "
                                  "mix two runs: give --force"),
    "generate alpha 1000": (["generate", "--checkpoint", "{dir}/model/checkpoint.pt",
                             "--prefix", "a", "--strategy", "beam", "--alpha=1000"],
                            "alpha must be between 0 and 10, got 1000"),
    "generate alpha -1e308": (["generate", "--checkpoint", "{dir}/model/checkpoint.pt",
                               "--prefix", "a", "--strategy", "beam", "--alpha=-1e308"],
                              "alpha must be between 0 and 10, got -1e+308"),
    "generate beam size 10**21": (["generate", "--checkpoint", "x", "--prefix", "a",
                                   "--beam-size", str(10**21)],
                                  "beam_size must be at most 1000, got a number of 22 digits"),
    "generate num-preds 10**9": (["generate", "--checkpoint", "x", "--prefix", "a",
                                  "--num-preds", str(10**9)],
                                 "num_preds must be at most 100000, got 1000000000"),
    "train threads 10**20": (["train", "--config", "{dir}/config.yaml", "--variant", "gru",
                              "--data", DATA, "--out", "{dir}/m", "--threads", str(10**20)],
                             "--threads must be between 1 and this machine's"),
    "generate long device": (["generate", "--checkpoint", "x", "--prefix", "a",
                              "--device", "y" * 20000], "unknown device 'yyyyyyyyyy"),
    "generate long strategy": (["generate", "--checkpoint", "x", "--prefix", "a",
                                "--strategy", "y" * 20000], "invalid choice: 'yyyyyyyyyy"),
    "train long variant": (["train", "--config", "{dir}/config.yaml", "--variant", "y" * 20000,
                            "--data", DATA, "--out", "{dir}/m"], "unknown variant 'yyyyyyyy"),
    "download long url": (["download", "--url", "http://" + "y" * 20000 + "/t", "--out",
                           "{dir}/t.txt"], "its host name is too long"),
}
MESSAGE_MAX = 500  # characters of the one error line, whatever the input


def run_main(argv: list[str], capsys) -> tuple[int, str, str]:
    """rnnlab.cli.main in this process: (exit status, stdout, stderr)."""
    try:
        status = main(argv)
    except SystemExit as done:  # argparse exits by itself
        status = done.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_line_and_exit_1(case, workspace, tiny_data, capsys):
    """Each bad value exits 1 with one short `rnnlab ...: error:` line naming it, no traceback,
    and the user's files untouched."""
    args, needle = BAD[case]
    argv = [arg.format(dir=workspace, tiny_data=tiny_data) for arg in args]
    status, out, err = run_main(argv, capsys)
    assert status == 1, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnlab") and ": error: " in lines[0], err
    assert needle in lines[0] and len(lines[0]) <= MESSAGE_MAX
    assert "Traceback" not in err
    assert (workspace / "mine.txt").read_text() == "the user's own file\n"
    assert list((workspace / "folder.txt").iterdir()) == []
    assert not (workspace / "m").exists() and not (workspace / "d").exists()


def test_the_console_command_gives_the_same_one_line(workspace):
    """The installed `rnnlab` (a real process) prints the same single line and exits 1."""
    result = rnnlab("train", "--config", workspace / "float.yaml", "--variant", "rnn",
                    "--data", workspace / "short", "--out", workspace / "m")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "rnnlab train: error: config key variants.rnn.hidden: 8.0 is not of type 'integer'"]


def test_version(capsys):
    """rnnlab --version prints the package's version."""
    from rnnlab import __version__

    status, out, _ = run_main(["--version"], capsys)
    assert status == 0 and out.strip() == f"rnnlab {__version__}"


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("name", list(_subcommands()))
def test_every_subcommand_help_has_a_description_and_an_example(name, capsys):
    """Each subcommand's --help has a one-line description and an example run of it."""
    status, out, _ = run_main([name, "--help"], capsys)
    assert status == 0
    parser = _subcommands()[name]
    assert parser.description and "\n" not in parser.description
    assert parser.description in out
    example = out.split("example:\n", 1)[1]
    assert example.lstrip().startswith(f"rnnlab {name} --")


@pytest.mark.parametrize("flag, words", [
    (("preprocess", "--token"), ["char", "word", "whitespace"]),
    (("train", "--device"), ["auto", "cpu", "cuda"]),
    (("generate", "--strategy"), ["greedy", "sample", "beam"]),
])
def test_flags_that_take_one_of_a_few_words_list_them(flag, words):
    """Flags with a fixed set of values declare them as argparse choices."""
    command, option = flag
    action = next(a for a in _subcommands()[command]._actions if option in a.option_strings)
    assert list(action.choices) == words


def test_generate_seed_at_the_bound_works(workspace, capsys):
    """The largest seed accepted gives text; torch would refuse seeds from 2**64 on."""
    status, out, err = run_main(["generate", "--checkpoint",
                                 str(workspace / "model" / "checkpoint.pt"), "--prefix", "time",
                                 "--num-preds", "3", "--strategy", "sample",
                                 "--seed", str(2**63 - 1)], capsys)
    assert status == 0, err
    assert out.startswith("time") and len(out.rstrip("\n")) == len("time") + 3


def test_a_failed_allocation_is_one_line():
    """torch's own error for an allocation beyond memory becomes one line saying what to lower."""
    import torch

    from rnnlab.cli.run import _out_of_memory

    with pytest.raises(RuntimeError) as failed:
        torch.empty(2**50)  # 4 PiB: refused by the allocator before any page is touched
    line = _out_of_memory(failed.value)
    assert line.startswith("out of memory (4503599627370496 bytes at once)")
    assert "smaller hidden" in line and "\n" not in line
    assert _out_of_memory(RuntimeError("shape mismatch")) is None
