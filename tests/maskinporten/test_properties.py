"""Properties of POST /token under arbitrary input: the answer is a 4xx with a JSON error body
(``error`` and ``error_description``), or a token when the grant is valid, and never a 5xx."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dsop_sandbox.mocks.maskinporten.registry import DSOP_SCOPES
from tests.budgets import examples

from .conftest import (
    CUSTOMER_ORG,
    JWT_BEARER,
    SYNTHETIC_PID,
    TRACE_ID,
    b64url,
    claims_of,
    sign_raw,
    token,
)

PROPERTY = hypothesis_settings(
    max_examples=examples(150),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
FORM = "application/x-www-form-urlencoded"
RSA_ALGS = ("RS256", "RS384", "RS512")


def assert_well_formed(answer, *, may_succeed: bool = False) -> dict:
    """4xx with Maskinporten's JSON error body, or (when allowed) 200 with a token."""
    assert answer.status_code < 500, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json", answer.get_data(as_text=True)
    body = answer.get_json()
    assert isinstance(body, dict)
    if answer.status_code == 200:
        assert may_succeed, body
        assert isinstance(body["access_token"], str) and body["token_type"] == "Bearer"
        return body
    assert 400 <= answer.status_code < 500
    assert isinstance(body["error"], str) and body["error"], body
    assert isinstance(body["error_description"], str) and TRACE_ID.search(body["error_description"]), body
    if "error_uri" in body:
        assert body["error_uri"].rsplit("/", 1)[-1].startswith("MP-")
    return body


# -- strategies ---------------------------------------------------------------------------------------------------
#: Strings as JSON can carry them, lone surrogate escapes ("\ud800") included.
json_strings = st.one_of(st.text(max_size=30), st.sampled_from(["\ud800", "a\udfffb", "", " ", "null"]))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=10**308, max_value=10**320),  # too large for a float
    st.floats(allow_nan=True, allow_infinity=True),
    json_strings,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(json_strings, children, max_size=4)),
    max_leaves=12,
)


# -- arbitrary requests -----------------------------------------------------------------------------------------------
@PROPERTY
@given(
    form=st.dictionaries(
        st.one_of(
            st.sampled_from(
                [
                    "grant_type",
                    "assertion",
                    "scope",
                    "client_id",
                    "client_assertion",
                    "client_assertion_type",
                    "resource",
                ]
            ),
            st.text(max_size=20),
        ),
        st.one_of(st.just(JWT_BEARER), st.text(max_size=200)),
        max_size=6,
    )
)
def test_arbitrary_form_fields(client, form):
    assert_well_formed(client.post("/token", data=form))


content_types = st.one_of(
    st.sampled_from(
        [
            FORM,
            f"{FORM}; charset=utf-8",
            f"{FORM}; charset=latin-1",
            "application/json",
            "text/plain",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/jwt",
            "application/octet-stream",
            "FORM",
            "",
        ]
    ),
    st.from_regex(r"[ -~]{0,60}", fullmatch=True),
)


@PROPERTY
@given(
    body=st.one_of(
        st.binary(max_size=3000),
        st.builds(lambda a: f"grant_type={JWT_BEARER}&assertion={a}".encode(), st.text(max_size=200)),
        st.binary(max_size=500).map(lambda b: b"grant_type=" + b + b"&assertion=" + b),
    ),
    content_type=content_types,
    method=st.sampled_from(["POST", "POST", "POST", "PUT", "PATCH", "DELETE"]),
)
def test_arbitrary_bodies_and_content_types(client, body, content_type, method):
    answer = client.open("/token", method=method, data=body, headers={"Content-Type": content_type})
    assert_well_formed(answer)
    if method != "POST":
        assert answer.status_code == 405


jwt_ish = st.one_of(
    st.text(alphabet=B64URL_ALPHABET + ".", max_size=400),
    st.lists(st.text(alphabet=B64URL_ALPHABET, max_size=120), min_size=1, max_size=5).map(".".join),
    st.builds(
        lambda header, claims, signature: f"{b64url(header)}.{b64url(claims)}.{signature}",
        st.binary(max_size=100),
        st.binary(max_size=200),
        st.text(alphabet=B64URL_ALPHABET, max_size=50),
    ),
    st.builds(
        lambda header, claims: f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}.",
        json_values,
        json_values,
    ),
    st.text(max_size=200),
)


@PROPERTY
@given(assertion=jwt_ish)
def test_jwt_ish_strings(client, assertion):
    answer = token(client, assertion)
    assert_well_formed(answer)


