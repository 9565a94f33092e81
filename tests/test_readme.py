"""The docs' commands work as written: every `snakemake` command in the shell code blocks of
README.md and docs/*.md is dry-run, with its placeholders filled in, in a temporary copy of the
project (one copy per document, shared by its commands)."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import copy_project

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Placeholders a user replaces, and what the test puts there.
PLACEHOLDERS = {"ACCOUNT": "lab", "PARTITION": "gpu"}
# Files the docs' commands name that a user writes first, and what the test writes.
USER_FILES = {"mine.yaml": "variants: {lstm_deep: {lr: 1.5}}\n"}


def snakemake_commands(text: str) -> list[str]:
    """The `snakemake` commands of a Markdown text's shell code blocks, continuation lines
    joined and comments dropped."""
    commands = []
    for block in re.findall(r"^```(?:bash|sh|shell)\n(.*?)^```", text, re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "snakemake":
                commands.append(shlex.join(words))
    return commands


# (document, command), each command once: where two documents give the same one, the first.
COMMANDS = list({command: (doc.relative_to(ROOT).as_posix(), command)
                 for doc in reversed(DOCS)
                 for command in snakemake_commands(doc.read_text("utf-8"))}.values())


@pytest.fixture(scope="module")
def project_for(tmp_path_factory):
    """One copy of the project per document, made when its first command runs."""
    copies: dict[str, Path] = {}

    def project(doc: str) -> Path:
        if doc not in copies:
            dest = tmp_path_factory.mktemp(re.sub(r"\W", "_", doc))
            copy_project(ROOT, dest)
            for name, text in USER_FILES.items():
                (dest / name).write_text(text)
            copies[doc] = dest
        return copies[doc]

    return project


def test_the_docs_have_snakemake_commands():
    """The extraction finds the README's commands and the reference docs', the cluster ones
    and the recovery ones among them."""
    by_doc = {doc for doc, _ in COMMANDS}
    assert {"README.md", "docs/cluster.md", "docs/recovery.md", "docs/configuration.md",
            "docs/commands.md"} <= by_doc
    commands = [command for _, command in COMMANDS]
    assert sum(doc == "README.md" for doc, _ in COMMANDS) >= 5
    assert any("workflow/profiles/slurm-gpu" in command for command in commands)
    assert any("--unlock" in command for command in commands)


@pytest.mark.parametrize(("doc", "command"), COMMANDS)
def test_doc_command_dry_runs(doc, command, project_for):
    """Each command, placeholders filled and --dry-run added, parses and plans without error
    and writes no result (`--report` needs a finished run: workflow/test_lab.py runs the full
    lab's and workflow/test_report_rule.py the quick preset's)."""
    if "--report" in command:
        pytest.skip("--report needs a finished run; tests/workflow/ run it")
    project = project_for(doc)
    before = {path.name for path in project.iterdir()} | {".snakemake"}
    words = [re.sub("|".join(PLACEHOLDERS), lambda m: PLACEHOLDERS[m.group(0)], word)
             for word in shlex.split(command)]
    done = subprocess.run([sys.executable, "-m", "snakemake", *words[1:], "--dry-run"],
                          cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "Error" not in done.stderr
    assert {path.name for path in project.iterdir()} <= before, "a dry run wrote files"


def test_the_readme_is_a_short_page():
    """The README stays a newcomer's page; reference text lives in docs/."""
    assert len((ROOT / "README.md").read_text("utf-8").splitlines()) <= 200


@pytest.mark.parametrize("doc", [*DOCS, ROOT / "BENCHMARKS.md"], ids=lambda p: p.name)
def test_relative_links_resolve(doc):
    """Every relative link of the docs names a file or folder of the repository."""
    text = re.sub(r"^```.*?^```", "", doc.read_text("utf-8"), flags=re.M | re.S)
    targets = re.findall(r"\]\(([^)\s#]+)(?:#[^)]*)?\)", text)
    missing = [target for target in targets if "://" not in target
               and not (doc.parent / target).exists()]
    assert not missing, f"{doc.name} links to missing files: {missing}"


# Text about how the project was made, not about the project (patterns split so that this file
# does not match them itself).
OFF_TOPIC = re.compile("|".join(["DESIGN" + r"\.md", r"\.\./" + "shared", "/" + "work/",
                                 r"[Ii]ssue" + r" [0-9]+", r"[Ll]oad" + " average",
                                 "other" + " engineers"]))


def test_the_project_speaks_only_of_itself():
    """No tracked text file cites a file outside the repository, an issue number or the load
    of the machine it was developed on."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    hits = []
    for name in listed.stdout.splitlines():
        path = ROOT / name
        if not path.is_file() or path.suffix in {".png", ".pt", ".whl"}:
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        hits += [f"{name}: {match.group(0)}" for match in OFF_TOPIC.finditer(text)]
    assert not hits, hits[:10]
