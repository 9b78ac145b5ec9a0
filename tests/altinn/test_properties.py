"""Properties of the consent API under arbitrary input: a 201 or a 4xx in Altinn's error list
shape, never a 5xx, and nothing stored unless the answer was 201."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dsop_sandbox.mocks.altinn import create_app
from dsop_sandbox.mocks.altinn.norwegian_time import OSLO
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from tests.altinn.conftest import KARI
from tests.budgets import examples
from tests.conftest import INSURER_ORG, REDIRECT_URI, free_port_settings

PROPERTY = hypothesis_settings(
    max_examples=examples(200),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = (
    "CoveredBy",
    "OfferedBy",
    "OfferedByName",
    "HandledBy",
    "RequiredDelegator",
    "RequiredDelegatorName",
    "ValidTo",
    "RedirectUrl",
    "RequestResources",
    "RequestMessage",
    "PortalViewMode",
)

json_strings = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "\ud800",
            "",
            " ",
            "null",
            "5252",
            "2",
            KARI["pid"],
            INSURER_ORG,
            REDIRECT_URI,
            "Nordmann",
            "Show",
            "2031-01-01T00:00:00",
            "01.01.2024",
        ]
    ),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    json_strings,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(json_strings, children, max_size=3)),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def altinn_client(tmp_path_factory):
    state = tmp_path_factory.mktemp("altinn-properties")
    settings = free_port_settings(state)
    clock = Clock()
    authority = KeyAuthority.open(settings.state_dir, clock.now())
    app = create_app(settings, authority=authority, clock=clock)
    client = app.test_client()
    consumer = client.post(
        "/_sandbox/consumers",
        json={"org": INSURER_ORG, "name": "Eksempel Forsikring AS", "redirect_urls": [REDIRECT_URI]},
    ).get_json()
    chain = authority.issue_enterprise_certificate(INSURER_ORG, "Eksempel Forsikring AS", clock.now()).chain_pem
    headers = {"ApiKey": consumer["api_key"], "X-Client-Cert": quote(chain.decode())}
    return app, client, headers


def valid_body(app) -> dict:
    now = app.extensions["sandbox"].clock.calendar()
    return {
        "CoveredBy": INSURER_ORG,
        "OfferedBy": KARI["pid"],
        "OfferedByName": KARI["last_name"],
        "ValidTo": (now + timedelta(days=30)).astimezone(OSLO).strftime("%Y-%m-%dT%H:%M:%S"),
        "RedirectUrl": REDIRECT_URI,
        "RequestResources": [
            {
                "ServiceCode": "5252",
                "ServiceEditionCode": 2,
                "Metadata": {"fraOgMed": "01.01.2024", "tilOgMed": "31.12.2026"},
            }
        ],
    }


def post_json(client, path, body, headers):
    """JSON as a client would send it (``\\ud800`` escapes included, which the test client's json= cannot)."""
    return client.post(path, data=json.dumps(body), headers={**headers, "Content-Type": "application/json"})


def stored(app) -> int:
    return len(app.extensions["altinn"].consents.all())


def check(answer, app, before: int) -> None:
    assert answer.status_code < 500, answer.get_data(as_text=True)
    body = answer.get_json()
    if answer.status_code == 201:
        assert body["RequestStatus"] == "Unopened"
        assert stored(app) == before + 1
        return
    assert 400 <= answer.status_code < 500
    assert isinstance(body, list) and body and all(set(e) == {"ErrorCode", "ErrorMessage"} for e in body), body
    assert stored(app) == before


@PROPERTY
@given(
    changes=st.dictionaries(
        st.sampled_from(FIELDS).flatmap(lambda f: st.sampled_from([f, f.lower(), f.upper()])), json_values, max_size=4
    ),
    removed=st.sets(st.sampled_from(FIELDS), max_size=3),
)
def test_a_mutated_valid_body_is_created_or_refused_cleanly(altinn_client, changes, removed):
    app, client, headers = altinn_client
    body = {k: v for k, v in valid_body(app).items() if k not in removed}
    body.update(changes)
    before = stored(app)
    check(post_json(client, "/api/consentRequests", body, headers), app, before)


@PROPERTY
@given(
    resources=st.lists(
        st.dictionaries(
            st.sampled_from(["ServiceCode", "ServiceEditionCode", "Metadata", "serviceCode", "metadata"]),
            json_values,
            max_size=3,
        ),
        max_size=3,
    )
)
def test_arbitrary_resources(altinn_client, resources):
    app, client, headers = altinn_client
    before = stored(app)
    check(
        post_json(client, "/api/consentRequests", {**valid_body(app), "RequestResources": resources}, headers),
        app,
        before,
    )


@PROPERTY
@given(raw=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_arbitrary_bytes(altinn_client, raw):
    app, client, headers = altinn_client
    before = stored(app)
    check(
        client.post("/api/consentRequests", data=raw, headers={**headers, "Content-Type": "application/json"}),
        app,
        before,
    )


@PROPERTY
@given(code=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60), body=json_values)
def test_token_and_loguse_with_arbitrary_codes_and_bodies(altinn_client, code, body):
    _app, client, headers = altinn_client
    path = quote(code, safe="") or "x"
    for answer in (
        client.get(f"/api/authorization/token/{path}", headers=headers),
        client.get("/api/authorization/token", query_string={"authcode": code}, headers=headers),
        post_json(client, f"/api/authorization/token/{path}/loguse", body, headers),
    ):
        assert answer.status_code < 500, answer.get_data(as_text=True)
        if answer.status_code >= 400:  # (a code with "/" in it can meet the router's slash-merging 308)
            assert isinstance(answer.get_json(), list)
