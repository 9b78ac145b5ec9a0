"""Altinn 3 consent requests, as Altinn's Access Management documents them for enterprises:
``POST …/enterprise/consentrequests`` (create; the body's ``id`` is ours) and
``GET …/enterprise/consentrequests/{id}`` (read, e.g. to confirm it was accepted), both with a
Maskinporten token of scope ``altinn:consentrequests.write``. Refusals are RFC 7807 problem details
(``type``, ``title``, ``status``, ``code``, ``validationErrors`` or ``problems``).
"""

from __future__ import annotations

from .transport import Transport, Unreachable

ACCEPTED = "Accepted"


class Altinn3Error(Exception):
    """Altinn 3 did not do what was asked. ``retriable``: unreachable or failing (5xx, 429), not a
    refusal; ``codes``: the problem codes (``AM-00005``, ``AM.VLD-00022`` …) Altinn named."""

    def __init__(self, message: str, *, retriable: bool = False, status: int | None = None, problem=None):
        super().__init__(message)
        self.retriable, self.status = retriable, status
        self.problem = problem if isinstance(problem, dict) else {}

    @property
    def codes(self) -> list[str]:
        found = [self.problem["code"]] if self.problem.get("code") else []
        for key in ("validationErrors", "problems"):
            found.extend(str(p["code"]) for p in self.problem.get(key) or () if isinstance(p, dict) and p.get("code"))
        return found


class Altinn3Client:
    def __init__(self, *, consent_requests_url: str, transport: Transport):
        self.url = consent_requests_url.rstrip("/")
        self.transport = transport

    def create_consent_request(self, body: dict, access_token: str) -> dict:
        """The created request (201; 200 for the same ``id`` again): ``id``, ``status``, ``viewUri`` …"""
        answer = self._call("POST", self.url, access_token, json=body)
        if answer.status_code not in (200, 201):
            raise _error("the consent request", answer)
        data = _json(answer)
        if not isinstance(data, dict) or not data.get("viewUri"):
            raise Altinn3Error("Altinn's answer to the consent request has no viewUri", status=answer.status_code)
        return data

    def consent_request(self, consent_id: str, access_token: str) -> dict:
        """The request as Altinn holds it now (``status``: Created, Accepted, Rejected, Revoked …)."""
        answer = self._call("GET", f"{self.url}/{consent_id}", access_token)
        data = _json(answer)
        if answer.status_code != 200 or not isinstance(data, dict):
            raise _error("reading the consent request", answer)
        return data

    def _call(self, method: str, url: str, access_token: str, **kwargs):
        try:
            return self.transport.request(
                method, url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}, **kwargs
            )
        except Unreachable as exc:
            raise Altinn3Error(f"Altinn unreachable: {exc}", retriable=True) from exc


def _error(what: str, answer) -> Altinn3Error:
    """An RFC 7807 problem (or whatever came) as one readable sentence with Altinn's codes."""
    problem = _json(answer)
    problem = problem if isinstance(problem, dict) else {}
    parts = [str(problem.get(key)) for key in ("code", "title", "detail") if problem.get(key)]
    for key in ("validationErrors", "problems"):
        parts.extend(
            f"{p.get('code')}: {p.get('title') or p.get('detail') or ''}".strip()
            + (f" ({', '.join(map(str, p['paths']))})" if p.get("paths") else "")
            for p in problem.get(key) or ()
            if isinstance(p, dict)
        )
    detail = "; ".join(parts) or answer.text[:300] or "no body"
    retriable = answer.status_code >= 500 or answer.status_code == 429
    return Altinn3Error(
        f"Altinn refused {what} ({answer.status_code}): {detail}",
        retriable=retriable,
        status=answer.status_code,
        problem=problem,
    )


def _json(answer):
    try:
        return answer.json()
    except ValueError:
        return None
