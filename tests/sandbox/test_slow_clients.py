"""Slow clients (issue 15, finding 7), the attack in small: a few connections that send their
headers a line at a time and never finish. A request's headers and body must be in within the
server's deadline (later: 408, connection closed), and the worker pool grows while they hold
workers, so that a normal client is answered meanwhile. No timings are asserted: the figures under
load are benchmarks/slow_clients.py's."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager, suppress

import requests

from dsop_sandbox.wsgi_server import ServiceServer


def hello(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body) + 2))])
    return [b"ok" + body]


@contextmanager
def serving(**limits):
    server = ServiceServer("slow", "127.0.0.1", 0, **limits)
    port = server.bind()
    server.start(hello)
    try:
        yield port
    finally:
        server.stop()


@contextmanager
def tricklers(port: int, count: int, *, body: bool = False):
    """``count`` connections that send a request's start, then one more header line (or body byte)
    every 50 ms, never finishing, until the block ends."""
    stop = threading.Event()
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(count)]
    start = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" if body else b"GET / HTTP/1.1\r\nHost: x\r\n"
    for sock in sockets:
        sock.sendall(start)

    def trickle():
        while not stop.wait(0.05):
            for sock in sockets:
                with suppress(OSError):  # the server closed it
                    sock.sendall(b"a" if body else b"X-Slow: 1\r\n")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield sockets
    finally:
        stop.set()
        thread.join()
        for sock in sockets:
            sock.close()


def answer_of(sock: socket.socket) -> bytes:
    """What the server sent before it closed the connection."""
    received = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return received
        received += chunk


def test_trickled_headers_get_408_when_the_deadline_passes():
    with serving(threads=2, request_deadline=0.5) as port, tricklers(port, 3) as slow:
        for sock in slow:
            assert answer_of(sock).startswith(b"HTTP/1.1 408 ")


def test_a_trickled_body_gets_408_too():
    with serving(threads=2, request_deadline=0.5) as port, tricklers(port, 2, body=True) as slow:
        for sock in slow:
            assert answer_of(sock).startswith(b"HTTP/1.1 408 ")


def test_a_normal_client_is_answered_while_slow_clients_hold_every_first_worker():
    with (
        serving(threads=2, max_threads=40, request_deadline=30) as port,
        tricklers(port, 6),
        requests.Session() as http,
    ):
        for _ in range(5):
            answer = http.post(f"http://127.0.0.1:{port}/", data=b"!", timeout=10)
            assert answer.status_code == 200 and answer.content == b"ok!"


def test_the_deadline_bounds_the_client_not_an_app_that_reads_late():
    """A body that arrived in time is the app's, however long it takes before reading it."""
    woken = threading.Event()

    def late_reader(environ, start_response):
        woken.wait(0.5)  # longer than the deadline, before the body is read
        return hello(environ, start_response)

    server = ServiceServer("late", "127.0.0.1", 0, threads=2, request_deadline=0.2)
    port = server.bind()
    server.start(late_reader)
    try:
        body = b"x" * 200_000  # more than the reader's buffer: the app's read needs the socket, or not
        answer = requests.post(f"http://127.0.0.1:{port}/", data=body, timeout=10)
    finally:
        server.stop()
    assert answer.status_code == 200 and answer.content == b"ok" + body


def test_a_body_longer_than_the_service_takes_is_refused_without_waiting_for_it():
    """A body over the limit is not read first: the app refuses it from its announced length, so a
    client cannot hold a worker (or memory) by sending what the service would refuse anyway."""

    def refuses_long_bodies(environ, start_response):
        if int(environ.get("CONTENT_LENGTH") or 0) > 1024:
            start_response("413 Payload Too Large", [("Content-Type", "text/plain"), ("Content-Length", "8")])
            return [b"too long"]
        return hello(environ, start_response)

    server = ServiceServer("limited", "127.0.0.1", 0, threads=2, request_deadline=5.0, body_limit=1024)
    port = server.bind()
    server.start(refuses_long_bodies)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            # the headers announce 5 MB, and no byte of it follows: only a reader that waits would wait
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
            answer = sock.recv(4096)
        within = requests.post(f"http://127.0.0.1:{port}/", data=b"x" * 1000, timeout=10)
    finally:
        server.stop()
    assert answer.startswith(b"HTTP/1.1 413")
    assert within.status_code == 200 and within.content == b"ok" + b"x" * 1000
