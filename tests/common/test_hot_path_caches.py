"""What the hot path remembers answers the same as working it out again (issue 18, a lean hot path):
jose's decoded headers, whether a token can hold a lone surrogate, the endpoint a request routes to,
and the token signature written without PyJWT."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dsop_sandbox.mocks.common import jose, service
from dsop_sandbox.mocks.common.service import ENDPOINT_CACHE_SIZE

from .conftest import events_of


def segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(header: bytes, claims: bytes) -> str:
    return f"{segment(header)}.{segment(claims)}.{segment(b'signature')}"


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_a_header_seen_before_is_a_fresh_copy_each_time():
    header = json.dumps({"alg": "RS256", "x5c": ["bGVhZg==", "Y2E="], "jwk": {"n": "x"}}).encode()
    first = jose.parse(token(header, b'{"a": 1}'))
    first.header["x5c"].append("forged")
    first.header["jwk"]["n"] = "changed"
    first.header["alg"] = "none"
    again = jose.parse(token(header, b'{"a": 2}'))
    assert again.header == {"alg": "RS256", "x5c": ["bGVhZg==", "Y2E="], "jwk": {"n": "x"}}
    assert again.claims == {"a": 2}


@pytest.mark.parametrize(
    "header, claims",
    [
        (b'{"alg": "RS256", "kid": "\\ud800"}', b'{"a": 1}'),  # an escape in the header
        (b'{"alg": "RS256"}', b'{"sub": "x\\udfff"}'),  # an escape in the claims
        (b'{"alg": "RS256"}', b'{"sub": "\xed\xa0\x80"}'),  # raw bytes json decodes with surrogatepass
    ],
    ids=["header-escape", "claims-escape", "raw-bytes"],
)
def test_a_lone_surrogate_is_found_also_in_a_remembered_header(header, claims):
    for _ in range(2):  # the second parse takes the header from the cache
        assert jose.parse(token(header, claims)).lone_surrogate


def test_text_that_merely_looks_like_a_surrogate_is_text():
    # U+D55C (한) is encoded ED 95 9C, and "\\u" may be a backslash before a u
    parsed = jose.parse(token(b'{"alg": "RS256"}', '{"name": "한", "path": "C:\\\\users"}'.encode()))
    assert not parsed.lone_surrogate
    assert parsed.claims == {"name": "한", "path": "C:\\users"}


def test_sign_rs256_writes_what_pyjwt_writes(key):
    claims = {"scope": "nav:helse/v1/uforeopplysninger", "exp": 2, "consumer": {"ID": "0192:310000019"}, "n": "æ"}
    ours = jose.sign_rs256(claims, key, {"kid": "k1", "typ": "JWT", "alg": "none"})
    assert ours == jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1", "typ": "JWT"})
    parsed = jose.parse(ours)
    assert parsed.header == {"alg": "RS256", "kid": "k1", "typ": "JWT"}  # alg cannot be changed
    assert jose.verify_rsa(parsed, key.public_key(), "RS256")


def test_the_remembered_endpoint_names_each_request_s_operation(mp):
    for _ in range(2):
        assert mp.get("/jwk").status_code == 200
        assert mp.get("/errors/MP-011").status_code == 200
        assert mp.post("/jwk").status_code == 405  # same path, another method: no endpoint
        assert mp.get("/no-such-path").status_code == 404
    operations = [(event["method"], event["path"], event["operation"]) for event in events_of(mp)]
    assert operations == 2 * [
        ("GET", "/jwk", "jwk"),
        ("GET", "/errors/MP-011", "error_page"),
        ("POST", "/jwk", "unknown"),
        ("GET", "/no-such-path", "unknown"),
    ]


def test_more_paths_than_are_remembered_still_route(mp, monkeypatch):
    assert ENDPOINT_CACHE_SIZE >= 1000
    monkeypatch.setattr(service, "ENDPOINT_CACHE_SIZE", 4)  # the real size, 4096 requests, is slow here
    for number in range(10):
        assert mp.get(f"/errors/MP-{number:03}").status_code == 404  # routed: no such error code
    assert mp.get("/errors/MP-011").status_code == 200
    assert mp.post("/errors/MP-011").status_code == 405
    assert [event["operation"] for event in events_of(mp)] == 11 * ["error_page"] + ["unknown"]


def test_a_long_path_is_routed_and_not_remembered(mp_app, monkeypatch):
    bind = mp_app.url_map.bind_to_environ
    binds = []
    monkeypatch.setattr(mp_app.url_map, "bind_to_environ", lambda *a, **kw: binds.append(1) or bind(*a, **kw))
    client = mp_app.test_client()
    long_path = "/errors/" + "M" * service.ENDPOINT_CACHE_PATH
    for path in ("/errors/MP-011", long_path):
        binds.clear()
        assert client.get(path).status_code in (200, 404)
        assert client.get(path).status_code in (200, 404)
        # Flask matches once per request; the middleware matches again unless it remembers the path
        assert len(binds) == (3 if path != long_path else 4), path
        assert events_of(client)[-1]["operation"] == "error_page"
