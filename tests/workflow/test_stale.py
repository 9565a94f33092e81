"""What makes a result stale, through real Snakemake dry runs after a tiny real run: code edits
(in a copy of the package put first on PYTHONPATH, never the repository's), settings that only
change how a job runs, and what does not count."""

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import ENV, SNAKEMAKE, built_copy, copy_project, edit_config, scheduled

from rnnlab.download import bundled_corpus


def tiny_lab(config: dict) -> None:
    """Two tiny variants and a third that starts from the first's weights, one epoch,
    offline."""
    config["data"].update(url=str(bundled_corpus()), train_tokens=600, val_tokens=300)
    config["training"].update(epochs=1, eval_every=1, checkpoint_every=1, num_preds=5,
                              batch_size=4, num_steps=8)
    config["variants"] = {
        "small": {"cell": "rnn", "impl": "torch", "hidden": 8, "lr": 1},
        "gated": {"cell": "gru", "impl": "torch", "hidden": 8, "lr": 1},
        "warm": {"cell": "rnn", "impl": "torch", "hidden": 8, "lr": 0.5,
                 "init_from": "variant:small"},
    }


def copy_package(source: Path, dest: Path) -> Path:
    """A copy of the rnnlab package (links followed) under ``dest``/src, to edit."""
    shutil.copytree(source, dest / "src" / "rnnlab", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dest / "src"


def run(project: Path, src: Path, *args) -> subprocess.CompletedProcess:
    """Snakemake in ``project`` with the package copy ``src`` first on PYTHONPATH (the workflow
    and its jobs import it)."""
    env = {**ENV, "PYTHONPATH": str(src)}
    return subprocess.run([*SNAKEMAKE, "--cores", "2", *args], cwd=project, capture_output=True,
                          text=True, env=env)


@pytest.fixture(scope="module")
def tiny(project_root, tmp_path_factory):
    """The tiny lab built once by a real run with its own copy of the package."""
    base = tmp_path_factory.mktemp("stale")
    src = copy_package(project_root / "src" / "rnnlab", base)
    (base / "project").mkdir()
    project = copy_project(project_root, base / "project")
    edit_config(project, tiny_lab)
    result = run(project, src, "all")
    assert result.returncode == 0, result.stderr[-3000:]
    return project, src


@pytest.fixture
def built(tiny, tmp_path):
    """A copy of the built tiny lab and of its package, to edit."""
    project, src = tiny
    return built_copy(project, tmp_path / "project"), copy_package(src / "rnnlab", tmp_path)


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) by ``new`` in ``path``."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_built_lab_is_up_to_date(built):
    """Nothing is planned before any edit."""
    result = run(*built, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert scheduled(result) == {}


def test_a_training_code_edit_plans_every_training_job_and_the_report(built):
    """A change to the model code plans both training jobs and the report, naming code."""
    project, src = built
    edit(src / "rnnlab/models/build.py", "\ndef ", "\nMODEL_CODE_EDITED = True\n\n\ndef ")
    result = run(project, src, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert scheduled(result) == {"train": 3, "predict": 3, "report": 1, "all": 1}
    assert "Params have changed since last execution" in result.stdout
    assert "rnnlab train code" in result.stdout


def test_a_report_code_edit_plans_only_the_report(built):
    """A change to the report's code plans the report alone."""
    project, src = built
    edit(src / "rnnlab/report/answers.py", "\ndef ", "\nREPORT_CODE_EDITED = True\n\n\ndef ")
    result = run(project, src, "-n")
    assert scheduled(result) == {"report": 1, "all": 1}
    assert "rnnlab report code" in result.stdout


def test_a_preprocessing_code_edit_plans_the_whole_chain_but_the_download(built):
    """A change to the data code plans preprocessing, training and the report, not the download
    (the text's SHA-1 fixes what it writes)."""
    project, src = built
    edit(src / "rnnlab/data/tokens.py", "\ndef ", "\nDATA_CODE_EDITED = True\n\n\ndef ")
    result = run(project, src, "-n")
    assert scheduled(result) == {"preprocess": 1, "train": 3, "predict": 3, "report": 1,
                                 "all": 1}


def test_comments_and_docstrings_plan_nothing(built):
    """Comments and docstrings edited in training and report code plan nothing."""
    project, src = built
    edit(src / "rnnlab/models/build.py", '"""', '"""An edited docstring. ')
    edit(src / "rnnlab/models/build.py", "\ndef ", "\n# an added comment\ndef ")
    edit(src / "rnnlab/report/answers.py", "\ndef ", "\n\n# an added comment\n\ndef ")
    result = run(project, src, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert scheduled(result) == {}


def test_how_a_job_runs_reaches_it(tiny):
    """The run-only settings reach the training job (checkpoint_every 1, not the default 50)."""
    metrics = json.loads((tiny[0] / "results/models/small/metrics.json").read_text())
    assert metrics["checkpoint_every"] == 1


def test_how_a_job_runs_retrains_nothing(built):
    """Changing checkpoint_every, cuda_graph or device plans nothing; a forced run passes them
    to the job outside its settings."""
    project, src = built
    edit_config(project, lambda c: c["training"].update(checkpoint_every=7, cuda_graph=False,
                                                        device="cpu"))
    result = run(project, src, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert scheduled(result) == {}
    forced = run(project, src, "-n", "-p", "--forcerun", "train")
    commands = [line for line in forced.stdout.splitlines() if "rnnlab train" in line]
    assert len(commands) == 3
    for command in commands:
        words = shlex.split(command.split("Shell command: ")[-1])
        options = json.loads(words[words.index("--run-options") + 1])
        assert options == {"checkpoint_every": 7, "cuda_graph": False, "device": "cpu",
                           "prefixes": ["time traveller", "traveller"], "num_preds": 5}
        assert "checkpoint_every" not in words[words.index("--settings") + 1]
        assert "prefixes" not in words[words.index("--settings") + 1]


def test_a_variant_starts_from_the_checkpoint_it_names(tiny):
    """warm trained from small's best.pt, which is an input of its job: small trained first."""
    project, src = tiny
    metrics = json.loads((project / "results/models/warm/metrics.json").read_text())
    assert metrics["init_from"] == "variant:small"
    forced = run(project, src, "-n", "--forcerun", "train")
    job = forced.stdout.split("wildcards: variant=warm")[0].rsplit("rule train:", 1)[1]
    assert "results/models/small/best.pt" in job.split("output:")[0]


def test_retraining_the_source_retrains_the_variant_started_from_it(built):
    """A change to small plans small, warm (its weights came from small) and the report;
    a change to gated plans gated alone."""
    project, src = built
    edit_config(project, lambda c: c["variants"]["small"].update(lr=2))
    result = run(project, src, "-n")
    assert scheduled(result) == {"train": 2, "predict": 2, "report": 1, "all": 1}
    assert "results/models/warm/metrics.json" in result.stdout.split("rule report")[0]
    edit_config(project, lambda c: c["variants"]["small"].update(lr=1))
    edit_config(project, lambda c: c["variants"]["gated"].update(lr=2))
    result = run(project, src, "-n")
    assert scheduled(result) == {"train": 1, "predict": 1, "report": 1, "all": 1}
    assert "models/warm/" not in result.stdout.split("rule report")[0]


def test_greedy_text_is_its_own_stage(tiny):
    """Each variant's predictions.json holds the greedy text after each prefix, and the report
    shows it."""
    project, _ = tiny
    predictions = json.loads((project / "results/models/gated/predictions.json").read_text())
    assert list(predictions) == ["time traveller", "traveller"]
    assert all(text.startswith(prefix) and len(text) == len(prefix) + 5
               for prefix, text in predictions.items())
    assert predictions["time traveller"] in (project / "results/report/comparison.md").read_text()


def test_training_shows_the_configured_greedy_text(tiny):
    """A training job's own greedy text (metrics.json, TensorBoard) follows the config's
    prefixes and num_preds, which reach it as run-only options."""
    project, _ = tiny
    metrics = json.loads((project / "results/models/gated/metrics.json").read_text())
    assert metrics["num_preds"] == 5 and metrics["prefixes"] == ["time traveller", "traveller"]
    assert all(len(text) == len(prefix) + 5 for prefix, text in metrics["predictions"].items())


def test_new_prefixes_rerun_predictions_and_the_report_only(built):
    """New prefixes or another length plan every predict job and the report, no training."""
    project, src = built
    edit_config(project, lambda c: c["training"].update(prefixes=["the time"], num_preds=20))
    result = run(project, src, "-n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert scheduled(result) == {"predict": 3, "report": 1, "all": 1}
