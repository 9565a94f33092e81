"""Tests of rnnlab.download against a real HTTP server on 127.0.0.1."""

import hashlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rnnlab.download import bundled_corpus, download, sha1_of
from rnnlab.errors import DownloadError

BODY = b"The Time Machine, by H. G. Wells\n\nI\n\nThe Time Traveller\n"
BODY_SHA1 = hashlib.sha1(BODY).hexdigest()
LAB_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"


class Handler(BaseHTTPRequestHandler):
    """/text.txt serves BODY, /flaky fails once with 500 then serves, /down always 503; the
    hostile ones: /loop redirects to itself, /truncated closes before its Content-Length,
    /badchunk sends a malformed chunked body, /trickle sends its body a byte every 50 ms and
    /slow-headers its status line likewise."""

    hits: dict = {}
    stop = threading.Event()  # ends the trickling answers when a test is over

    def trickle(self, data: bytes) -> None:
        for byte in data:
            if self.stop.wait(0.05):
                return
            self.wfile.write(bytes([byte]))

    def do_GET(self):
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[:10])
            self.close_connection = True
        elif self.path == "/badchunk":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nThe T\r\nzz-not-hex\r\nime\r\n0\r\n\r\n")
            self.close_connection = True
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY) * 1000))
            self.end_headers()
            self.trickle(BODY * 1000)
            self.close_connection = True
        elif self.path == "/slow-headers":
            self.trickle(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"." * 10_000 + b"\r\n\r\n")
            self.close_connection = True
        elif self.path == "/text.txt" or (self.path == "/flaky" and self.hits[self.path] > 1):
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)
        elif self.path in ("/flaky", "/down"):
            self.send_error(503 if self.path == "/down" else 500)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A real HTTP server on a free loopback port, for one test."""
    Handler.hits = {}
    Handler.stop.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    Handler.stop.set()
    httpd.shutdown()
    httpd.server_close()


def closed_port_url():
    """A loopback URL where nothing listens, so the connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/timemachine.txt"


def test_download_success(server, tmp_path):
    """A good download lands with the right bytes and no temporary file beside it."""
    out = download(f"{server}/text.txt", tmp_path / "t.txt", sha1=BODY_SHA1)
    assert out.read_bytes() == BODY
    assert [p.name for p in tmp_path.iterdir()] == ["t.txt"]


def test_checksum_mismatch_leaves_nothing(server, tmp_path):
    """A wrong SHA-1 names both checksums and leaves no file."""
    with pytest.raises(DownloadError, match=f"expected SHA-1 {'0' * 40}, found {BODY_SHA1}"):
        download(f"{server}/text.txt", tmp_path / "t.txt", sha1="0" * 40)
    assert list(tmp_path.iterdir()) == []


def test_not_found_fails_at_once(server, tmp_path):
    """A 404 fails without retrying and without the bundled fallback."""
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(f"{server}/missing.txt", tmp_path / "t.txt", sha1=LAB_SHA1, backoff=0)
    assert Handler.hits["/missing.txt"] == 1
    assert list(tmp_path.iterdir()) == []


def test_transient_500_is_retried(server, tmp_path, capsys):
    """One 500 followed by success gives the file after a retry."""
    out = download(f"{server}/flaky", tmp_path / "t.txt", sha1=BODY_SHA1, backoff=0.01)
    assert out.read_bytes() == BODY
    assert Handler.hits["/flaky"] == 2
    assert "HTTP 500; retrying" in capsys.readouterr().err


def test_persistent_5xx_fails_after_retries(server, tmp_path):
    """A server that keeps failing gives up after the retries, leaving nothing."""
    with pytest.raises(DownloadError, match="after 3 tries: HTTP 503"):
        download(f"{server}/down", tmp_path / "t.txt", sha1=BODY_SHA1, retries=2, backoff=0)
    assert Handler.hits["/down"] == 3
    assert list(tmp_path.iterdir()) == []


def test_offline_fallback_uses_the_bundled_corpus(tmp_path, capsys):
    """An unreachable host with the lab's SHA-1 falls back to the bundled copy and says so."""
    out = download(closed_port_url(), tmp_path / "tm.txt", sha1=LAB_SHA1, retries=1, backoff=0)
    assert sha1_of(out) == LAB_SHA1
    assert "using the bundled copy" in capsys.readouterr().err


