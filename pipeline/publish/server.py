"""A preview server for a site folder that browsers and podcast apps can use as if it were the real host.

Serves files only from inside the site (no `..`, encoded or not, and no symlinks leading out; no
dotfiles such as the lock), with the MIME types podcast apps check, HEAD, and single-range HTTP Range
requests (206 / 416), which apps and browsers use to seek in audio.

Connections are served by a bounded pool of threads, and a connection gets a thread only once it has
sent something: idle ones wait in a selector (at most `MAX_WAITING`, each for at most
`IDLE_TIMEOUT_S`), so clients that open sockets and say nothing cannot starve the others; a client
that stalls mid-request is cut off after `READ_TIMEOUT_S`.
"""

from __future__ import annotations

import contextlib
import email.utils
import errno
import os
import re
import selectors
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
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

WORKERS = 16
"""Threads serving requests at once."""

MAX_WAITING = 256
"""Connections that have not sent anything yet kept open at once (the oldest is closed past it)."""

IDLE_TIMEOUT_S = 15.0
"""How long a connection may stay open without sending a request."""

READ_TIMEOUT_S = 10.0
"""How long a request (or the next one on a kept-alive connection) may stall between two reads."""

BACKLOG = 128
"""Connections the kernel queues before they are accepted."""

PORTS = range(0, 65536)
"""Valid TCP ports (0: any free one)."""


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
    timeout = READ_TIMEOUT_S

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


class SiteServer(HTTPServer):
    """An HTTP server with a bounded pool of threads that idle connections cannot take up (see the module
    docstring); client disconnects (players abort downloads all the time) stay quiet."""

    request_queue_size = BACKLOG

    def server_activate(self) -> None:
        super().server_activate()
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="serve")
        self._gate = _Gate(self._dispatch)
        self._serving: set[socket.socket] = set()

    def process_request(self, request, client_address) -> None:
        self._gate.wait_for(request, client_address)

    def _dispatch(self, request, client_address) -> None:
        self._pool.submit(self._serve_connection, request, client_address)

    def _serve_connection(self, request, client_address) -> None:
        self._serving.add(request)
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self._serving.discard(request)
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        if hasattr(self, "_gate"):
            self._gate.close()
            for request in list(self._serving):  # wakes workers waiting on kept-alive connections
                with contextlib.suppress(OSError):
                    request.shutdown(socket.SHUT_RDWR)
            self._pool.shutdown(wait=True, cancel_futures=True)

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Gate:
    """Holds accepted connections until they send something, then hands them to ``dispatch``; closes
    those idle past `IDLE_TIMEOUT_S`, and the oldest when more than `MAX_WAITING` wait."""

    def __init__(self, dispatch) -> None:
        self._dispatch = dispatch
        self._selector = selectors.DefaultSelector()
        self._waiting: dict[socket.socket, float] = {}  # socket → when it started waiting (insertion order)
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="serve-gate", daemon=True)
        self._thread.start()

    def wait_for(self, request: socket.socket, client_address) -> None:
        with self._lock:
            if self._closed:
                request.close()
                return
            if len(self._waiting) >= MAX_WAITING:
                self._drop(next(iter(self._waiting)))
            self._waiting[request] = time.monotonic()
            self._selector.register(request, selectors.EVENT_READ, client_address)
        os.write(self._wake_w, b"\0")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for request in list(self._waiting):
                self._drop(request)
        os.write(self._wake_w, b"\0")
        self._thread.join()
        self._selector.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _run(self) -> None:
        while not self._closed:
            ready = self._selector.select(timeout=1.0)
            with self._lock:
                for key, _ in ready:
                    if key.fileobj == self._wake_r:
                        os.read(self._wake_r, 4096)
                    elif key.fileobj in self._waiting:
                        del self._waiting[key.fileobj]
                        self._selector.unregister(key.fileobj)
                        self._dispatch(key.fileobj, key.data)
                expired = time.monotonic() - IDLE_TIMEOUT_S
                for request in [request for request, since in self._waiting.items() if since < expired]:
                    self._drop(request)

    def _drop(self, request: socket.socket) -> None:
        del self._waiting[request]
        self._selector.unregister(request)
        request.close()


class SiteServerV6(SiteServer):
    """The same, listening on an IPv6 address."""

    address_family = socket.AF_INET6


def make_server(site: Path, host: str = "127.0.0.1", port: int = 8000) -> SiteServer:
    """A bound (not yet running) server for the site folder; port 0 picks a free port."""
    site = Path(site)
    if port not in PORTS:
        raise EssaycastError(f"--port {port} is not a TCP port", hint="use 1 … 65535, or 0 for any free port")
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

