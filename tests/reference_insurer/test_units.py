"""The reference insurer's parts without a sandbox: configuration, retry policy, the Maskinporten
client's grant and cache, the consent request, the callback check, and the house rule that it
imports nothing from the sandbox."""

from __future__ import annotations

import ast
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
from cryptography import x509

from dsop_sandbox.examples.reference_insurer import (
    ConfigError,
    InsurerConfig,
    ReferenceInsurer,
    RetryPolicy,
    create_app,
)
from dsop_sandbox.examples.reference_insurer.app import fnr_problem
from dsop_sandbox.examples.reference_insurer.config import RESET_KEY_HEADER
from dsop_sandbox.examples.reference_insurer.maskinporten import (
    CachedToken,
    EnterpriseCertificate,
    MaskinportenClient,
    MaskinportenError,
)
from dsop_sandbox.examples.reference_insurer.store import CONSENTED, PENDING
from tests.reference_insurer.conftest import profile

PACKAGE = Path(__file__).resolve().parents[2] / "examples" / "reference_insurer"


ALTINN3_FACTS = {
    "consent_requests": "http://altinn.test/accessmanagement/api/v1/enterprise/consentrequests/",
    "resource": "nav_samtykke_dsop_aap-ufore",
}


@pytest.fixture
def config(credentials) -> InsurerConfig:
    return InsurerConfig.from_mapping(profile(), base_dir=credentials, public_url="http://insurer.test:7200/")


# -- configuration ---------------------------------------------------------------------------------------------
def test_config_from_the_register_insurer_tables(config, credentials):
    assert config.public_url == "http://insurer.test:7200"
    assert config.callback_url == "http://insurer.test:7200/claims/callback"
    assert config.key_path == credentials / "enterprise.key.pem"
    assert config.altinn_base_url == "http://altinn.test"
    assert config.maskinporten_issuer == "http://mp.test/"  # the trailing slash is kept
    assert (config.ufore_path, config.aap_vedtak_path, config.aap_meldekort_path) == (
        "/dsop-ufo/uforeopplysninger",
        "/dsop-aap/v1/vedtak",
        "/dsop-aap/v1/meldekort",
    )
    assert config.verify is True and config.state_file is None
    assert config.retry.max_attempts == 8 and config.fetch_retry.deadline == 6.0


def test_config_options_from_the_file_and_overrides(credentials, tmp_path):
    path = tmp_path / "insurer.toml"
    path.write_text(f"""
[insurer]
name = "Eksempel Forsikring AS"
org = "310000019"
start_url = "https://forsikring.example:8443/claims/start?pid={{pid}}"
[certificate]
key = "{credentials / "enterprise.key.pem"}"
chain = "{credentials / "enterprise.cert.pem"}"
[maskinporten]
issuer = "http://mp.test/"
token_endpoint = "http://mp.test/token"
client_id = "c-1"
[altinn]
base_url = "http://altinn.test"
api_key = "k"
[nav]
base_url = "http://nav.test"
aap_vedtak_path = "/arbeid/v1/aap/vedtak"
[reference_insurer]
ca_bundle = "ca.pem"
timeout = 3
[reference_insurer.retry]
first_delay = 1.0
max_attempts = 4
""")
    config = InsurerConfig.load(path, aap_meldekort_path="/mk", state_file=str(tmp_path / "s.sqlite3"))
    assert config.public_url == "https://forsikring.example:8443"  # from start_url
    assert config.aap_vedtak_path == "/arbeid/v1/aap/vedtak" and config.aap_meldekort_path == "/mk"
    assert config.verify == str(tmp_path / "ca.pem")  # relative to the profile
    assert config.timeout == 3.0 and config.state_file == str(tmp_path / "s.sqlite3")
    assert config.retry == RetryPolicy(first_delay=1.0, factor=2.0, max_delay=8.0, max_attempts=4)


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"maskinporten": {"client_id": ""}}, "[maskinporten] client_id is missing"),
        ({"altinn": None}, "[altinn] base_url is missing"),
        ({"reference_insurer": {"colour": "blue"}}, "unknown reference insurer setting(s): colour"),
        ({"reference_insurer": {"retry": {"max_attempts": 0}}}, "max_attempts >= 1"),
        ({"reference_insurer": {"retry": {"speed": 1}}}, "unknown setting(s) in [reference_insurer.retry]: speed"),
        ({"reference_insurer": {"timeout": "ten"}}, "timeout must be a positive number"),
        ({"reference_insurer": {"public_url": "localhost:7200"}}, "absolute http(s) URL"),
        ({"insurer": {"consent": "altinn4"}}, "[insurer] consent must be one of altinn3, altinn2, not 'altinn4'"),
        ({"insurer": {"consent": "altinn3"}, "altinn": {**ALTINN3_FACTS, "resource": ""}}, "resource is missing"),
        ({"insurer": {"consent": "altinn3"}, "altinn": {"consent_requests": None}}, "consent_requests is missing"),
        ({"insurer": {"consent": "altinn3"}, "altinn": {"consent_requests": "/x"}}, "absolute http(s) URL: '/x'"),
        ({"insurer": {"consent": "altinn2"}, "altinn": {"api_key": ""}}, "[altinn] api_key is missing"),
        ({"reference_insurer": {"altinn2_flow": "email"}}, "altinn2_flow must be 'rest' or 'link', not 'email'"),
        ({"reference_insurer": {"exchange": "later"}}, "exchange must be 'callback' or 'first_fetch', not 'later'"),
    ],
)
def test_config_problems_are_named(credentials, changes, fragment):
    with pytest.raises(ConfigError) as caught:
        own = changes.get("reference_insurer", {})
        InsurerConfig.from_mapping(
            profile(**changes), base_dir=credentials, **({} if "public_url" in own else {"public_url": "http://i.test"})
        )
    assert fragment in str(caught.value)


