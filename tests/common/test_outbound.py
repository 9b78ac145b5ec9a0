"""Outgoing HTTP (mocks/common/outbound.py): one Outbound per service, sessions that never read the
environment and trust the sandbox's CA bundle under TLS, and adapters a test mounts on it; and
the in-process network of tests/wsgi_network.py that such an adapter delivers to."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, make_response, redirect, request
from jwt.algorithms import RSAAlgorithm

from dsop_sandbox.mocks.common import citizen_login as C
from dsop_sandbox.mocks.common.outbound import Outbound
from dsop_sandbox.mocks.common.peers import Peers
from dsop_sandbox.mocks.common.remote_keys import KeysUnavailable, RemoteKeys
from dsop_sandbox.mocks.common.store import Store
from dsop_sandbox.mocks.common.trust import ca_bundle_path
from tests.conftest import free_port_settings
from tests.wsgi_network import InProcessSandbox, WsgiAdapter

IDP = "http://idporten.test"
OTHER = "http://other.test:8080"


def echo_app() -> Flask:
    """Answers what it got: method, path, query, form, JSON, cookies and a few headers."""
    app = Flask("echo")

    @app.route("/echo/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
    def echo(rest):
        return jsonify(
            {
                "method": request.method,
                "path": request.path,
                "rest": rest,
                "query": request.args.to_dict(flat=False),
                "form": request.form.to_dict(),
                "json": request.get_json(silent=True),
                "cookies": request.cookies.to_dict(),
                "host": request.host,
                "content_type": request.content_type,
            }
        )

    @app.get("/login")
    def login():
        response = redirect("/echo/after", code=302)
        response.set_cookie("session", "s1", httponly=True)
        response.set_cookie("other", "o1")
        return response

    @app.get("/status/<int:code>")
    def status(code):
        return make_response(jsonify({"code": code}), code)

    @app.get("/jwks.json")
    def jwks():
        return jsonify(app.config["JWKS"])

    @app.post("/token")
    def token():
        app.config.setdefault("FORMS", []).append(request.form.to_dict())
        return make_response(jsonify({"error": "invalid_grant", "error_description": "ukjent kode"}), 400)

    return app


@pytest.fixture
def echo() -> Flask:
    return echo_app()


@pytest.fixture
def network(echo):
    adapter = WsgiAdapter()
    adapter.add(IDP, echo)
    return adapter


@pytest.fixture
def http(network):
    with requests.Session() as session:
        session.trust_env = False
        network.mount_on(session)
        yield session


# -- Outbound ---------------------------------------------------------------------------------------------------
def test_sessions_ignore_the_environment_and_trust_what_the_settings_say(tmp_path):
    tls_settings = free_port_settings(tmp_path / "b", tls=True)
    plain, tls = Outbound(free_port_settings(tmp_path / "a")), Outbound(tls_settings)
    assert plain.verify is True and tls.verify == str(ca_bundle_path(tls_settings))
    for outbound in (plain, tls):
        with outbound.session() as session:
            assert session.trust_env is False and session.verify == outbound.verify
    assert Outbound().verify is True and Outbound(verify="/ca.pem").verify == "/ca.pem"


def test_a_mounted_adapter_carries_the_calls_of_every_session_made_afterwards(network):
    outbound = Outbound()
    before = outbound.session()
    outbound.mount(IDP + "/", network)
    with outbound.session() as session:
        answer = session.get(IDP + "/echo/x", params={"a": "1"}, timeout=1)
    assert answer.status_code == 200 and answer.json()["query"] == {"a": ["1"]}
    assert network.sent == [f"GET {IDP}/echo/x?a=1"]
    assert before.get_adapter(IDP + "/echo/x") is not network  # made before the mount
    before.close()
    outbound.unmount(IDP + "/")
    assert outbound.mounted == {}
    with outbound.session() as session:
        assert session.get_adapter(IDP + "/echo/x") is not network


def test_closing_a_session_leaves_the_shared_adapter_working(network):
    outbound = Outbound()
    outbound.mount(IDP + "/", network)
    for _ in range(2):
        with outbound.session() as session:
            assert session.get(IDP + "/echo/again", timeout=1).status_code == 200


@pytest.mark.parametrize("tls", [False, True])
def test_every_service_runtime_has_an_outbound_from_its_settings(make_app, tmp_path, tls):
    settings = free_port_settings(tmp_path / "state", tls=tls)
    app = make_app("nav", settings_=settings)
    rt = app.extensions["sandbox"]
    assert isinstance(rt.outbound, Outbound)
    assert rt.outbound.verify == (str(ca_bundle_path(settings)) if tls else True)
    service = app.extensions["nav"]
    assert service.outbound is rt.outbound
    for keys in (service.maskinporten_keys, service.idporten_keys, service.altinn_keys):
        assert keys.outbound is rt.outbound


def test_peers_without_an_outbound_make_one_from_the_settings(tmp_path, authority, clock):
    settings = free_port_settings(tmp_path / "state", tls=True)
    peers = Peers(settings, clock, authority, "889640782", "Testetaten")
    assert peers.outbound.verify == str(ca_bundle_path(settings)) == peers.verify
    assert peers.maskinporten_keys.outbound is peers.outbound is peers.idporten_keys.outbound
    given = Outbound()
    assert Peers(settings, clock, authority, "889640782", "Testetaten", outbound=given).outbound is given


# -- remote keys and the relying party go through it ----------------------------------------------------------
def _jwks() -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {"keys": [{**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1"}]}


def test_remote_keys_fetch_through_the_outbound(echo, network, clock):
    echo.config["JWKS"] = _jwks()
    outbound = Outbound()
    outbound.mount(IDP + "/", network)  # after the keys object was made: each fetch takes a new session
    keys = RemoteKeys(IDP + "/jwks.json", clock, outbound=outbound)
    assert keys.key("k1") is not None
    assert network.sent == [f"GET {IDP}/jwks.json"]
    echo.config["JWKS"] = {"keys": []}
    keys.forget()
    with pytest.raises(KeysUnavailable):
        keys.key("k1")
    assert RemoteKeys(IDP + "/jwks.json", clock, verify="/ca.pem").outbound.verify == "/ca.pem"


def test_the_relying_party_redeems_codes_through_the_service_outbound(echo, network, clock, tmp_path):
    outbound = Outbound()
    outbound.mount(IDP + "/", network)
    credentials = SimpleNamespace(key_pem=b"", chain_pem=b"")
    service = SimpleNamespace(
        base_url="http://service.test",
        rt=SimpleNamespace(store=Store(tmp_path / "rp.sqlite3"), lifetimes={}),
        clock=clock,
        enterprise_credentials=lambda: credentials,
        idporten_base_url=IDP,
        idporten_issuer=IDP,
        idporten_keys=RemoteKeys(IDP + "/jwks.json", clock),
        outbound=outbound,
    )
    config = C.RelyingPartyConfig("tjeneste", "/cb", "t_session", "t_login", "test", "/start")
    rp = config.bind(service)
    assert rp.outbound is outbound
    rp.client_assertion = lambda: "assertion"  # no certificate needed to see where the call goes
    with pytest.raises(C.LoginFailed) as refused:
        rp.redeem_code("the-code", "verifier")
    assert refused.value.kind == "token_refused" and "invalid_grant" in refused.value.detail
    assert network.sent == [f"POST {IDP}/token"]
    assert echo.config["FORMS"][0]["code"] == "the-code"
    service.outbound = None
    assert config.bind(service).outbound is service.idporten_keys.outbound


# -- the in-process network ---------------------------------------------------------------------------------------
def test_requests_reach_the_app_with_their_query_form_json_and_host(http):
    got = http.get(IDP + "/echo/a%20b/c", params={"x": ["1", "2"], "æ": "ø"}, timeout=1).json()
    assert got["method"] == "GET" and got["rest"] == "a b/c" and got["host"] == "idporten.test"
    assert got["query"] == {"x": ["1", "2"], "æ": ["ø"]}
    form = http.post(IDP + "/echo/f", data={"grant_type": "x y"}, timeout=1).json()
    assert form["form"] == {"grant_type": "x y"} and form["content_type"] == "application/x-www-form-urlencoded"
    sent = http.put(IDP + "/echo/j", json={"a": [1, "ø"]}, timeout=1).json()
    assert sent["json"] == {"a": [1, "ø"]} and sent["method"] == "PUT"


def test_cookies_and_redirects_work_as_over_a_socket(http):
    answer = http.get(IDP + "/login", timeout=1)
    assert answer.status_code == 200 and answer.url == IDP + "/echo/after"
    assert answer.history[0].status_code == 302
    assert answer.json()["cookies"] == {"session": "s1", "other": "o1"}
    assert http.cookies.get("session") == "s1"
    assert "HttpOnly" in answer.history[0].headers["Set-Cookie"]


def test_statuses_pass_through(http):
    answer = http.get(IDP + "/status/418", timeout=1)
    assert answer.status_code == 418 and answer.json() == {"code": 418}
    assert http.get(IDP + "/nowhere", timeout=1).status_code == 404


def test_an_origin_no_app_serves_is_a_connection_error(network):
    with requests.Session() as session:
        session.trust_env = False
        session.mount("http://", network)
        with pytest.raises(requests.ConnectionError):
            session.get(OTHER + "/x", timeout=1)


def test_a_dropped_connection_fault_is_a_connection_error(tmp_path, authority):
    settings = free_port_settings(tmp_path / "state")
    with InProcessSandbox(settings, ("nav",), authority=authority) as sandbox, sandbox.session() as http:
        nav = sandbox.url("nav")
        armed = http.post(nav + "/_sandbox/faults", json={"operation": "openapi", "drop": True, "count": 1}, timeout=1)
        assert armed.status_code == 201, armed.text
        with pytest.raises(requests.ConnectionError):
            http.get(nav + "/openapi.json", timeout=1)
        assert http.get(nav + "/openapi.json", timeout=1).status_code == 200


def test_a_session_without_the_adapter_is_refused_not_served_elsewhere(tmp_path, authority):
    """The in-process sandbox's ports are held but never listen: a call that misses the adapter fails at once."""
    with InProcessSandbox(free_port_settings(tmp_path / "state"), ("nav",), authority=authority) as sandbox:
        with requests.Session() as stray:
            stray.trust_env = False
            with pytest.raises(requests.ConnectionError):
                stray.get(sandbox.url("nav") + "/_sandbox/health", timeout=2)
        with sandbox.session() as http:
            assert http.get(sandbox.url("nav") + "/_sandbox/health", timeout=1).json() == {
                "status": "ok",
                "service": "nav",
            }


def test_in_process_services_reach_each_other_through_their_outbound(tmp_path, authority):
    settings = free_port_settings(tmp_path / "state")
    with InProcessSandbox(settings, ("maskinporten", "nav"), authority=authority) as sandbox:
        nav = sandbox.app("nav").extensions["nav"]
        assert nav.maskinporten_keys.key(None) is not None  # Maskinporten's /jwk, in process
        assert sandbox.adapter.sent == [f"GET {sandbox.url('maskinporten')}/jwk"]
