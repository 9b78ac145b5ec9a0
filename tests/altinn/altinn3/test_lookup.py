"""POST /accessmanagement/api/v1/maskinporten/consent/lookup in process: the answer Maskinporten
builds its token from, and every refusal with the real code and status."""

from __future__ import annotations

import uuid

import pytest

from dsop_sandbox.mocks.altinn.altinn3.urns import organization_urn, person_urn
from tests.altinn.altinn3.world import (
    DIGDIR_ORG,
    INSURER_ORG,
    KARI,
    LOOKUP,
    OLA,
    OTHER_ORG,
    SUPPLIER_ORG,
    multiple_codes,
    problem,
    validation_codes,
)

DAY = 86400


def consent(world, **body) -> dict:
    answer = world.client.post("/_sandbox/altinn3/consents", json={"from": KARI, "to": INSURER_ORG, **body})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return answer.get_json()


def asking(consent_id: str, pid: str = KARI, org: str = INSURER_ORG) -> dict:
    return {"id": consent_id, "from": person_urn(pid), "to": organization_urn(org)}


def test_an_accepted_consent_is_answered_in_maskinportens_shape(world):
    made = consent(world)
    answer = world.lookup(asking(made["id"]))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert list(body) == ["id", "from", "to", "handledBy", "consented", "validTo", "consentRights"]
    assert body["id"] == made["id"] and body["from"] == person_urn(KARI) and body["to"] == organization_urn(INSURER_ORG)
    assert body["handledBy"] is None
    assert body["consented"] == made["consented"] and body["consented"].endswith("+00:00")
    assert body["validTo"] == made["validTo"]
    assert body["consentRights"] == [
        {
            "action": ["consent"],
            "resource": [{"type": "urn:altinn:resource", "value": "nav_samtykke_dsop_aap-ufore"}],
            "metadata": made["consentRights"][0]["metadata"],
        }
    ]
    [event] = world.events("maskinporten_consent_lookup")
    assert event["caller"] == DIGDIR_ORG and event["subject"] == KARI
    assert event["details"]["consent_id"] == made["id"] and event["details"]["asking_org"] == INSURER_ORG


def test_maskinporten_may_call_with_a_trailing_slash(world):
    made = consent(world)
    assert (
        world.lookup(asking(made["id"]), path="/accessmanagement/api/v1/maskinporten/consent/lookup/").status_code
        == 200
    )


def test_the_supplier_that_handles_it_may_ask_too(world):
    world.register(SUPPLIER_ORG, "Leverandør AS", access=False)
    made = consent(world, handled_by=SUPPLIER_ORG)
    body = world.lookup(asking(made["id"], org=SUPPLIER_ORG)).get_json()
    assert body["handledBy"] == organization_urn(SUPPLIER_ORG) and body["to"] == organization_urn(INSURER_ORG)


def test_an_unknown_consent_is_404(world):
    body = problem(world.lookup(asking(str(uuid.uuid4()))), 404, "AM-00001")
    assert body["title"] == "Consent not found"
    [event] = world.events("maskinporten_consent_lookup")
    assert event["details"]["consent_problem"] == "AM-00001"


def test_a_consent_given_to_another_org_is_not_found(world):
    made = consent(world)
    problem(world.lookup(asking(made["id"], org=OTHER_ORG)), 404, "AM-00001")


def test_a_consent_of_another_person(world):
    made = consent(world)
    problem(world.lookup(asking(made["id"], pid=OLA)), 400, "AM-00012")


def test_a_revoked_consent(world):
    made = consent(world, status="Revoked")
    problem(world.lookup(asking(made["id"])), 400, "AM-00011")
    assert world.events("maskinporten_consent_lookup")[0]["details"]["consent_problem"] == "AM-00011"


@pytest.mark.parametrize("status", ["Created", "Rejected"])
def test_a_consent_not_accepted(world, status):
    made = consent(world, status=status)
    problem(world.lookup(asking(made["id"])), 400, "AM-00014")


def test_an_expired_consent_on_the_calendar(world):
    made = consent(world, valid_for="P10D")
    assert world.lookup(asking(made["id"])).status_code == 200
    world.rt.set_calendar_offset(11 * DAY)
    problem(world.lookup(asking(made["id"])), 400, "AM-00013")


def test_several_problems_are_std_00001_with_status_400(world):
    made = consent(world, status="Created", valid_for="P1D")
    world.rt.set_calendar_offset(2 * DAY)
    assert multiple_codes(world.lookup(asking(made["id"], pid=OLA))) == ["AM-00012", "AM-00013", "AM-00014"]
    [event] = world.events("maskinporten_consent_lookup")
    assert event["details"]["consent_problem"] == "STD-00001"
    assert event["details"]["consent_problems"] == ["AM-00012", "AM-00013", "AM-00014"]


def test_only_maskinportens_scope(world):
    made = consent(world)
    problem(
        world.lookup(asking(made["id"]), headers=world.auth(DIGDIR_ORG, "altinn:consentrequests.read")),
        403,
        "SBX-00002",
    )


def test_only_digdir_runs_maskinporten(world):
    made = consent(world)
    problem(world.lookup(asking(made["id"]), headers=world.auth(INSURER_ORG, LOOKUP)), 403, "SBX-00005")


def test_no_token(world):
    problem(world.lookup(asking(str(uuid.uuid4())), headers={}), 401, "SBX-00001")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"id": "x", "from": person_urn(KARI), "to": organization_urn(INSURER_ORG)}, [("STD.VLD-00017", ["/id"])]),
        ({"id": str(uuid.uuid4()), "to": organization_urn(INSURER_ORG)}, None),
        ({"id": str(uuid.uuid4()), "from": None, "to": organization_urn(INSURER_ORG)}, [("STD.VLD-00000", ["/from"])]),
        (
            {
                "id": str(uuid.uuid4()),
                "from": "urn:altinn:party:uuid:" + str(uuid.uuid4()),
                "to": organization_urn(INSURER_ORG),
            },
            [("SBX.VLD-00004", ["/from"])],
        ),
    ],
)
def test_bodies_altinn_cannot_bind(world, body, expected):
    codes = validation_codes(world.lookup(body))
    if expected is not None:
        assert codes == expected
    else:
        assert codes[0][0] == "STD.VLD-00017"