def test_the_consent_generation_and_its_altinn_3_facts(credentials):
    def config_with(**insurer):
        return InsurerConfig.from_mapping(
            profile(insurer=insurer, altinn=ALTINN3_FACTS), base_dir=credentials, public_url="http://i.test"
        )

    # no consent: a profile from before Altinn 3, read as the conformance suite reads it
    assert config_with().consent == "altinn2" and config_with().consent_requests_url is None
    assert config_with(consent="altinn2").consent == "altinn2"
    a3 = config_with(consent="altinn3")
    assert a3.consent == "altinn3" and a3.resource == "nav_samtykke_dsop_aap-ufore"
    assert a3.consent_requests_url == "http://altinn.test/accessmanagement/api/v1/enterprise/consentrequests"
    without_key = InsurerConfig.from_mapping(
        profile(insurer={"consent": "altinn3"}, altinn={**ALTINN3_FACTS, "api_key": None}),
        base_dir=credentials,
        public_url="http://i.test",
    )
    assert without_key.api_key == ""  # Altinn 3 has no API key


def test_without_a_public_url_the_config_says_so(credentials):
    with pytest.raises(ConfigError, match="public base URL"):
        InsurerConfig.from_mapping(profile(), base_dir=credentials)
    with pytest.raises(ConfigError, match="no insurer profile"):
        InsurerConfig.load(credentials / "missing.toml")


