"""Altinn 2 consent, as the DSOP process description uses it: consent requests, consent tokens,
the use log. Authentication: the ``ApiKey`` header, and for consent requests a Maskinporten token."""

from __future__ import annotations

from .transport import Transport, Unreachable

HAL = "application/hal+json"
#: Altinn's answer to a consent token request for a consent that cannot be used (any reason).
CONSENT_REFUSED = "40300"


class AltinnError(Exception):
    """Altinn did not do what was asked. ``retriable``: unreachable or failing (5xx), not a refusal."""

    def __init__(self, message: str, *, retriable: bool = False, status: int | None = None, errors: list | None = None):
        super().__init__(message)
        self.retriable, self.status, self.errors = retriable, status, errors or []

    @property
    def codes(self) -> list[str]:
        return [str(e.get("ErrorCode")) for e in self.errors if isinstance(e, dict)]


class ConsentRefused(AltinnError):
    """403: the consent is unknown, unanswered, declined, withdrawn, used up or expired. Final."""


class AltinnClient:
    def __init__(self, *, base_url: str, api_key: str, transport: Transport):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.transport = transport

    def create_consent_request(self, body: dict, access_token: str) -> dict:
        """``POST /api/consentRequests``; the answer with ``AuthorizationCode`` and ``_links.gui``."""
        answer = self._call(
            "POST",
            "/api/consentRequests",
            json=body,
            headers={"Authorization": f"Bearer {access_token}", "Accept": HAL},
        )
        if answer.status_code != 201:
            raise self._error("the consent request", answer)
        data = _json(answer)
        if not isinstance(data, dict) or not data.get("AuthorizationCode"):
            raise AltinnError(
                "Altinn's answer to the consent request has no AuthorizationCode", status=answer.status_code
            )
        return data

    def consent_request(self, code: str, access_token: str) -> dict:
        """``GET /api/consentRequests/{code}``: the request as Altinn holds it (ours only)."""
        answer = self._call(
            "GET",
            f"/api/consentRequests/{code}",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if answer.status_code != 200:
            raise self._error("the consent request", answer)
        data = _json(answer)
        if not isinstance(data, dict):
            raise AltinnError("Altinn's consent request is not a JSON object", status=answer.status_code)
        return data

    def consent_token(self, code: str) -> str:
        """``GET /api/authorization/token/{code}``: the JWT, without the JSON string's quotes."""
        answer = self._call("GET", f"/api/authorization/token/{code}", headers={"Accept": "application/json"})
        if answer.status_code != 200:
            raise self._error("the consent token", answer)
        token = answer.text.strip()
        if len(token) >= 2 and token[0] == token[-1] == '"':
            token = token[1:-1]
        if token.count(".") != 2:
            raise AltinnError("Altinn's consent token is not a JWT", status=answer.status_code)
        return token

    def log_use(self, code: str, service_code: str, edition: int, usage_time: str) -> None:
        """``POST /api/authorization/token/{code}/loguse`` (204)."""
        answer = self._call(
            "POST",
            f"/api/authorization/token/{code}/loguse",
            json={"ServiceCode": service_code, "ServiceEditionCode": edition, "UsageDateTime": usage_time},
            headers={"Accept": "application/json"},
        )
        if answer.status_code not in (200, 204):
            raise self._error("the use log", answer)

    # -- plumbing ------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, headers: dict, **kwargs):
        try:
            return self.transport.request(
                method, self.base_url + path, headers={"ApiKey": self.api_key, **headers}, **kwargs
            )
        except Unreachable as exc:
            raise AltinnError(f"Altinn unreachable: {exc}", retriable=True) from exc

    @staticmethod
    def _error(what: str, answer) -> AltinnError:
        body = _json(answer)
        errors = body if isinstance(body, list) else ([body] if isinstance(body, dict) else [])
        messages = (
            "; ".join(
                f"{e.get('ErrorCode')}: {e.get('ErrorMessage')}"
                for e in errors
                if isinstance(e, dict) and "ErrorCode" in e
            )
            or answer.text[:300]
        )
        message = f"Altinn refused {what} ({answer.status_code}): {messages}"
        if answer.status_code == 403 and CONSENT_REFUSED in [
            str(e.get("ErrorCode")) for e in errors if isinstance(e, dict)
        ]:
            return ConsentRefused(message, status=403, errors=errors)
        retriable = answer.status_code >= 500 or answer.status_code == 429
        return AltinnError(message, retriable=retriable, status=answer.status_code, errors=errors)


def _json(answer):
    try:
        return answer.json()
    except ValueError:
        return None
