"""Tests of rnnlab.fileio: atomic writes, and file-system errors that name the user's path."""

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rnnlab.fileio import atomic_write, atomic_write_text, describe_os_error, ensure_dir


def test_atomic_write_leaves_only_the_target(tmp_path):
    """A write lands under its name with nothing beside it, and creates missing folders."""
    out = atomic_write_text(tmp_path / "a" / "b" / "x.txt", "hello")
    assert out.read_text() == "hello"
    assert [p.name for p in out.parent.iterdir()] == ["x.txt"]


def test_a_failed_write_leaves_nothing(tmp_path):
    """When the writer raises, the temporary file goes and the error comes through."""
    def broken(tmp):
        Path(tmp).write_text("half")
        raise ValueError("stop")

    with pytest.raises(ValueError, match="stop"):
        atomic_write(tmp_path / "x.txt", broken)
    assert list(tmp_path.iterdir()) == []


def test_a_file_where_a_folder_goes_is_named(tmp_path):
    """An output folder that is a file is NotADirectoryError naming that file."""
    (tmp_path / "out").write_text("mine")
    with pytest.raises(NotADirectoryError) as caught:
        atomic_write_text(tmp_path / "out" / "x.txt", "hello")
    assert caught.value.filename == str(tmp_path / "out")
    assert describe_os_error(caught.value) == f"{str(tmp_path / 'out')!r}: Not a directory"
    with pytest.raises(NotADirectoryError):
        ensure_dir(tmp_path / "out")
    assert (tmp_path / "out").read_text() == "mine"


def test_a_folder_where_a_file_goes_is_named(tmp_path):
    """An output file whose name is taken by a folder is IsADirectoryError naming it, and
    the folder (with what is in it) stays."""
    (tmp_path / "x.txt").mkdir()
    (tmp_path / "x.txt" / "keep").write_text("mine")
    with pytest.raises(IsADirectoryError) as caught:
        atomic_write_text(tmp_path / "x.txt", "hello")
    assert caught.value.filename == str(tmp_path / "x.txt")
    assert (tmp_path / "x.txt" / "keep").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_a_folder_named_like_a_temporary_is_left_alone(tmp_path):
    """A user's folder with a temporary-looking name is neither used nor removed."""
    (tmp_path / ".x.txt.abc.tmp").mkdir()
    atomic_write_text(tmp_path / "x.txt", "hello")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".x.txt.abc.tmp", "x.txt"]


def _run_limited(code: str, preexec=None, prefix=()) -> subprocess.CompletedProcess:
    """Run Python ``code`` in a subprocess whose start is changed by ``preexec`` or a command
    ``prefix``."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True,
                          text=True, preexec_fn=preexec, env=env, timeout=120)


def _small_files():
    """No file may grow past 4 KiB: writes beyond fail with EFBIG, as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_full_disk_during_torch_save_is_an_os_error_naming_the_checkpoint(tmp_path):
    """torch.save on a full disk says "unexpected pos"; save_checkpoint says the OS's reason
    and names the checkpoint, and leaves no temporary file."""
    code = f"""
import torch
from rnnlab.checkpoint import save_checkpoint
try:
    save_checkpoint({str(tmp_path / 'ck.pt')!r}, model_state={{"w": torch.zeros(10000)}})
except OSError as err:
    print(type(err).__name__, err.filename, err.strerror)
"""
    result = _run_limited(code, preexec=_small_files)
    assert result.stdout.strip() == f"OSError {tmp_path / 'ck.pt'} File too large", result.stderr
    assert list(tmp_path.iterdir()) == []


# Root may write anywhere; without the capabilities that let it, file modes apply to it too.
DROP_ROOT_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
                      "--inh-caps", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []


def test_a_read_only_folder_is_a_permission_error_naming_it(tmp_path):
    """A folder the user may not write to is PermissionError naming the folder."""
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    try:
        code = f"""
from rnnlab.fileio import atomic_write_text, describe_os_error
try:
    atomic_write_text({str(folder / 'x.txt')!r}, "hello")
except PermissionError as err:
    print(describe_os_error(err))
"""
        result = _run_limited(code, prefix=DROP_ROOT_OVERRIDE)
        assert result.stdout.strip() == f"{str(folder)!r}: Permission denied", result.stderr
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)
