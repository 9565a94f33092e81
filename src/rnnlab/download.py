"""Download a text with a SHA-1 check, retries and an offline fallback to the bundled corpus."""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import sys
import threading
import time
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from rnnlab.errors import DownloadError, bounded
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


def check_url(url: str) -> str:
    """``url`` if it is a usable source: an http(s) URL with a host and a valid port, a
    ``file://`` URL, or a local path. Anything else is a DownloadError naming it."""
    if not isinstance(url, str) or not url.strip():
        raise DownloadError(f"the URL must be a non-empty string, got {url!r}")
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 -- parsing the port is the check (ValueError when out of range)
    except ValueError as err:
        raise DownloadError(f"malformed URL {url!r}: {err}") from None
    if parsed.scheme in ("http", "https") and not parsed.hostname:
        raise DownloadError(f"malformed URL {url!r}: it names no host")
    labels = (parsed.hostname or "").split(".")
    if len(parsed.hostname or "") > 253 or max(map(len, labels)) > 63:  # DNS's limits
        raise DownloadError(f"malformed URL {url!r:.80}: its host name is too long (at most "
                            "253 characters, 63 between dots)")
    if parsed.scheme not in ("", "file", "http", "https"):
        raise DownloadError(f"unsupported URL scheme in {url!r} (use http, https or file)")
    return url


def _check_numbers(timeout: float, retries: int, backoff: float) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not (timeout > 0 and math.isfinite(timeout)):
        raise DownloadError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise DownloadError(f"retries must be an integer >= 0, got {retries!r}")
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) \
            or not (backoff >= 0 and math.isfinite(backoff)):
        raise DownloadError(f"backoff must be a number of seconds >= 0, got {backoff!r}")


# What the less obvious network faults mean, for the one-line error.
_FAULTS = {"TooManyRedirects": "a redirect loop",
           "ProtocolError": "a truncated or malformed body",
           "ChunkedEncodingError": "a truncated or malformed body",
           "ContentDecodingError": "a body that does not decode",
           "DecodeError": "a body that does not decode"}


def _get_once(url: str, tmp: str, timeout: float, cancelled: threading.Event) -> str | None:
    """One GET of ``url`` into ``tmp``. Returns None on success or a retryable problem (5xx, a
    network fault); raises DownloadError for a 4xx."""
    import requests
    import urllib3

    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            if response.status_code >= 500:
                return f"HTTP {response.status_code}"
            if response.status_code >= 400:
                raise DownloadError(f"download of {url} failed: HTTP {response.status_code}")
            with open(tmp, "wb") as handle:
                # read1 returns what one socket read gives, so a server that trickles bytes
                # is noticed as soon as the try is cancelled (iter_content would wait to fill
                # a whole chunk first).
                while not cancelled.is_set():
                    chunk = response.raw.read1(CHUNK, decode_content=True)
                    if not chunk:
                        return None
                    handle.write(chunk)
            return "cancelled"  # nobody waits for this answer any more
    except (requests.RequestException, urllib3.exceptions.HTTPError) as err:
        # Connection refused, timeouts, a redirect loop, a truncated or malformed body (raw
        # reads raise urllib3's errors, not requests').
        name = type(err).__name__
        return f"{name} ({_FAULTS[name]})" if name in _FAULTS else name


def _try_with_deadline(url: str, tmp: str, timeout: float) -> str | None:
    """One try that ends within ``timeout`` seconds in all: connecting, the headers and the
    whole body (requests' timeout alone bounds each socket read, so a server sending a byte a
    second would hold it for ever). The try runs in a daemon thread; at the deadline it is
    told to stop and abandoned, and the try counts as timed out."""
    outcome: dict = {}
    cancelled = threading.Event()

    def attempt() -> None:
        try:
            outcome["problem"] = _get_once(url, tmp, timeout, cancelled)
        except BaseException as err:  # handed to the caller's thread below
            outcome["error"] = err

    worker = threading.Thread(target=attempt, daemon=True, name="rnnlab-download")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        cancelled.set()
        # The abandoned try may still write a chunk: unlinked, its file is no longer ``tmp``.
        Path(tmp).unlink(missing_ok=True)
        return f"no complete answer within {timeout:g}s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["problem"]


def _fetch_http(url: str, tmp: str, timeout: float, retries: int, backoff: float) -> None:
    """GET ``url`` into ``tmp``, retrying network faults and 5xx with back-off."""
    # Our own loop, not urllib3's Retry on a requests HTTPAdapter: Retry acts only until the
    # headers arrive, so it can neither retry a body that breaks off while streaming nor give
    # each try a deadline over the whole body, both of which the tests pin.
    problem = None
    for attempt in range(retries + 1):
        problem = _try_with_deadline(url, tmp, timeout)
        if problem is None:
            return
        if attempt < retries:
            wait = backoff * 2**attempt
            print(bounded(f"download: {url}: {problem}; retrying in {wait:.1f}s"),
                  file=sys.stderr)
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

    Each of the ``1 + retries`` tries ends within ``timeout`` seconds. The text is written to a
    temporary name and renamed into place only once its checksum matches, so a failure leaves
    nothing behind. When the network fails (no connection, timeouts, 5xx, a redirect loop, a
    truncated body) and ``sha1`` is the bundled corpus's checksum, the bundled copy is used
    and a line on stderr says so.
    """
    check_url(url)
    _check_numbers(timeout, retries, backoff)
    if sha1 is not None and not re.fullmatch("[0-9a-fA-F]{40}", sha1):
        raise DownloadError(f"--sha1 must be 40 hexadecimal digits, got {sha1!r}")
    sha1 = sha1.lower() if sha1 else None

    def fetch(tmp: str) -> None:
        source = _local_source(url)
        if source is not None:
            if not source.is_file():
                raise DownloadError(f"no such file: {str(source)!r}")
            shutil.copyfile(source, tmp)
        else:
            try:
                _fetch_http(url, tmp, timeout, retries, backoff)
            except NetworkError as err:
                bundled = bundled_corpus()
                if sha1 is None or sha1_of(bundled) != sha1:
                    raise
                print(f"download: {err}; using the bundled copy of {BUNDLED_CORPUS} "
                      f"(SHA-1 {sha1})", file=sys.stderr)
                shutil.copyfile(bundled, tmp)
        found = sha1_of(tmp)
        if sha1 and found != sha1:
            raise DownloadError(f"checksum mismatch for {url}: expected SHA-1 {sha1}, "
                                f"found {found}")

    return atomic_write(out, fetch)
