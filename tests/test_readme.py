"""The README's commands work as written: every `snakemake` command in its code blocks is
dry-run, with its placeholders filled in, in a temporary copy of the project."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import copy_project

ROOT = Path(__file__).resolve().parents[1]
# Placeholders a user replaces, and what the test puts there.
PLACEHOLDERS = {"ACCOUNT": "lab", "PARTITION": "gpu"}
# Files the README's commands name that a user writes first, and what the test writes.
USER_FILES = {"mine.yaml": "variants: {lstm_deep: {lr: 1.5}}\n"}


def readme_commands(text: str) -> list[str]:
    """The `snakemake` commands of the README's shell code blocks, continuation lines joined and
    comments dropped."""
    commands = []
    for block in re.findall(r"^```(?:bash|sh|shell)\n(.*?)^```", text, re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "snakemake":
                commands.append(shlex.join(words))
    return commands


COMMANDS = readme_commands((ROOT / "README.md").read_text("utf-8"))


def test_the_readme_has_snakemake_commands():
    """The extraction finds the README's commands, the cluster ones among them."""
    assert len(COMMANDS) >= 8
    assert any("workflow/profiles/slurm-gpu" in command for command in COMMANDS)
    assert any("--unlock" in command for command in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_dry_runs(command, tmp_path):
    """Each command, placeholders filled and --dry-run added, parses and plans without error
    (`--report` needs a finished run: workflow/test_lab.py::test_html_report runs that one)."""
    if "--report" in command:
        pytest.skip("--report needs a finished run; workflow/test_lab.py::test_html_report runs it")
    copy_project(ROOT, tmp_path)
    for name, text in USER_FILES.items():
        (tmp_path / name).write_text(text)
    words = [re.sub("|".join(PLACEHOLDERS), lambda m: PLACEHOLDERS[m.group(0)], word)
             for word in shlex.split(command)]
    done = subprocess.run([sys.executable, "-m", "snakemake", *words[1:], "--dry-run"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "Error" not in done.stderr
    assert not (tmp_path / "results").exists()