def test_retry_policy_backs_off_exponentially_and_is_capped():
    assert [RetryPolicy().delay(n) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert RetryPolicy(max_delay=2.0).delay(5) == 2.0


# -- Maskinporten -----------------------------------------------------------------------------------------------
class FakeAnswer:
    def __init__(self, status: int, body):
        self.status_code, self._body, self.text = status, body, str(body)

    def json(self):
        return self._body


class FakeTransport:
    def __init__(self, expires_in: int = 120, status: int = 200):
        self.expires_in, self.status = expires_in, status
        self.grants: list[str] = []
        self.lock = threading.Lock()

    def request(self, method, url, **kw):
        with self.lock:
            self.grants.append(kw["data"]["assertion"])
            number = len(self.grants)
        time.sleep(0.01)
        if self.status != 200:
            return FakeAnswer(self.status, {"error": "invalid_grant", "error_description": "nei"})
        return FakeAnswer(
            200, {"access_token": f"token-{number}", "expires_in": self.expires_in, "token_type": "Bearer"}
        )


def client(credentials, transport) -> MaskinportenClient:
    certificate = EnterpriseCertificate(credentials / "enterprise.key.pem", credentials / "enterprise.cert.pem")
    return MaskinportenClient(
        issuer="http://mp.test/",
        token_endpoint="http://mp.test/token",
        client_id="c-1",
        certificate=certificate,
        transport=transport,
    )


def test_the_grant_is_what_maskinporten_documents(credentials):
    transport = FakeTransport()
    mp = client(credentials, transport)
    before = int(time.time())
    mp.token("nav:arbeid/v1/aap")
    mp.token("nav:helse/v1/uforeopplysninger")
    first, second = (jwt.decode(g, options={"verify_signature": False}) for g in transport.grants)
    header = jwt.get_unverified_header(transport.grants[0])
    assert header["alg"] == "RS256" and len(header["x5c"]) == 2 and "kid" not in header
    leaf = x509.load_der_x509_certificate(__import__("base64").b64decode(header["x5c"][0]))
    assert leaf.subject.rfc4514_string() == "CN=Eksempel Forsikring AS"
    assert set(first) == {"aud", "iss", "scope", "iat", "exp", "jti"}
    assert first["aud"] == "http://mp.test/" and first["iss"] == "c-1" and first["scope"] == "nav:arbeid/v1/aap"
    assert first["exp"] - first["iat"] == 120 and abs(first["iat"] - before) <= 2
    assert first["jti"] != second["jti"]


def test_tokens_are_cached_per_scope_and_fetched_once_under_concurrency(credentials):
    transport = FakeTransport(expires_in=120)
    mp = client(credentials, transport)
    tokens = []
    threads = [threading.Thread(target=lambda: tokens.append(mp.token("nav:arbeid/v1/aap"))) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(tokens) == {"token-1"} and len(transport.grants) == 1
    assert mp.token("nav:helse/v1/uforeopplysninger") == "token-2"
    mp.forget("nav:arbeid/v1/aap")
    assert mp.token("nav:arbeid/v1/aap") == "token-3"


def test_a_refused_grant_is_an_error_that_is_not_retried(credentials):
    from dsop_sandbox.examples.reference_insurer.maskinporten import MaskinportenError

    with pytest.raises(MaskinportenError) as caught:
        client(credentials, FakeTransport(status=400)).token("nav:arbeid/v1/aap")
    assert not caught.value.retriable and "400" in str(caught.value)
    with pytest.raises(MaskinportenError) as caught:
        client(credentials, FakeTransport(status=503)).token("nav:arbeid/v1/aap")
    assert caught.value.retriable


@pytest.mark.parametrize(
    "lifetime, age, fresh",
    [
        (120, 0, True),
        (120, 109, True),
        (120, 111, False),  # 10 s before the end of two minutes
        (30, 23.9, True),
        (30, 24.1, False),  # 20 % of a 30-second token
        (2, 0, True),
        (2, 0.9, True),
        (2, 1.1, False),  # a whole second, not 20 % (0.4 s): exp is whole seconds and checked without leeway
        (4, 2.9, True),
        (4, 3.1, False),  # a whole second, not 0.8 s
        (0, 0, False),  # no expires_in: never reused
    ],
)
def test_when_a_cached_token_is_renewed(lifetime, age, fresh):
    assert CachedToken("t", 1000.0 + lifetime, lifetime).fresh(1000.0 + age) is fresh


def test_consent_bearing_tokens_are_cached_per_scope_and_consent(credentials):
    transport = FakeTransport(expires_in=120)
    mp = client(credentials, transport)
    kari = [{"type": "urn:altinn:consent", "id": "c-1", "from": "urn:altinn:person:identifier-no:15838512329"}]
    other = [{**kari[0], "id": "c-2"}]
    assert mp.token("nav:arbeid/v1/aap", kari) == mp.token("nav:arbeid/v1/aap", kari) == "token-1"
    assert mp.token("nav:arbeid/v1/aap", other) == "token-2"  # another consent: a token of its own
    assert mp.token("nav:arbeid/v1/aap") == "token-3"  # no consent: apart from both
    assert mp.token("nav:helse/v1/uforeopplysninger", kari) == "token-4"
    grants = [jwt.decode(g, options={"verify_signature": False}) for g in transport.grants]
    assert [g.get("authorization_details") for g in grants] == [kari, other, None, kari]
    mp.forget("nav:arbeid/v1/aap", kari)
    assert mp.token("nav:arbeid/v1/aap", kari) == "token-5"


def test_maskinporten_refusing_the_consent_is_recognised():
    refusal = {
        "error": "invalid_altinn_customer_configuration",
        "error_description": "Altinn refused consent c-1: AM-00011 Consent is revoked (trace_id: t)",
    }
    refused = MaskinportenError("x", retriable=False, status=400, body=refusal)
    assert refused.consent_refused and "AM-00011" in refused.description
    assert not MaskinportenError("x", retriable=False, status=400, body={"error": "invalid_request"}).consent_refused
    unavailable = MaskinportenError("x", retriable=True, status=503, body={"error": "temporarily_unavailable"})
    assert not unavailable.consent_refused and unavailable.retriable


# -- the consent request and the callback -------------------------------------------------------------------------
def test_the_altinn3_consent_request(credentials):
    config = InsurerConfig.from_mapping(
        profile(insurer={"consent": "altinn3"}, altinn=ALTINN3_FACTS),
        base_dir=credentials,
        public_url="http://insurer.test:7200",
    )
    insurer = ReferenceInsurer(config)
    try:
        claim = {"id": "abc", "pid": "15838512329", "last_name": "Nordmann", "consent_id": insurer.new_consent_id()}
        body = insurer.consent_request_body_altinn3(claim)
        assert set(body) == {"id", "from", "to", "validTo", "consentRights", "redirectUrl"}
        assert body["id"] == claim["consent_id"] and str(uuid.UUID(body["id"])) == body["id"]
        assert body["from"] == "urn:altinn:person:identifier-no:15838512329"
        assert body["to"] == "urn:altinn:organization:identifier-no:310000019"
        assert body["redirectUrl"] == "http://insurer.test:7200/claims/callback?claim=abc"
        valid_to = datetime.fromisoformat(body["validTo"])
        now = datetime.now().astimezone()
        assert valid_to.tzinfo is not None and valid_to < now.replace(year=now.year + 3)
        assert valid_to > now.replace(year=now.year + 3) - timedelta(days=2)
        (right,) = body["consentRights"]
        assert right["action"] == ["consent"]
        assert right["resource"] == [{"type": "urn:altinn:resource", "value": "nav_samtykke_dsop_aap-ufore"}]
        fra = datetime.strptime(right["metadata"]["fraogmed"], "%d.%m.%Y").date()
        til = datetime.strptime(right["metadata"]["tilogmed"], "%d.%m.%Y").date()
        assert fra < now.date() < til == valid_to.date()
        assert insurer.authorization_details(claim) == [
            {"type": "urn:altinn:consent", "id": claim["consent_id"], "from": body["from"]}
        ]
    finally:
        insurer.close()


def test_the_consent_request(config):
    insurer = ReferenceInsurer(config)
    try:
        body = insurer.consent_request_body({"id": "abc", "pid": "15838512329", "last_name": "Nordmann"})
        assert body["CoveredBy"] == "310000019" and body["OfferedBy"] == "15838512329"
        assert body["OfferedByName"] == "Nordmann"
        assert body["RedirectUrl"] == "http://insurer.test:7200/claims/callback?claim=abc"
        valid_to = datetime.strptime(body["ValidTo"], "%Y-%m-%dT%H:%M:%S")
        today = insurer.local_now().date()
        assert (
            today.replace(year=today.year + 3) - timedelta(days=2)
            <= valid_to.date()
            < today.replace(year=today.year + 3)
        )
        (resource,) = body["RequestResources"]
        assert resource["ServiceCode"] == "5252" and resource["ServiceEditionCode"] == 2
        fra = datetime.strptime(resource["Metadata"]["fraOgMed"], "%d.%m.%Y").date()
        til = datetime.strptime(resource["Metadata"]["tilOgMed"], "%d.%m.%Y").date()
        assert abs((fra - today.replace(year=today.year - 3)).days) <= 1 and til == valid_to.date()
    finally:
        insurer.close()


def test_the_consent_link(credentials):
    """``altinn2_flow = "link"``: the parameterised link as Altinn's «Be om samtykke» describes it, and no
    REST request (the code comes with the callback)."""
    config = InsurerConfig.from_mapping(
        profile(reference_insurer={"altinn2_flow": "link"}), base_dir=credentials, public_url="http://insurer.test"
    )
    insurer = ReferenceInsurer(config)
    try:
        claim = insurer.start_claim_altinn2({"id": "abc", "pid": "15838512329", "last_name": "Nordmann"})
        url = urlsplit(claim["gui_url"])
        assert claim.get("code") is None and f"{url.scheme}://{url.netloc}{url.path}" == (
            "http://altinn.test/ui/AccessConsent/"
        )
        query = dict(parse_qsl(url.query))
        assert query["Resources"] == "5252_2" and query["CoveredBy"] == "310000019"
        assert query["OfferedBy"] == "15838512329" and query["ResponseType"] == "code"
        assert query["RedirectUrl"] == "http://insurer.test/claims/callback?claim=abc"
        valid_to = datetime.strptime(query["ValidToDate"], "%Y-%m-%d %H:%M:%S")
        assert datetime.strptime(query["5252_2_tilOgMed"], "%d.%m.%Y").date() == valid_to.date()
        assert query["DelegationContext"] and query["5252_2_fraOgMed"]
    finally:
        insurer.close()


def test_the_callback_check(config):
    insurer = ReferenceInsurer(config)
    try:
        claim = insurer.store.add(
            {"id": "c1", "pid": "15838512329", "code": "code-1", "state": PENDING, "created": time.time()}
        )
        check = insurer.validate_callback
        assert check(None, {"Status": "OK", "AuthorizationCode": "code-1"})
        assert check(claim, {"Status": "OK", "AuthorizationCode": "code-2"})
        assert check(claim, {"Status": "OK"})
        assert check(claim, {"Status": "Failed", "FailedAuthorizationCode": "code-2"})
        assert check(claim, {"AuthorizationCode": "code-1"})
        assert check(claim, {"Status": "OK", "AuthorizationCode": "code-1"}) is None
        assert check(claim, {"Status": "Failed", "FailedAuthorizationCode": "code-1"}) is None
        assert check({**claim, "state": CONSENTED}, {"Status": "OK", "AuthorizationCode": "code-1"})
    finally:
        insurer.close()


def test_state_can_live_in_a_file(credentials, tmp_path):
    state = tmp_path / "claims.sqlite3"
    config = InsurerConfig.from_mapping(
        profile(), base_dir=credentials, public_url="http://i.test", state_file=str(state)
    )
    first = ReferenceInsurer(config)
    first.store.add({"id": "c1", "pid": "15838512329", "code": "x", "state": PENDING, "created": time.time()})
    first.close()
    second = ReferenceInsurer(config)
    try:
        assert second.store.get("c1")["pid"] == "15838512329"
    finally:
        second.close()


def test_create_app_takes_a_dict_and_overrides(credentials):
    app = create_app(profile(), base_dir=credentials, public_url="http://i.test")
    with app.test_client() as browser:
        assert browser.get("/health").json["org"] == "310000019"
        assert browser.get("/").status_code == 200
    app.extensions["reference_insurer"].close()
    with pytest.raises(ConfigError):
        create_app(profile(), base_dir=credentials)  # no public URL


def test_the_reset_route_forgets_every_claim_only_for_the_key_it_was_started_with(credentials):
    """The sandbox's "reset for the next group": pending claims go too; without the key (or without one
    configured) nothing is forgotten."""
    app = create_app(profile(), base_dir=credentials, public_url="http://i.test", reset_key="k" * 43)
    insurer = app.extensions["reference_insurer"]
    for claim_id, state in (("c1", PENDING), ("c2", CONSENTED)):
        insurer.store.add({"id": claim_id, "pid": "15838512329", "state": state, "created": time.time()})
    insurer.maskinporten._cache[("nav:arbeid/v1/aap", None)] = object()
    with app.test_client() as sandbox:
        assert sandbox.post("/conformance/reset").status_code == 403
        wrong = sandbox.post("/conformance/reset", headers={RESET_KEY_HEADER: "k" * 42})
        assert wrong.status_code == 403 and wrong.json["status"] == "error"
        assert sandbox.get("/conformance/reset").status_code == 405
        assert len(insurer.store.all()) == 2
        answer = sandbox.post("/conformance/reset", headers={RESET_KEY_HEADER: "k" * 43})
        assert answer.status_code == 200 and answer.json == {"status": "ok", "claims_forgotten": 2}
    assert insurer.store.all() == [] and insurer.maskinporten._cache == {}
    insurer.close()
    without = create_app(profile(), base_dir=credentials, public_url="http://i.test")
    with without.test_client() as sandbox:
        assert sandbox.post("/conformance/reset", headers={RESET_KEY_HEADER: ""}).status_code == 404
    without.extensions["reference_insurer"].close()


@pytest.mark.parametrize(
    "pid, ok",
    [
        ("15838512329", True),
        ("02917945651", True),
        ("15838512320", False),
        ("1583851232", False),
        ("1583851232x", False),
    ],
)
def test_fodselsnummer_check(pid, ok):
    assert (fnr_problem(pid) is None) is ok


# -- the house rule ---------------------------------------------------------------------------------------------
ALLOWED = {"flask", "requests", "jwt", "cryptography"}


def test_the_reference_insurer_imports_nothing_from_the_sandbox():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        tree = ast.parse(module.read_text(), str(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED or top in sys.stdlib_module_names, f"{module.name} imports {name}"


def test_today_is_not_a_leap_day_problem():
    from dsop_sandbox.examples.reference_insurer.insurer import _add_years

    assert _add_years(date(2028, 2, 29), 3) == date(2031, 2, 28)
    assert _add_years(date(2028, 2, 29), -3) == date(2025, 2, 28)