# -- signed grants with random content ---------------------------------------------------------------------------
def random_header(credentials):
    alg = st.one_of(st.sampled_from((*RSA_ALGS, "none", "HS256", "ES256", "rs256")), json_values)
    x5c = st.one_of(
        st.just(credentials.x5c()), st.just(credentials.x5c()[:1]), st.just(credentials.x5c()[0]), json_values
    )
    known = st.fixed_dictionaries(
        {},
        optional={
            "alg": alg,
            "x5c": x5c,
            "kid": st.one_of(json_strings, json_values),
            "typ": st.just("JWT") | json_values,
            "crit": json_values,
            "b64": st.booleans(),
            "jku": json_strings,
            "x5u": json_strings,
        },
    )
    extra = st.dictionaries(json_strings, json_values, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, extra)


def random_claims(valid: dict, consent: dict):
    """Each documented claim is kept valid, replaced by random JSON or left out; plus random extras.
    ``consent`` is a consent entry Altinn (the stub) accepts."""

    def choice(value):
        return st.one_of(st.just(value), json_values, st.just(None))

    optional_valid = {
        "resource": ["https://nav.example/api"],
        "pid": SYNTHETIC_PID,
        "consumer_org": CUSTOMER_ORG,
        "authorization_details": st.one_of(st.just([consent]), authorization_details(consent)),
        "nbf": valid["iat"],
        "sub": valid["iss"],
        "iss_onbehalfof": "sub",
    }
    known = st.fixed_dictionaries(
        {name: choice(value) for name, value in valid.items()},
        optional={
            name: value if isinstance(value, st.SearchStrategy) else choice(value)
            for name, value in optional_valid.items()
        },
    )
    extra = st.dictionaries(json_strings, json_values, max_size=3)

    def build(chosen, more):
        claims = {name: value for name, value in chosen.items() if value is not None}
        return {**more, **claims}

    return st.builds(build, known, extra)


MISSING = object()


def authorization_details(consent: dict):
    """authorization_details near a valid consent entry: each field kept (most often), changed,
    replaced by random JSON or left out, fields added, the entry repeated, or random JSON altogether."""

    def field(valid, *others):
        return st.one_of(
            st.just(valid), st.just(valid), st.just(valid), st.sampled_from([*others, MISSING]), json_values
        )

    entry = st.builds(
        lambda kind, consent_id, party, more: {
            **more,
            **{k: v for k, v in (("type", kind), ("id", consent_id), ("from", party)) if v is not MISSING},
        },
        field(consent["type"], "urn:altinn:systemuser", ""),
        field(consent["id"], consent["id"].upper(), str(uuid.uuid4()), consent["id"].replace("-", "")),
        field(
            consent["from"],
            "urn:altinn:person:identifier-no:47906701517",
            "urn:altinn:organization:identifier-no:310000027",
            consent["from"].removeprefix("urn:altinn:person:identifier-no:"),
        ),
        st.one_of(st.just({}), st.just({}), st.just({}), st.dictionaries(json_strings, json_values, max_size=2)),
    )
    return st.one_of(
        st.lists(entry, min_size=1, max_size=1),
        st.lists(entry, min_size=1, max_size=1),
        st.lists(entry, max_size=3),
        json_values,
    )


@pytest.fixture
def consent_entry(altinn) -> dict:
    """A consent the Altinn stub accepts, as the grant names it."""
    consent = altinn.add(SYNTHETIC_PID)
    return {"type": "urn:altinn:consent", "id": consent.id, "from": consent.from_urn}


@PROPERTY
@given(data=st.data())
def test_signed_grants_with_random_headers_and_claims(
    client, credentials, client_id, issuer, clock, consent_entry, data
):
    now = clock.epoch()
    valid = {
        "aud": issuer,
        "iss": client_id,
        "scope": "nav:arbeid/v1/aap",
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
    }
    header = data.draw(random_header(credentials), label="header")
    claims = data.draw(st.one_of(random_claims(valid, consent_entry), json_values), label="claims")
    alg = header.get("alg") if header.get("alg") in RSA_ALGS else "RS256"
    answer = token(client, sign_raw(header, claims, credentials.private_key, alg))
    assert_well_formed(answer, may_succeed=True)


