"""A preview server for a site folder that browsers and podcast apps can use as if it were the real host.

Serves files only from inside the site (no `..`, encoded or not, and no symlinks leading out; no
dotfiles such as the lock), with the MIME types podcast apps check, HEAD, and single-range HTTP Range
requests (206 / 416), which apps and browsers use to seek in audio.
"""

from __future__ import annotations

import contextlib
import email.utils
import errno
import re
import socket
import sys
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.errors import EssaycastError
from pipeline.publish.settings import FEED_NAME, PodcastSettings

CONTENT_TYPES: tuple[tuple[str, str], ...] = (
    (".chapters.json", "application/json+chapters"),
    (FEED_NAME, "application/rss+xml"),
    (".mp3", "audio/mpeg"),
    (".vtt", "text/vtt; charset=utf-8"),
    (".srt", "application/x-subrip"),
    (".html", "text/html; charset=utf-8"),
    (".json", "application/json"),
    (".xml", "application/xml"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".css", "text/css; charset=utf-8"),
    (".js", "text/javascript; charset=utf-8"),
    (".txt", "text/plain; charset=utf-8"),
    (".toml", "text/plain; charset=utf-8"),
)
"""File-name ending → Content-Type, most specific first (the first match wins)."""

_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")

WILDCARD_HOSTS = ("0.0.0.0", "::", "")
"""Listen addresses meaning "every interface"."""

CHUNK = 64 * 1024
"""Bytes per write while streaming a file."""


def content_type(name: str) -> str:
    """The Content-Type a site file is served with."""
    return next((kind for ending, kind in CONTENT_TYPES if name.endswith(ending)), "application/octet-stream")


class RangeNotSatisfiable(Exception):
    """A Range header that asks only for bytes past the end of the file (HTTP 416)."""


@dataclass(frozen=True)
class ByteRange:
    """An inclusive span of a file's bytes, as HTTP ranges count them."""

    first: int
    """First byte served."""
    last: int
    """Last byte served (inclusive)."""

    @property
    def length(self) -> int:
        """Number of bytes in the span."""
        return self.last - self.first + 1


def byte_range(header: str | None, size: int) -> ByteRange | None:
    """The span a ``Range`` header asks of a ``size``-byte file; None: serve it whole.

    Follows RFC 9110 §14: a header that does not parse, or asks for several ranges, may be ignored
    (the whole file is sent); a range starting past the end raises RangeNotSatisfiable.
    """
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or not any(match.groups()):
        return None
    first_text, last_text = match.groups()
    if not first_text:  # suffix range: the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:  # invalid, so ignored
        return None
    if first >= size:
        raise RangeNotSatisfiable
    return ByteRange(first, min(last, size - 1))


