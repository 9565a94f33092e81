"""Tests of rnnlab.provenance: code fingerprints that see code, not comments or docstrings, and
the version and git commit a job runs with."""

import shutil
import subprocess

import pytest

import rnnlab
from rnnlab import provenance
from rnnlab.provenance import (
    NO_STAGE_CODE,
    PACKAGE_DIR,
    STAGE_CODE,
    code_fingerprint,
    stage_files,
)

MODULE = '''"""A module."""

import math


def area(radius):
    """The area of a circle."""
    return math.pi * radius ** 2  # pi r squared
'''


@pytest.fixture
def package(tmp_path):
    """A package folder holding one module of the report stage."""
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "shapes.py").write_text(MODULE)
    return tmp_path


@pytest.mark.parametrize("stage", sorted(STAGE_CODE))
def test_every_listed_module_exists(stage):
    """Each module a stage lists is in the package (a renamed one would drop out silently)."""
    for name in STAGE_CODE[stage]:
        assert (PACKAGE_DIR / name).exists(), f"{stage}: {name}"
    assert stage_files(stage)


def test_every_module_is_placed():
    """Each file or folder of the package is some stage's code or listed as no stage's."""
    placed = {*NO_STAGE_CODE, *(name for names in STAGE_CODE.values() for name in names)}

    def unplaced(folder, prefix=""):  # a folder not listed whole has its files listed
        for path in folder.iterdir():
            name = prefix + path.name
            if path.name != "__pycache__" and name not in placed:
                yield from unplaced(path, f"{name}/") if path.is_dir() else [name]

    assert list(unplaced(PACKAGE_DIR)) == []


@pytest.mark.parametrize("edited", [
    MODULE.replace('"""A module."""', '"""A module, described at length."""'),
    MODULE.replace('"""The area of a circle."""\n', ""),
    MODULE.replace("# pi r squared", "# the textbook's formula"),
    MODULE.replace("\n\n\ndef", "\n# a new comment\n\ndef"),
])
def test_comments_docstrings_and_layout_do_not_count(package, edited):
    """Edits to docstrings, comments and blank lines keep the fingerprint."""
    before = code_fingerprint("report", package)
    (package / "report" / "shapes.py").write_text(edited)
    assert code_fingerprint("report", package) == before


@pytest.mark.parametrize("edited", [
    MODULE.replace("radius ** 2", "radius ** 3"),
    MODULE.replace("import math", "import math\nimport cmath"),
    MODULE + "\n\ndef circumference(radius):\n    return 2 * math.pi * radius\n",
])
def test_code_edits_change_the_fingerprint(package, edited):
    """An edit to the code itself changes the fingerprint."""
    before = code_fingerprint("report", package)
    (package / "report" / "shapes.py").write_text(edited)
    assert code_fingerprint("report", package) != before


def test_stages_have_their_own_fingerprints():
    """Each stage's fingerprint covers its own code: training and report differ."""
    assert len({code_fingerprint(stage) for stage in STAGE_CODE}) == len(STAGE_CODE)
    with pytest.raises(ValueError, match="unknown stage 'plot'"):
        code_fingerprint("plot")


def test_provenance_in_this_checkout():
    """In a git checkout, provenance names the version and the checkout's HEAD commit."""
    found = provenance.provenance()
    assert found["rnnlab_version"] == rnnlab.__version__
    head = subprocess.run(["git", "-C", str(PACKAGE_DIR), "rev-parse", "HEAD"],
                          capture_output=True, text=True)
    if head.returncode:
        pytest.skip("the package is not in a git checkout here")
    assert found["git_commit"] == head.stdout.strip()
    assert isinstance(found["git_dirty"], bool)


def test_provenance_outside_a_checkout(tmp_path, monkeypatch):
    """A package that is not tracked by git has no commit and no dirty flag."""
    copy = tmp_path / "rnnlab"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "PACKAGE_DIR", copy)
    assert provenance.provenance() == {"rnnlab_version": rnnlab.__version__,
                                       "git_commit": None, "git_dirty": None}