@PROPERTY
@given(details=st.data())
def test_random_authorization_details(client, assertion, consent_entry, altinn, details):
    """Near a valid consent: a token carries exactly the consent Altinn confirmed, anything else is a
    4xx in Maskinporten's shape (MP-301/302/303, MP-011 for a string that is not Unicode), and Altinn
    is asked only for a well-formed entry."""
    value = details.draw(authorization_details(consent_entry), label="authorization_details")
    calls = len(altinn.calls)
    answer = token(client, assertion(authorization_details=value))
    body = assert_well_formed(answer, may_succeed=True)
    if answer.status_code == 200:
        (entry,) = claims_of(body["access_token"])["authorization_details"]
        assert (entry["type"], entry["id"], entry["from"]) == tuple(consent_entry.values())
        assert isinstance(value, list) and len(value) == 1 and set(value[0]) == {"type", "id", "from"}
    elif len(altinn.calls) == calls:  # refused before any lookup: the grant's entry (or a lone surrogate)
        assert body["error_uri"].rsplit("/", 1)[-1] in {"MP-011", "MP-301", "MP-302", "MP-303"}, body
        assert body["error"] == "invalid_request", body
    else:  # Altinn was asked about a well-formed entry and said no
        assert body["error"] == "invalid_altinn_customer_configuration", body


# -- mutations of a valid grant ----------------------------------------------------------------------------------------
mutation = st.one_of(
    st.tuples(st.just("replace"), st.integers(min_value=0), st.characters(codec="ascii")),
    st.tuples(st.just("delete"), st.integers(min_value=0), st.integers(min_value=1, max_value=40)),
    st.tuples(st.just("insert"), st.integers(min_value=0), st.text(max_size=10)),
    st.tuples(st.just("truncate"), st.integers(min_value=0), st.just(None)),
    st.tuples(st.just("swap_parts"), st.integers(min_value=0, max_value=2), st.integers(min_value=0, max_value=2)),
    st.tuples(st.just("drop_part"), st.integers(min_value=0, max_value=2), st.just(None)),
)


def mutate(value: str, operations) -> str:
    for operation, position, argument in operations:
        where = position % (len(value) + 1)
        if operation == "replace":
            value = value[:where] + argument + value[where + 1 :]
        elif operation == "delete":
            value = value[:where] + value[where + argument :]
        elif operation == "insert":
            value = value[:where] + argument + value[where:]
        elif operation == "truncate":
            value = value[:where]
        else:
            parts = value.split(".")
            first = position % len(parts)
            if operation == "swap_parts":
                second = argument % len(parts)
                parts[first], parts[second] = parts[second], parts[first]
            else:
                del parts[first]
            value = ".".join(parts)
    return value


@PROPERTY
@given(operations=st.lists(mutation, min_size=1, max_size=4))
def test_mutations_of_a_valid_grant(client, assertion, operations):
    grant = assertion()
    mutated = mutate(grant, operations)
    answer = token(client, mutated)
    assert_well_formed(answer, may_succeed=True)
    if answer.status_code == 200:  # only a change the signature does not cover: none, or the signature's padding
        assert mutated.rsplit(".", 1)[0] == grant.rsplit(".", 1)[0]


# -- and what must work ----------------------------------------------------------------------------------------------
@PROPERTY
@given(
    iat_offset=st.integers(min_value=-10, max_value=10),
    lifetime=st.integers(min_value=0, max_value=180),
    alg=st.sampled_from(RSA_ALGS),
    scopes=st.lists(st.sampled_from(DSOP_SCOPES), min_size=1, max_size=6),
    pid=st.sampled_from([None, "01818520030", "47906701517", "23886799519"]),
    with_consent=st.booleans(),
)
def test_valid_grants_within_the_rules_always_get_a_token(
    client, assertion, clock, consent_entry, iat_offset, lifetime, alg, scopes, pid, with_consent
):
    extra = {"pid": pid} if pid else {}
    if with_consent:
        extra["authorization_details"] = [consent_entry]
    grant = assertion(iat=clock.epoch() + iat_offset, lifetime=lifetime, alg=alg, scope=" ".join(scopes), **extra)
    body = assert_well_formed(token(client, grant), may_succeed=True)
    assert "access_token" in body, body
    claims = claims_of(body["access_token"])
    assert claims["scope"] == body["scope"] == " ".join(dict.fromkeys(scopes))
    assert claims["iat"] == clock.epoch() and body["expires_in"] == 120
    assert claims.get("pid") == pid
    if with_consent:
        assert claims["authorization_details"][0]["id"] == consent_entry["id"]
    else:
        assert "authorization_details" not in claims
