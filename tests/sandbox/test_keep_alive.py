"""A kept-alive connection's next request is answered by the thread that answered the last one, when
it follows within LINGER (no hand-back to cheroot's selector thread and out again); after a longer
pause, or STAY_FOR requests in a row, the connection goes back to the selector and is still served."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from dsop_sandbox import wsgi_server
from dsop_sandbox.wsgi_server import ServiceServer


def which_thread(environ, start_response):
    body = str(threading.get_ident()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.fixture
def served():
    """The URL, and the connections the workers handed back to cheroot's selector thread."""
    server = ServiceServer("keep-alive", "127.0.0.1", 0, threads=8)
    port = server.bind()
    handed_back: list = []
    put_conn = server.server.put_conn
    server.server.put_conn = lambda conn: (handed_back.append(conn), put_conn(conn))
    server.start(which_thread)
    try:
        yield f"http://127.0.0.1:{port}/", handed_back
    finally:
        server.stop()


def ask(url: str, times: int, pause: float = 0.0) -> list[str]:
    """The threads that answered ``times`` requests on one kept-alive connection, which is then closed."""
    with requests.Session() as session:
        answers = []
        for _ in range(times):
            answer = session.get(url, timeout=10)
            assert answer.status_code == 200 and answer.headers.get("Connection") != "close"
            answers.append(answer.text)
            time.sleep(pause)
        return answers


def test_back_to_back_requests_stay_on_one_thread(served, monkeypatch):
    monkeypatch.setattr(wsgi_server, "LINGER", 2.0)  # however loaded the machine, the client is quicker
    url, handed_back = served
    assert len(set(ask(url, 20))) == 1
    assert handed_back == []  # the client closed while the thread waited for its next request


def test_a_connection_paused_longer_than_the_linger_goes_back_and_is_still_served(served, monkeypatch):
    monkeypatch.setattr(wsgi_server, "LINGER", 0.001)
    url, handed_back = served
    assert len(ask(url, 6, pause=0.1)) == 6
    assert len(handed_back) >= 5  # before each next request (the last one's may come after we look)


def test_at_most_stay_for_requests_in_a_row_before_the_connection_goes_back(served, monkeypatch):
    monkeypatch.setattr(wsgi_server, "LINGER", 2.0)
    monkeypatch.setattr(wsgi_server, "STAY_FOR", 3)
    url, handed_back = served
    assert len(ask(url, 13)) == 13
    assert len(handed_back) == 4  # after the 3rd, 6th, 9th and 12th; the client closed after the 13th
