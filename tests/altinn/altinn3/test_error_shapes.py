"""Failures the framework answers (unknown routes, wrong methods, oversized bodies, armed faults)
are problem details under Altinn 3's paths and Altinn 2's error list under Altinn 2's."""

from __future__ import annotations

from tests.altinn.altinn3.world import CREATE_PATH


def plain(answer, status: int) -> dict:
    assert answer.status_code == status, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["status"] == status and body["title"] and body["traceId"].startswith("00-"), body
    assert body["type"].startswith("https://tools.ietf.org/html/rfc9110#section-"), body
    return body


def test_unknown_routes_and_methods_under_altinn3(world):
    plain(world.client.get("/accessmanagement/api/v1/enterprise/finnes-ikke"), 404)
    answer = world.client.delete(CREATE_PATH)
    plain(answer, 405)
    assert "POST" in answer.headers["Allow"]


def test_an_oversized_body_is_413_problem_details(world):
    plain(
        world.client.post(CREATE_PATH, data="x" * (65 * 1024), content_type="application/json", headers=world.auth()),
        413,
    )


def test_an_armed_fault_answers_in_each_generations_shape(world):
    for operation in ("enterprise_create_consent_request", "create_consent_request"):
        armed = world.client.post("/_sandbox/faults", json={"operation": operation, "status": 503, "count": 1})
        assert armed.status_code == 201, armed.get_data(as_text=True)
    plain(world.create(), 503)
    altinn2 = world.client.post("/api/consentRequests", json={})
    assert altinn2.status_code == 503
    assert altinn2.get_json() == [{"ErrorCode": "service_unavailable", "ErrorMessage": "injected by a sandbox fault"}]
