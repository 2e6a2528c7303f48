"""Issue 9, points 2, 3, 4 and 6: request bodies and connections that once killed or froze it."""

from __future__ import annotations

import gzip
import socket
import time

import orjson

from tests.hostile.harness import Hostile, log_line, request

GZIP = "gzip"
JSON = "application/json"


def test_tiny_line_gzip_bomb_is_refused_while_inflating(hostile: Hostile) -> None:
    """9.2: 8.4M one-byte lines in a 16 KB gzip: 413 at once, nothing stored, no growth."""
    hostile.rss_bound_mb = 100
    bomb = gzip.compress(log_line("h2-never") + b"1\n" * 8_388_000, 9)
    assert len(bomb) < 20_000
    started = time.monotonic()
    answer = hostile.post("logs", bomb, content_encoding=GZIP)
    assert answer.status == 413, answer.body
    assert "more than 50000 records" in answer.json()["detail"]
    assert time.monotonic() - started < 3
    assert hostile.stored({"h2-never"}, timeout=1.5) == set()


def test_a_million_plain_lines_are_refused_while_reading(hostile: Hostile) -> None:
    """9.2, unencoded: a 2 MB body of a million lines is 413 with a message, nothing stored."""
    hostile.rss_bound_mb = 100
    answer = hostile.post("logs", log_line("h2b-never") + b"1\n" * 1_000_000)
    assert answer.status == 413 and "records" in answer.json()["detail"]
    assert hostile.stored({"h2b-never"}, timeout=1.5) == set()


def test_many_empty_gzip_members_take_linear_time_off_the_loop(hostile: Hostile) -> None:
    """9.3: 15 MB of empty gzip members after a real one: answered in seconds, health kept."""
    first = gzip.compress(log_line("h3-a") + log_line("h3-b") + b'{"h3": "bad"}\n')
    empties = gzip.compress(b"", mtime=0) * (15_000_000 // 20)
    started = time.monotonic()
    answer = hostile.post("logs", first + empties, content_encoding=GZIP)
    assert answer.status == 200, answer.body
    assert answer.json()["accepted"] == 2 and answer.json()["rejected_count"] == 1
    assert time.monotonic() - started < 10
    assert hostile.stored({"h3-a", "h3-b"}) == {"h3-a", "h3-b"}
    assert len(hostile.refused("missing_field", '"h3"', 1)) == 1


def test_a_deep_element_fails_alone(hostile: Hostile) -> None:
    """9.4: a JSON array with one element nested 300 deep: 3 neighbours stored, it refused."""
    deep = orjson.loads(log_line("h4-deep"))
    text = orjson.dumps({**deep, "attributes": {"x": 1}}).decode()
    nested = text.replace('{"x":1}', '{"x":' * 300 + "1" + "}" * 300)
    good = [log_line(f"h4-{i}").decode().strip() for i in range(3)]
    body = "[" + ",".join([good[0], nested, good[1], good[2]]) + "]"
    answer = hostile.post("logs", body.encode(), content_type=JSON)
    assert answer.status == 200, answer.body
    assert answer.json()["accepted"] == 3
    assert [(r["index"], r["reason"]) for r in answer.json()["rejected"]] == [(1, "too_deep")]
    assert hostile.stored({"h4-0", "h4-1", "h4-2"}) == {"h4-0", "h4-1", "h4-2"}
    (refused,) = hostile.refused("too_deep", "h4-deep", 1)
    assert refused["stage"] == "collector" and refused["index"] == 1


def test_an_overlong_line_is_cut_and_refused_alone(hostile: Hostile) -> None:
    """A 20 MB line between two good ones: they are stored, it goes to errors/ as too_large."""
    long_line = log_line("h-long", event="x" * 20_000_000)
    body = log_line("h-long-a") + long_line + log_line("h-long-b")
    answer = hostile.post("logs", gzip.compress(body, 1), content_encoding=GZIP)
    assert answer.status == 200, answer.body
    assert answer.json()["rejected"][0]["reason"] == "too_large"
    assert f"record is {len(long_line) - 1} bytes" in answer.json()["rejected"][0]["error"]
    assert hostile.stored({"h-long-a", "h-long-b"}) == {"h-long-a", "h-long-b"}


def test_half_sent_requests_time_out_and_cannot_lock_others_out(hostile: Hostile) -> None:
    """9.6: 3,000 half-sent headers and 300 half-sent bodies: good clients still get in,
    descriptors stay under the cap, and every slow connection is closed by its deadline."""
    collector = hostile.collector
    baseline = collector.open_fds()
    crowd: list[socket.socket] = []
    try:
        for i in range(3_300):
            sock = socket.create_connection(("127.0.0.1", collector.port), timeout=5)
            if i % 11 == 0:
                sock.sendall(
                    b"POST /api/v1/ingest/logs HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/x-ndjson\r\nContent-Length: 100000\r\n\r\n{"
                )
            else:
                sock.sendall(b"POST /api/v1/ingest/logs HTTP/1.1\r\nHost: x\r\nContent-")
            crowd.append(sock)
            if i % 500 == 0:  # a good client in the middle of the crowd
                answer = hostile.post("logs", log_line(f"h6-{i}"), timeout=5)
                assert answer.status == 200, answer.body
        time.sleep(4.5)  # past the header (2 s) and body (3 s) deadlines
        still_open = 0
        for sock in crowd:
            sock.settimeout(0.01)
            try:
                if sock.recv(65536) != b"":
                    while sock.recv(65536):
                        pass
                    continue
            except TimeoutError:
                still_open += 1
            except OSError:
                continue
        assert still_open == 0
        assert collector.open_fds() <= baseline + 10
    finally:
        for sock in crowd:
            sock.close()
    ids = {f"h6-{i}" for i in range(0, 3_300, 500)}
    assert hostile.stored(ids) == ids
    assert hostile.get("/readyz").status == 200


def test_a_slow_body_is_408_and_stores_nothing(hostile: Hostile) -> None:
    """A body trickled slower than its deadline is answered 408; nothing of it is stored."""
    with socket.create_connection(("127.0.0.1", hostile.collector.port), timeout=10) as sock:
        line = log_line("h6-slow")
        head = b"POST /api/v1/ingest/logs HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
        sock.sendall(head % (len(line) + 10) + line)
        started = time.monotonic()
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 5
    assert hostile.stored({"h6-slow"}, timeout=1.5) == set()


def test_request_helper_reaches_the_collector(hostile: Hostile) -> None:
    """The suite's own plumbing: a plain request on a fresh connection is answered."""
    assert request(hostile.collector.url, "GET", "/healthz").status == 200
