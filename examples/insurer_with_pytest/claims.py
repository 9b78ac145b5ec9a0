"""The example integration: a citizen starts a claim, gives consent in Altinn 3, and the insurer
fetches the citizen's NAV data (uføretrygd, AAP vedtak and meldekort) with that consent.

Altinn, «Consent for data consumers» (https://docs.altinn.studio/en/authorization/guides/system-vendor/consent/):
the insurer asks Altinn for a consent request with a Maskinporten token (scope
``altinn:consentrequests.write``), sends the citizen to the request's ``viewUri``, and Altinn sends
the citizen back to ``redirectUrl`` with ``Status=OK`` or ``Status=Failed``. The insurer then asks
Maskinporten for a token per NAV scope carrying the consent in ``authorization_details`` and calls
NAV with that token alone. It reuses a token while it is valid, and a consent Altinn no longer
holds (revoked, expired) is final.

The HTTP clients are the reference insurer's (``dsop_sandbox.examples.reference_insurer``): copy
them, or use your own. Everything it needs comes from the insurer.toml that registration writes.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from flask import Flask, abort, jsonify, redirect, request

from dsop_sandbox.examples.reference_insurer.altinn3 import Altinn3Client, Altinn3Error
from dsop_sandbox.examples.reference_insurer.config import DEFAULT_NAV_PATHS
from dsop_sandbox.examples.reference_insurer.maskinporten import (
    EnterpriseCertificate,
    MaskinportenClient,
    MaskinportenError,
)
from dsop_sandbox.examples.reference_insurer.nav import NavClient, NavUnavailable, operations
from dsop_sandbox.examples.reference_insurer.transport import Transport

CONSENT_SCOPE = "altinn:consentrequests.write"
#: What a fetch ends in.
OK, NAV_DOWN, CONSENT_GONE, NO_CONSENT = "ok", "nav_down", "consent_gone", "no_consent"


@dataclass
class Claim:
    id: str
    pid: str
    consent_id: str
    period: tuple[date, date]  # the consent's fra og med, til og med: the data asked for
    state: str = "pending"  # pending -> accepted | declined; accepted -> gone once Altinn refuses it
    data: dict = field(default_factory=dict)


class Claims:
    """The integration, configured from insurer.toml (``register-insurer``'s, or the fixture's)."""

    def __init__(self, profile_path: str | Path, *, verify: bool | str = True):
        profile = tomllib.loads(Path(profile_path).read_text(encoding="utf-8"))
        self.org = profile["insurer"]["org"]
        self.callback_url = profile["idporten"]["redirect_uris"][0]
        self.resource = profile["altinn"]["resource"]
        transport = Transport(verify=verify)
        mp = profile["maskinporten"]
        self.maskinporten = MaskinportenClient(
            issuer=mp["issuer"],
            token_endpoint=mp["token_endpoint"],
            client_id=mp["client_id"],
            certificate=EnterpriseCertificate(
                Path(profile["certificate"]["key"]), Path(profile["certificate"]["chain"])
            ),
            transport=transport,
        )
        self.altinn = Altinn3Client(consent_requests_url=profile["altinn"]["consent_requests"], transport=transport)
        self.nav = NavClient(base_url=profile["nav"]["base_url"], transport=transport)
        self.operations = operations(**DEFAULT_NAV_PATHS)
        self.claims: dict[str, Claim] = {}

    # -- consent -------------------------------------------------------------------------------------------
    def start(self, pid: str) -> tuple[Claim, str]:
        """A new claim and its consent request at Altinn; where to send the citizen (``viewUri``)."""
        now = datetime.now(UTC)
        valid_to = now + timedelta(days=365)  # NAV's resource allows up to three years
        period = ((now - timedelta(days=3 * 365)).date(), valid_to.date())
        claim = Claim(id=uuid.uuid4().hex, pid=pid, consent_id=str(uuid.uuid4()), period=period)
        body = {
            "id": claim.consent_id,
            "from": f"urn:altinn:person:identifier-no:{pid}",
            "to": f"urn:altinn:organization:identifier-no:{self.org}",
            "validTo": valid_to.isoformat(),
            "consentRights": [
                {
                    "action": ["consent"],
                    "resource": [{"type": "urn:altinn:resource", "value": self.resource}],
                    "metadata": {
                        "fraogmed": period[0].strftime("%d.%m.%Y"),
                        "tilogmed": period[1].strftime("%d.%m.%Y"),
                    },
                }
            ],
            "redirectUrl": f"{self.callback_url}?claim={claim.id}",
        }
        answer = self.altinn.create_consent_request(body, self.maskinporten.token(CONSENT_SCOPE))
        self.claims[claim.id] = claim
        return claim, answer["viewUri"]

    def callback(self, claim_id: str, status: str | None) -> Claim:
        """Altinn sent the citizen back: accepted only if Altinn itself says so (never the URL alone)."""
        claim = self.claims.get(claim_id)
        if claim is None or claim.state != "pending":
            raise LookupError("no pending claim")
        if (
            status == "OK"
            and self.altinn.consent_request(claim.consent_id, self.maskinporten.token(CONSENT_SCOPE)).get("status")
            == "Accepted"
        ):
            claim.state = "accepted"
        else:
            claim.state = "declined"
        return claim

    # -- retrieval -----------------------------------------------------------------------------------------
    def fetch(self, claim_id: str) -> str:
        """NAV's three answers for the claim's person into ``claim.data``; how it went (``ok``,
        ``nav_down``: try later, ``consent_gone``: Altinn no longer holds the consent, ``no_consent``)."""
        claim = self.claims[claim_id]
        if claim.state != "accepted":
            return NO_CONSENT
        details = [
            {
                "type": "urn:altinn:consent",
                "id": claim.consent_id,
                "from": f"urn:altinn:person:identifier-no:{claim.pid}",
            }
        ]
        data = {}
        for operation in self.operations:
            try:
                token = self.maskinporten.token(operation.scope, details)
            except MaskinportenError as exc:
                if exc.consent_refused:
                    claim.state = "gone"
                    return CONSENT_GONE
                return NAV_DOWN if exc.retriable else CONSENT_GONE
            headers = {"Authorization": f"Bearer {token}", "fnr": claim.pid, "Nav-Call-Id": str(uuid.uuid4())}
            try:
                answer = self.nav.call(operation, headers)
            except NavUnavailable:
                return NAV_DOWN
            if answer.down:
                return NAV_DOWN
            if not answer.ok:
                raise RuntimeError(answer.describe())
            data[operation.key] = answer.body
        claim.data = data
        return OK

    @property
    def tokens_fetched(self) -> int:
        return self.maskinporten.tokens_fetched


def create_app(profile_path: str | Path, *, verify: bool | str = True) -> Flask:
    """The integration's web face: ``/claims/start?pid=…`` and Altinn's callback (the redirect URI)."""
    claims = Claims(profile_path, verify=verify)
    app = Flask(__name__)
    app.extensions["claims"] = claims

    @app.get("/claims/start")
    def start():
        pid = request.args.get("pid", "")
        if not (pid.isdigit() and len(pid) == 11):
            abort(400)
        try:
            _, view_uri = claims.start(pid)
        except (Altinn3Error, MaskinportenError) as exc:  # Altinn or Maskinporten said no, or did not answer
            return jsonify({"error": "consent_request_failed", "detail": str(exc)}), 502
        return redirect(view_uri)

    @app.get("/claims/callback")
    def callback():
        try:
            claim = claims.callback(request.args.get("claim", ""), request.args.get("Status"))
        except LookupError:
            abort(400)
        return jsonify({"claim": claim.id, "state": claim.state})

    @app.post("/claims/<claim_id>/fetch")
    def fetch(claim_id: str):
        if claim_id not in claims.claims:
            abort(404)
        outcome = claims.fetch(claim_id)
        return jsonify({"outcome": outcome, "data": claims.claims[claim_id].data}), 200 if outcome == OK else 409

    return app
