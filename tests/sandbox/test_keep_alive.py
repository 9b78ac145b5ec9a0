"""A kept-alive connection's next request is answered by the thread that answered the last one, when
it follows within LINGER (no hand-back to cheroot's selector thread and out again); after a longer
pause, or STAY_FOR requests in a row, the connection goes back to the selector and is still served."""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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


def self_signed(folder: Path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


def test_a_connection_kept_on_its_thread_does_not_outlive_a_certificate_switch(tmp_path, monkeypatch):
    """No request sent after the switch is answered on the old handshake: the connection closes, as
    swap_certificate closes the idle ones, and the client's next one gets the certificate served now
    (what the TLS scenarios rest on)."""
    monkeypatch.setattr(wsgi_server, "LINGER", 2.0)
    first, second = self_signed(tmp_path, "first"), self_signed(tmp_path, "second")
    server = ServiceServer("keep-alive-tls", "127.0.0.1", 0, threads=4)
    port = server.bind()
    server.use_tls(*first)
    server.start(which_thread)
    trust_anything = ssl._create_unverified_context()
    try:
        client = http.client.HTTPSConnection("127.0.0.1", port, context=trust_anything, timeout=10)
        client.request("GET", "/")
        assert client.getresponse().read()
        seen_first = client.sock.getpeercert(binary_form=True)
        server.swap_certificate(*second)  # while the thread waits for this connection's next request
        with pytest.raises((http.client.HTTPException, OSError)):
            client.request("GET", "/")
            client.getresponse().read()
        client.close()
        again = http.client.HTTPSConnection("127.0.0.1", port, context=trust_anything, timeout=10)
        again.request("GET", "/")
        assert again.getresponse().read()
        assert again.sock.getpeercert(binary_form=True) != seen_first
        assert again.sock.getpeercert(binary_form=True) == ssl.PEM_cert_to_DER_cert(Path(second[0]).read_text())
        again.close()
    finally:
        server.stop()
