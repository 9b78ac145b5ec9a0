"""Views answered beside Flask (mocks/common/direct.py): the same answer, error, hooks and event as
through Flask, for a service app made by create_service_app, and NAV's DSOP calls served that way."""

from __future__ import annotations

import logging

import pytest
from flask import Blueprint, Response, has_request_context
from werkzeug.exceptions import NotFound

from dsop_sandbox.mocks.common.direct import AFTER_EXTENSION, after_response, direct_get
from dsop_sandbox.mocks.common.errors import ErrorShape, json_response
from dsop_sandbox.mocks.common.events import annotate
from dsop_sandbox.mocks.common.payload import trace_id
from dsop_sandbox.mocks.common.service import create_service_app

from .conftest import events_of


def _error_body(status, code, message, trace):
    return {"status": status, "code": code, "message": message, "trace": trace}


ERRORS = ErrorShape(_error_body)


@pytest.fixture
def app(settings, clock):
    """A service app with one direct GET whose behaviour the query picks, and two response hooks."""
    app = create_service_app("probe", settings, errors=ERRORS, clock=clock)
    bp = Blueprint("probe_api", __name__)
    seen = app.extensions["seen"] = []

    def view(request) -> Response:
        seen.append(has_request_context())  # Flask's request context: only on Flask's path
        annotate(caller="insurer", asked=request.args.get("do"))
        what = request.args.get("do")
        if what == "refuse":
            raise ERRORS.error(403, "forbidden_thing", "not for you", trace_id(), {"WWW-Authenticate": "Bearer"})
        if what == "missing":
            raise NotFound("nothing here")
        if what == "break":
            raise RuntimeError("a bug")
        return json_response({"trace": trace_id(), "person": request.headers.get("fnr")})

    direct_get(bp, "/data", "data", view)
    app.register_blueprint(bp)
    after_response(app, lambda asked, response: _hook(response, "first", asked))
    after_response(app, lambda asked, response: _hook(response, "second", asked))
    yield app
    app.extensions["sandbox"].store.close()


def _hook(response, name, asked):
    response.headers["X-Hooks"] = ",".join(filter(None, [response.headers.get("X-Hooks"), name]))
    response.headers["X-Asked-Path"] = asked.path
    return response


def test_a_direct_get_is_answered_beside_flask_and_head_through_flask_by_the_same_view(app):
    client = app.test_client()
    got = client.get("/data", headers={"fnr": "15838512329", "Nav-Call-Id": "call-7"})
    head = client.head("/data", headers={"fnr": "15838512329", "Nav-Call-Id": "call-7"})
    assert app.extensions["seen"] == [False, True]
    assert got.status_code == head.status_code == 200
    assert got.get_json() == {"trace": "call-7", "person": "15838512329"}
    assert got.headers == head.headers  # content type, length, and what the hooks added
    assert got.headers["X-Hooks"] == "second,first"  # the last registered first, as Flask runs them
    assert got.headers["X-Asked-Path"] == "/data"


@pytest.mark.parametrize(
    ("do", "status", "code"),
    [("refuse", 403, "forbidden_thing"), ("missing", 404, "not_found"), ("break", 500, "server_error")],
)
def test_errors_beside_flask_are_flasks_errors(app, do, status, code, caplog):
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="dsop_sandbox"):
        got = client.get("/data", query_string={"do": do}, headers={"X-Request-Id": "r-1"})
    assert app.extensions["seen"] == [False]
    assert got.status_code == status
    assert got.mimetype == "application/json"
    assert got.get_json()["code"] == code and got.get_json()["trace"] == "r-1"
    assert got.headers["X-Hooks"] == "second,first"
    if do == "refuse":
        assert got.headers["WWW-Authenticate"] == "Bearer"
        assert got.get_json()["message"] == "not for you"
    assert ("a bug" in caplog.text) == (do == "break")  # a bug is logged loudly
    [event] = [e for e in events_of(client) if e["operation"] == "data"]
    assert (event["status"], event["error"], event["caller"]) == (status, code, "insurer")
    assert event["details"] == {"asked": do}


def test_a_hook_that_breaks_is_a_500_in_the_service_shape_on_both_paths(app, caplog):
    def breaking(asked, response):
        if asked.args.get("do") == "hook":
            raise RuntimeError("a hook's bug")
        return response

    after_response(app, breaking)
    client = app.test_client()
    with caplog.at_level(logging.ERROR, logger="dsop_sandbox"):
        got = client.get("/data", query_string={"do": "hook"})
        head = client.head("/data", query_string={"do": "hook"})
    assert app.extensions["seen"] == [False, True]
    assert got.status_code == head.status_code == 500
    assert got.get_json()["code"] == "server_error"
    assert "a hook's bug" in caplog.text


def test_the_event_of_a_direct_get_has_what_the_view_annotated(app):
    client = app.test_client()
    client.get("/data", query_string={"do": "nothing"}, headers={"Nav-Call-Id": "call-8"})
    [event] = [e for e in events_of(client) if e["operation"] == "data"]
    assert (event["status"], event["outcome"], event["trace_id"]) == (200, "ok", "call-8")
    assert (event["caller"], event["details"]) == ("insurer", {"asked": "nothing"})


def test_other_methods_on_a_direct_route_are_flasks(app):
    client = app.test_client()
    refused = client.post("/data")
    assert refused.status_code == 405
    assert set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert refused.get_json()["code"] == "method_not_allowed"
    assert client.get("/data/").status_code == 404  # no route: Flask's 404, not the view
    assert app.extensions["seen"] == []


def test_a_fault_armed_for_a_direct_operation_answers_before_the_view(app):
    client = app.test_client()
    armed = client.post("/_sandbox/faults", json={"operation": "data", "status": 503, "count": 1})
    assert armed.status_code == 201, armed.get_data(as_text=True)
    assert client.get("/data").status_code == 503
    assert client.get("/data").status_code == 200
    assert app.extensions["seen"] == [False]


@pytest.mark.parametrize("service", ["maskinporten", "idporten", "altinn", "nav"])
def test_every_response_hook_of_a_service_is_one_the_direct_path_runs_too(make_app, service):
    """A hook added with Flask's own ``after_request`` (or a ``before_request``) would make Flask's
    answers differ from those made beside it: every hook goes through after_response."""
    app = make_app(service)
    assert len(app.after_request_funcs.get(None, [])) == len(app.extensions[AFTER_EXTENSION])
    assert not any(app.after_request_funcs.get(name) for name in app.blueprints)
    assert not any(app.before_request_funcs.values())


def test_the_control_planes_response_hooks_too(control_app):
    assert len(control_app.after_request_funcs.get(None, [])) == len(control_app.extensions[AFTER_EXTENSION])
    assert not any(control_app.before_request_funcs.values())


def test_maskinporten_answers_post_token_beside_flask_with_flasks_body_limits(mp_app, settings):
    """The token endpoint is a direct POST: its request has Flask's body limit (413 in Maskinporten's
    shape, tests/maskinporten/test_grant_rules.py), and other methods stay Flask's."""
    method, _view = mp_app.extensions["direct_views"]["maskinporten.token"]
    assert method == "POST"
    client = mp_app.test_client()
    too_big = client.post("/token", data={"grant_type": "x", "assertion": "a" * (settings.max_body_bytes + 10)})
    assert too_big.status_code == 413 and too_big.get_json()["error"] == "invalid_request"
    refused = client.get("/token")
    assert refused.status_code == 405
    assert set(refused.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
