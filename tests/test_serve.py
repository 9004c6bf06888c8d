"""The preview server as podcast apps and browsers use it: MIME types, HEAD, Range, no way out of the site."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_publish_support import make_episode, prepared_site

from pipeline.errors import EssaycastError
from pipeline.publish import make_server, publish
from pipeline.publish.cover import draw_cover
from pipeline.publish.server import ByteRange, RangeNotSatisfiable, byte_range

MP3 = "/episodes/her-review.mp3"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serve")
    draw_cover(root / "cover.png", "Served show")
    site = prepared_site(root / "site", root / "cover.png")
    publish(make_episode(root / "src"), site)
    (root / "secret.txt").write_text("outside the site")
    (site / "leak.txt").symlink_to(root / "secret.txt")
    return site


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[tuple[str, int]]:
    httpd = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[:2]
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def request(server: tuple[str, int], path: str, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.request(method, path, headers=headers or {})  # the path goes out exactly as written
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@pytest.mark.parametrize(("path", "content_type"), [
    ("/feed.xml", "application/rss+xml"),
    (MP3, "audio/mpeg"),
    ("/episodes/her-review.vtt", "text/vtt; charset=utf-8"),
    ("/episodes/her-review.srt", "application/x-subrip"),
    ("/episodes/her-review.chapters.json", "application/json+chapters"),
    ("/episodes/her-review.html", "text/html; charset=utf-8"),
    ("/cover.png", "image/png"),
    ("/", "text/html; charset=utf-8"),
])
def test_files_are_served_whole_with_the_mime_types_podcast_apps_check(
        server: tuple[str, int], site: Path, path: str, content_type: str) -> None:
    response, body = request(server, path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("Accept-Ranges") == "bytes"
    assert body == (site / (path.lstrip("/") or "index.html")).read_bytes()
    assert int(response.getheader("Content-Length")) == len(body)


def test_a_range_of_the_mp3_is_206_with_exactly_those_bytes(server: tuple[str, int], site: Path) -> None:
    data = (site / MP3.lstrip("/")).read_bytes()
    for header, first, last in (("bytes=100-1099", 100, 1099), ("bytes=-500", len(data) - 500, len(data) - 1),
                                (f"bytes={len(data) - 10}-", len(data) - 10, len(data) - 1),
                                ("bytes=0-99999999", 0, len(data) - 1)):
        response, body = request(server, MP3, headers={"Range": header})
        assert response.status == 206, header
        assert response.getheader("Content-Range") == f"bytes {first}-{last}/{len(data)}"
        assert body == data[first:last + 1]
        assert response.getheader("Content-Type") == "audio/mpeg"


def test_a_range_past_the_end_is_416(server: tuple[str, int], site: Path) -> None:
    size = (site / MP3.lstrip("/")).stat().st_size
    response, body = request(server, MP3, headers={"Range": f"bytes={size}-"})
    assert response.status == 416
    assert response.getheader("Content-Range") == f"bytes */{size}"
    assert body == b""


def test_head_sends_the_headers_without_the_body(server: tuple[str, int], site: Path) -> None:
    response, body = request(server, MP3, method="HEAD")
    assert response.status == 200 and body == b""
    assert int(response.getheader("Content-Length")) == (site / MP3.lstrip("/")).stat().st_size
    assert response.getheader("Content-Type") == "audio/mpeg"
    response, body = request(server, MP3, method="HEAD", headers={"Range": "bytes=0-9"})
    assert (response.status, response.getheader("Content-Length"), body) == (206, "10", b"")


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/episodes/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
    "/episodes/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt", "/leak.txt", "/%00", "/.essaycast.lock",
    "/nope.mp3",
])
def test_nothing_outside_the_site_or_hidden_is_served(server: tuple[str, int], path: str) -> None:
    response, body = request(server, path)
    assert response.status in (403, 404), path
    assert b"outside the site" not in body


def test_a_folder_without_slash_redirects_and_one_without_index_is_404(server: tuple[str, int]) -> None:
    response, _ = request(server, "/episodes")
    assert (response.status, response.getheader("Location")) == (301, "/episodes/")
    response, _ = request(server, "/episodes/")
    assert response.status == 404  # no directory listings


def test_other_methods_are_refused(server: tuple[str, int]) -> None:
    response, _ = request(server, "/feed.xml", method="POST")
    assert response.status == 501


def test_missing_site_and_busy_port_are_one_line_errors(tmp_path: Path, server: tuple[str, int],
                                                        site: Path) -> None:
    with pytest.raises(EssaycastError, match="site folder not found"):
        make_server(tmp_path / "nope", port=0)
    with pytest.raises(EssaycastError, match=r"cannot listen on 127\.0\.0\.1.*--port"):
        make_server(site, "127.0.0.1", server[1])


@given(size=st.integers(0, 5000), first=st.integers(0, 6000), last=st.integers(0, 6000))
def test_byte_ranges_stay_inside_the_file(size: int, first: int, last: int) -> None:
    for header in (f"bytes={first}-{last}", f"bytes={first}-", f"bytes=-{last}"):
        try:
            span = byte_range(header, size)
        except RangeNotSatisfiable:
            assert size == 0 or first >= size or (header == f"bytes=-{last}" and last == 0)
            continue
        if span is not None:
            assert isinstance(span, ByteRange)
            assert 0 <= span.first <= span.last < size
            assert span.length == span.last - span.first + 1


@pytest.mark.parametrize("header", [
    None, "", "bytes=1-2,5-6", "lines=1-2", "bytes=5-2", "bytes=-", "bytes=x-1", "bytes=１-2"])
def test_unusable_range_headers_mean_the_whole_file(header: str | None) -> None:
    assert byte_range(header, 100) is None


def test_a_wildcard_listen_address_is_printed_as_a_reachable_one(site: Path) -> None:
    from pipeline.publish.server import server_url

    httpd = make_server(site, "0.0.0.0", 0)  # bound but never served
    try:
        url = server_url(httpd)
    finally:
        httpd.server_close()
    assert url.startswith("http://") and "0.0.0.0" not in url
    assert url.endswith(f":{httpd.server_address[1]}/")
