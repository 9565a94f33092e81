"""Download a text with a SHA-1 check, retries and an offline fallback to the bundled corpus."""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from rnnlab.errors import DownloadError
from rnnlab.fileio import atomic_write

BUNDLED_CORPUS = "timemachine.txt"
CHUNK = 1 << 16


class NetworkError(DownloadError):
    """The server could not be reached or kept failing (the offline fallback may apply)."""


def sha1_of(path: str | Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bundled_corpus() -> Path:
    """The lab's corpus as shipped inside the package."""
    return Path(str(resources.files("rnnlab") / "resources" / BUNDLED_CORPUS))


def _fetch_http(url: str, tmp: str, timeout: float, retries: int, backoff: float) -> None:
    """GET ``url`` into ``tmp``, retrying connection errors, timeouts and 5xx with back-off."""
    import requests

    for attempt in range(retries + 1):
        problem = None
        try:
            with requests.get(url, stream=True, timeout=timeout) as response:
                if response.status_code >= 500:
                    problem = f"HTTP {response.status_code}"
                elif response.status_code >= 400:
                    raise DownloadError(f"download of {url} failed: HTTP {response.status_code}")
                else:
                    with open(tmp, "wb") as handle:
                        for chunk in response.iter_content(CHUNK):
                            handle.write(chunk)
                    return
        except (requests.ConnectionError, requests.Timeout) as err:
            problem = type(err).__name__
        if attempt < retries:
            wait = backoff * 2**attempt
            print(f"download: {url}: {problem}; retrying in {wait:.1f}s", file=sys.stderr)
            time.sleep(wait)
    raise NetworkError(f"download of {url} failed after {retries + 1} tries: {problem}")


def _local_source(url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "":
        return Path(url)
    return None


def download(url: str, out: str | Path, sha1: str | None = None, timeout: float = 30.0,
             retries: int = 3, backoff: float = 1.0) -> Path:
    """Fetch ``url`` (http(s), ``file://`` or a local path) to ``out`` and verify its SHA-1.

    The text is written to a temporary name and renamed into place only once its checksum
    matches, so a failure leaves nothing behind. When the network fails and ``sha1`` is the
    bundled corpus's checksum, the bundled copy is used and a line on stderr says so.
    """
    sha1 = sha1.lower() if sha1 else None

    def fetch(tmp: str) -> None:
        source = _local_source(url)
        if source is not None:
            if not source.is_file():
                raise DownloadError(f"no such file: {str(source)!r}")
            shutil.copyfile(source, tmp)
        elif urlparse(url).scheme in ("http", "https"):
            try:
                _fetch_http(url, tmp, timeout, retries, backoff)
            except NetworkError as err:
                bundled = bundled_corpus()
                if sha1 is None or sha1_of(bundled) != sha1:
                    raise
                print(f"download: {err}; using the bundled copy of {BUNDLED_CORPUS} "
                      f"(SHA-1 {sha1})", file=sys.stderr)
                shutil.copyfile(bundled, tmp)
        else:
            raise DownloadError(f"unsupported URL scheme in {url!r} (use http, https or file)")
        found = sha1_of(tmp)
        if sha1 and found != sha1:
            raise DownloadError(f"checksum mismatch for {url}: expected SHA-1 {sha1}, "
                                f"found {found}")

    return atomic_write(out, fetch)