class SiteRequestHandler(BaseHTTPRequestHandler):
    """Serves one site folder read-only: GET and HEAD, with Range support."""

    server_version = "essaycast"
    protocol_version = "HTTP/1.1"  # keep-alive: media players make many small range requests

    def __init__(self, *args, site: Path, **kwargs) -> None:
        self.site = site
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        url_path = urlsplit(self.path).path
        status, path = self._resolve(url_path)
        if status is HTTPStatus.MOVED_PERMANENTLY:
            self.send_response(status)
            self.send_header("Location", url_path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path is None:
            self.send_error(status)
            return
        size = path.stat().st_size
        try:
            span = byte_range(self.headers.get("Range"), size)
        except RangeNotSatisfiable:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(HTTPStatus.PARTIAL_CONTENT if span else HTTPStatus.OK)
        self.send_header("Content-Type", content_type(path.name))
        self.send_header("Content-Length", str(span.length if span else size))
        self.send_header("Accept-Ranges", "bytes")
        if span:
            self.send_header("Content-Range", f"bytes {span.first}-{span.last}/{size}")
        self.send_header("Last-Modified", email.utils.formatdate(path.stat().st_mtime, usegmt=True))
        self.send_header("Cache-Control", "no-cache")  # a preview: always show the latest publish
        self.end_headers()
        if send_body:
            with open(path, "rb") as fh, contextlib.suppress(ConnectionError):
                fh.seek(span.first if span else 0)
                _copy(fh, self.wfile, span.length if span else size)

    def _resolve(self, url_path: str) -> tuple[HTTPStatus, Path | None]:
        """The file a URL path names inside the site, or the status to answer instead."""
        parts = [part for part in unquote(url_path).split("/") if part]
        if any(part == ".." or "\\" in part or "\x00" in part for part in parts):
            return HTTPStatus.FORBIDDEN, None
        if any(part.startswith(".") for part in parts):  # lock and temporary files are not site content
            return HTTPStatus.NOT_FOUND, None
        root = self.site.resolve()
        path = root.joinpath(*parts).resolve()
        if not path.is_relative_to(root):  # a symlink leading out of the site
            return HTTPStatus.FORBIDDEN, None
        if path.is_dir():
            if not url_path.endswith("/"):
                return HTTPStatus.MOVED_PERMANENTLY, None
            path = path / "index.html"
        if not path.is_file():
            return HTTPStatus.NOT_FOUND, None
        return HTTPStatus.OK, path


class SiteServer(ThreadingHTTPServer):
    """A threading HTTP server whose client disconnects (players abort downloads all the time) stay quiet."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SiteServerV6(SiteServer):
    """The same, listening on an IPv6 address."""

    address_family = socket.AF_INET6


def make_server(site: Path, host: str = "127.0.0.1", port: int = 8000) -> SiteServer:
    """A bound (not yet running) server for the site folder; port 0 picks a free port."""
    site = Path(site)
    if not site.is_dir():
        raise EssaycastError(f"site folder not found: {site}", hint="publish an episode into it first")
    server_class = SiteServerV6 if ":" in host else SiteServer
    try:
        return server_class((host, port), partial(SiteRequestHandler, site=site))
    except OSError as exc:
        hint = "pick another one with --port" if exc.errno == errno.EADDRINUSE else "check --host"
        raise EssaycastError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", hint=hint) from None


def server_url(server: SiteServer) -> str:
    """The base URL a bound server answers on (for a wildcard address: this machine's LAN address)."""
    host, port = server.server_address[:2]
    if host in WILDCARD_HOSTS:
        host = _lan_address(server.address_family)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _lan_address(family: socket.AddressFamily) -> str:
    """The address other devices on the network reach this machine at (loopback if there is none)."""
    probe, loopback = ("2001:db8::1", "::1") if family == socket.AF_INET6 else ("192.0.2.1", "127.0.0.1")
    # Connecting a UDP socket only picks the outgoing interface; no packet is sent.
    with socket.socket(family, socket.SOCK_DGRAM) as udp:
        try:
            udp.connect((probe, 9))
            return udp.getsockname()[0]
        except OSError:
            return loopback


def serve(site: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the site folder until Ctrl-C, printing where its feed can be subscribed to."""
    site = Path(site)
    server = make_server(site, host, port)
    url = server_url(server)
    print(f"Serving {site} at {url}")
    print(f"Podcast feed: {url}{FEED_NAME}")
    with contextlib.suppress(EssaycastError):  # no or broken settings: nothing to compare against
        base_url = PodcastSettings.load(site).site_url
        if base_url != url:
            print(f"Note: the feed's links point at {base_url} (base_url in podcast.toml)")
    if not (site / FEED_NAME).is_file():
        print(f"Note: {site} has no {FEED_NAME} yet; run `essaycast publish EPISODE.mp3 --site {site}`")
    print("Press Ctrl-C to stop.", flush=True)  # seen at once even when stdout is a pipe
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.server_close()


def _copy(source, sink, length: int) -> None:
    """Stream ``length`` bytes from ``source`` to ``sink``."""
    while length > 0:
        chunk = source.read(min(CHUNK, length))
        if not chunk:
            break
        sink.write(chunk)
        length -= len(chunk)