def test_unreachable_host_without_bundled_match_fails(tmp_path):
    """An unreachable host fails when the SHA-1 is not the bundled corpus's."""
    with pytest.raises(DownloadError, match="ConnectionError"):
        download(closed_port_url(), tmp_path / "t.txt", sha1=BODY_SHA1, retries=0)
    assert list(tmp_path.iterdir()) == []


def test_file_url_and_local_path(tmp_path):
    """file:// URLs and plain paths are copied and checked like downloads."""
    source = bundled_corpus()
    a = download(source.as_uri(), tmp_path / "a.txt", sha1=LAB_SHA1)
    b = download(str(source), tmp_path / "b.txt", sha1=LAB_SHA1.upper())
    assert a.read_bytes() == b.read_bytes() == source.read_bytes()
    with pytest.raises(DownloadError, match="no such file"):
        download(str(tmp_path / "missing.txt"), tmp_path / "c.txt")


@pytest.mark.parametrize("options, needle", [
    ({"retries": -1}, "retries must be an integer >= 0, got -1"),
    ({"timeout": 0}, "timeout must be a number of seconds > 0, got 0"),
    ({"timeout": float("nan")}, "timeout must be a number of seconds > 0, got nan"),
    ({"backoff": -1}, "backoff must be a number of seconds >= 0, got -1"),
])
def test_bad_numbers_are_refused_before_any_request(server, tmp_path, options, needle):
    """Negative retries, a zero or NaN timeout and a negative back-off are refused at once."""
    with pytest.raises(DownloadError, match=needle):
        download(f"{server}/text.txt", tmp_path / "t.txt", **options)
    assert Handler.hits == {}
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url, needle", [
    ("http://", "names no host"),
    ("https:///timemachine.txt", "names no host"),
    ("http://127.0.0.1:99999/t.txt", "Port out of range"),
    ("http://127.0.0.1:port/t.txt", "Port could not be cast"),
    ("http://[::1/t.txt", "Invalid IPv6 URL"),
    ("ftp://example.org/t.txt", "unsupported URL scheme"),
    ("", "non-empty string"),
])
def test_malformed_urls_are_one_download_error(tmp_path, url, needle):
    """A URL without a host, with a port out of range or a broken IPv6 literal is refused."""
    with pytest.raises(DownloadError, match=needle):
        download(url, tmp_path / "t.txt", sha1=LAB_SHA1, retries=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path, problem", [
    ("/loop", "TooManyRedirects \\(a redirect loop\\)"),
    ("/truncated", "ProtocolError \\(a truncated or malformed body\\)"),
    ("/badchunk", "ProtocolError \\(a truncated or malformed body\\)"),
])
def test_broken_answers_are_retried_then_fail(server, tmp_path, path, problem):
    """A redirect loop, a truncated body and a malformed chunked body are network faults:
    retried, then a DownloadError naming the fault, with nothing left behind."""
    with pytest.raises(DownloadError, match=f"after 2 tries: {problem}"):
        download(f"{server}{path}", tmp_path / "t.txt", sha1=BODY_SHA1, retries=1, backoff=0)
    assert Handler.hits[path] == (2 if path != "/loop" else 2 * 31)  # requests follows 30
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["/loop", "/truncated", "/badchunk", "/trickle"])
def test_broken_answers_fall_back_to_the_bundled_corpus(server, tmp_path, capsys, path):
    """With the lab's SHA-1, every kind of broken answer ends in the bundled copy."""
    out = download(f"{server}{path}", tmp_path / "tm.txt", sha1=LAB_SHA1, timeout=0.5,
                   retries=1, backoff=0)
    assert sha1_of(out) == LAB_SHA1
    assert "using the bundled copy" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["tm.txt"]


@pytest.mark.parametrize("path", ["/trickle", "/slow-headers"])
def test_timeout_bounds_the_whole_try(server, tmp_path, path):
    """A server that keeps sending a byte at a time (body or headers) cannot hold a try past
    --timeout: the try counts as timed out, although no single read ever waited that long."""
    start = time.monotonic()
    with pytest.raises(DownloadError, match="after 1 tries: no complete answer within 0.3s"):
        download(f"{server}{path}", tmp_path / "t.txt", sha1=BODY_SHA1, timeout=0.3, retries=0)
    # The trickle would take minutes; generous slack for a loaded machine.
    assert time.monotonic() - start < 30
    assert list(tmp_path.iterdir()) == []
