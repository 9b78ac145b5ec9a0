"""The reader cheroot reads requests from (sandbox/wsgi_server.py, SocketReader): what cheroot's own
buffered reader answered, line by line and byte by byte, over a real socket pair, and the deadline."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest

from dsop_sandbox.wsgi_server import SocketReader


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    ours.settimeout(5)
    yield ours, theirs
    ours.close()
    theirs.close()


def reader_on(sock, *, deadline: float | None = None, bufsize: int = 8192) -> SocketReader:
    connection = SimpleNamespace(deadline=deadline, server=SimpleNamespace(timeout=5))
    return SocketReader(sock, connection, bufsize)


def test_lines_come_whole_with_their_newline_and_a_size_cuts_one(pair):
    ours, theirs = pair
    theirs.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    reader = reader_on(ours)
    assert reader.readline() == b"GET / HTTP/1.1\r\n"
    assert reader.readline(4) == b"Host"
    assert reader.readline() == b": x\r\n"
    assert reader.readline() == b"\r\n"
    assert reader.bytes_read == len(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")


def test_a_line_sent_in_pieces_is_read_whole(pair):
    ours, theirs = pair
    reader = reader_on(ours)
    theirs.sendall(b"Content-")
    theirs.sendall(b"Length: 5\r\nrest")
    assert reader.readline() == b"Content-Length: 5\r\n"
    assert reader.has_data()  # what came after the line stays buffered


def test_read_waits_for_the_bytes_asked_and_keeps_what_follows(pair):
    ours, theirs = pair
    reader = reader_on(ours, bufsize=4)
    theirs.sendall(b"abc")
    theirs.sendall(b"defgh")
    assert reader.read(6) == b"abcdef"
    assert reader.has_data()
    assert reader.read(2) == b"gh"
    assert not reader.has_data()


def test_the_end_of_the_stream_ends_lines_reads_and_iteration(pair):
    ours, theirs = pair
    theirs.sendall(b"one\ntwo\nlast")
    theirs.shutdown(socket.SHUT_WR)
    reader = reader_on(ours)
    assert list(reader) == [b"one\n", b"two\n", b"last"]
    assert reader.read(10) == b""
    assert reader.readline() == b""


def test_read_without_a_size_reads_to_the_end(pair):
    ours, theirs = pair
    theirs.sendall(b"x" * 100_000)
    theirs.shutdown(socket.SHUT_WR)
    assert reader_on(ours).read() == b"x" * 100_000


def test_a_passed_deadline_refuses_to_wait(pair):
    ours, theirs = pair
    reader = reader_on(ours, deadline=time.monotonic() - 1)
    theirs.sendall(b"late\n")
    with pytest.raises(TimeoutError):
        reader.readline()


def test_a_deadline_cuts_a_wait_short_and_leaves_the_socket_timeout(pair):
    ours, _theirs = pair
    reader = reader_on(ours, deadline=time.monotonic() + 0.2)
    began = time.monotonic()
    with pytest.raises(TimeoutError):
        reader.readline()  # nothing comes: the deadline, not the 5 s socket timeout, ends the wait
    assert time.monotonic() - began < 2
    assert ours.gettimeout() == 5
