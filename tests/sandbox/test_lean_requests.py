"""How a served request is read and its answer written (sandbox/wsgi_server.py): each line of the
request read whole (WholeLines), with cheroot's limits and refusals kept, and the answer's header
block sent together with its body (SocketWriter.hold_next), over a real server and socket."""

from __future__ import annotations

import http.client
import socket
from typing import ClassVar

import pytest

from dsop_sandbox import wsgi_server
from dsop_sandbox.wsgi_server import ServiceServer, SocketWriter

TOKEN = "Bearer " + "t" * 4000  # a Maskinporten token with an Altinn 3 consent is a few KB


def answer(environ, start_response):
    """What the request said, or an answer with no body (``/empty``: 204, and HEAD), or one sent in pieces."""
    path = environ["PATH_INFO"]
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    if path == "/pieces":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"one ", b"two ", b"three"])
    body = f"{environ['REQUEST_METHOD']} {environ.get('HTTP_AUTHORIZATION', '')}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class CountingWriter(SocketWriter):
    """The writer, counting the sends that reach the socket."""

    sends: ClassVar[list[int]] = []

    def __init__(self, sock):
        super().__init__(sock)
        self._sock = self
        self._real = sock

    def sendall(self, data):
        CountingWriter.sends.append(len(data))
        self._real.sendall(data)


@pytest.fixture
def served(monkeypatch):
    """(host, port, the server) serving :func:`answer`, with the sends counted."""
    monkeypatch.setattr(wsgi_server, "SocketWriter", CountingWriter)
    CountingWriter.sends = []
    server = ServiceServer("lean", "127.0.0.1", 0, threads=4)
    port = server.bind()
    server.start(answer)
    try:
        yield "127.0.0.1", port, server
    finally:
        server.stop()


def test_a_small_answer_leaves_in_one_send(served):
    host, port, _ = served
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", "/", headers={"Authorization": "Bearer x"})
    reply = connection.getresponse()
    assert (reply.status, reply.read()) == (200, b"GET Bearer x")
    assert len(CountingWriter.sends) == 1  # the header block and the body together
    connection.close()


def test_answers_without_a_body_are_sent_and_the_connection_goes_on(served):
    """The held header block goes out when no body follows (HEAD, 204); the next request on the same
    connection is answered, and a body sent in pieces arrives whole."""
    host, port, _ = served
    connection = http.client.HTTPConnection(host, port, timeout=5)
    connection.request("HEAD", "/")
    head = connection.getresponse()
    assert (head.status, head.getheader("Content-Length"), head.read()) == (200, str(len("HEAD ")), b"")
    connection.request("GET", "/empty")
    empty = connection.getresponse()
    assert (empty.status, empty.read()) == (204, b"")
    connection.request("GET", "/pieces")
    pieces = connection.getresponse()
    assert (pieces.status, pieces.read()) == (200, b"one two three")
    connection.request("GET", "/", headers={"Authorization": "Bearer again"})
    assert connection.getresponse().read() == b"GET Bearer again"
    connection.close()


def test_a_long_header_is_read_whole_in_one_read(served, monkeypatch):
    host, port, _ = served
    reads: list[int] = []
    readline = wsgi_server.SocketReader.readline

    def counted(self, size=-1):
        reads.append(size)
        return readline(self, size)

    monkeypatch.setattr(wsgi_server.SocketReader, "readline", counted)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", "/", headers={"Authorization": TOKEN})
    reply = connection.getresponse()
    assert (reply.status, reply.read()) == (200, f"GET {TOKEN}".encode())
    # the request line, Host, Accept-Encoding, Authorization and the blank line: one read each
    # (cheroot's own size check reads a line 256 bytes at a time: 16 reads for the token alone)
    assert len(reads) == 5
    connection.close()


def raw(host: str, port: int, request: bytes) -> bytes:
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_the_header_size_limit_still_refuses_a_long_line_and_long_headers(served):
    """cheroot's limit on the request line and headers (``max_request_header_size``) holds with lines
    read whole: 414 for a request line beyond it, 413 for headers beyond it, and a request within it
    is answered."""
    host, port, server = served
    server.server.max_request_header_size = 1000
    long_line = raw(host, port, b"GET /" + b"a" * 1200 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert long_line.startswith(b"HTTP/1.1 414 ")
    long_headers = raw(host, port, b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: " + b"b" * 1200 + b"\r\n\r\n")
    assert long_headers.startswith(b"HTTP/1.1 413 ") and b"headers sent with the request exceed" in long_headers
    within = raw(host, port, b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ok\r\nConnection: close\r\n\r\n")
    assert within.startswith(b"HTTP/1.1 200 ") and within.endswith(b"GET Bearer ok")


def test_a_malformed_header_line_is_still_refused(served):
    host, port, _ = served
    refused = raw(host, port, b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
    assert refused.startswith(b"HTTP/1.1 400 ") and b"Illegal header line" in refused


def test_the_writer_counts_every_byte_it_sends_held_or_not():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        writer = SocketWriter(ours)
        writer.hold_next()
        writer.write(b"HEAD\r\n\r\n")
        assert writer.bytes_written == 0  # held, not sent
        writer.write(b"body")
        writer.hold_next()
        writer.write(b"NEXT\r\n\r\n")
        writer.flush()
        writer.flush()  # nothing left to send
        assert writer.bytes_written == len(b"HEAD\r\n\r\nbodyNEXT\r\n\r\n")
        assert theirs.recv(100) == b"HEAD\r\n\r\nbodyNEXT\r\n\r\n"
