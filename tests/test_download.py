"""Tests of rnnlab.download against a real HTTP server on 127.0.0.1."""

import hashlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rnnlab.download import bundled_corpus, download, sha1_of
from rnnlab.errors import DownloadError

BODY = b"The Time Machine, by H. G. Wells\n\nI\n\nThe Time Traveller\n"
BODY_SHA1 = hashlib.sha1(BODY).hexdigest()
LAB_SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"


class Handler(BaseHTTPRequestHandler):
    """/text.txt serves BODY, /flaky fails once with 500 then serves, /down always 503."""

    hits: dict = {}

    def do_GET(self):
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/text.txt" or (self.path == "/flaky" and self.hits[self.path] > 1):
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
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
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
