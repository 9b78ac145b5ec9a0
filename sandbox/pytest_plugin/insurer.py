"""The ``dsop_insurer`` fixture's object: an insurer registered through the control plane, as
``dsop-sandbox register-insurer`` registers one, with the files it hands out (key, certificate
chain, CA, insurer.toml), and the plain helpers that act as that insurer: a Maskinporten token, a
consent created directly through Altinn's admin fixture."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from dsop_sandbox.conformance.sandbox_api import SandboxApi, SandboxUnavailable
from dsop_sandbox.insurer_files import PROFILE_FILE, write_insurer_files
from dsop_sandbox.reference_insurer import profile_text

ALTINN3, ALTINN2 = "altinn3", "altinn2"


class RegistrationRefused(RuntimeError):
    """The control plane would not register the insurer (its answer is in the message)."""


def register(api: SandboxApi, verify: bool | str, folder: Path, **body) -> RegisteredInsurer:
    """``POST /_sandbox/insurers`` and the files of the answer in ``folder``."""
    try:
        answer = api.admin("POST", "/insurers", json=body, expect=(201,))
    except SandboxUnavailable as exc:
        raise RegistrationRefused(str(exc)) from exc
    return RegisteredInsurer(api, verify, write_insurer_files(answer, folder), folder)


@dataclass
class RegisteredInsurer:
    """A registered insurer: ``facts`` is the control plane's answer (each service's client, URLs,
    Altinn's API key) with the paths of the PEM files under ``certificate``."""

    api: SandboxApi  # the sandbox's admin API
    verify: bool | str  # requests' verify= for the sandbox
    facts: dict
    folder: Path

    @property
    def org(self) -> str:
        return self.facts["org"]

    @property
    def name(self) -> str:
        return self.facts["name"]

    @property
    def consent(self) -> str:
        """The consent generation it speaks: ``altinn3`` or ``altinn2``."""
        return self.facts.get("consent", ALTINN3)

    @property
    def redirect_uris(self) -> list[str]:
        return list(self.facts["idporten"]["redirect_uris"])

    @property
    def key_path(self) -> Path:
        return Path(self.facts["certificate"]["key"])

    @property
    def chain_path(self) -> Path:
        return Path(self.facts["certificate"]["chain"])

    @property
    def ca_path(self) -> Path:
        return Path(self.facts["certificate"]["ca"])

    @property
    def profile_path(self) -> Path:
        """The insurer.toml ``register-insurer`` writes (its ``start_url``/``fetch_url`` commented out)."""
        return self.folder / PROFILE_FILE

    def profile(self) -> dict:
        """insurer.toml, read."""
        return tomllib.loads(self.profile_path.read_text(encoding="utf-8"))

    def conformance_profile(self, start_url: str, fetch_url: str, path: str | Path | None = None) -> Path:
        """An insurer.toml with the integration's two URLs filled in (what the suite and
        ``--dsop-conform`` read); written beside the other files unless ``path`` says where."""
        target = Path(path) if path else self.folder / "conformance.toml"
        target.write_text(profile_text(self.facts, start_url, fetch_url), encoding="utf-8")
        return target

    # -- plain helpers -------------------------------------------------------------------------------
    def maskinporten_token(self, scope: str, authorization_details: list | None = None) -> str:
        """A new access token from Maskinporten for ``scope`` (Altinn 3: ``authorization_details``
        naming one consent), got with a JWT grant signed by the insurer's enterprise certificate.
        Raises the reference insurer's ``MaskinportenError`` (``status``, ``body``: Maskinporten's
        own error) when Maskinporten refuses."""
        return self._maskinporten.fetch(scope, authorization_details).token

    @cached_property
    def _maskinporten(self):
        from dsop_sandbox.examples.reference_insurer.maskinporten import EnterpriseCertificate, MaskinportenClient
        from dsop_sandbox.examples.reference_insurer.transport import Transport

        mp = self.facts["maskinporten"]
        return MaskinportenClient(
            issuer=mp["issuer"],
            token_endpoint=mp["token_endpoint"],
            client_id=mp["client_id"],
            certificate=EnterpriseCertificate(self.key_path, self.chain_path),
            transport=Transport(verify=self.verify),
        )

    def create_consent(self, pid: str, **fields) -> dict:
        """An accepted consent from ``pid`` to this insurer, made directly by Altinn's admin fixture
        (no browser): Altinn 3 answers the consent request (``id``), Altinn 2 the consent with its
        ``AuthorizationCode``. ``fields`` go to the fixture as they are (``valid_for="P1Y"`` …)."""
        if self.consent == ALTINN3:
            body, path = {"from": pid, "to": self.org, **fields}, "/altinn3/consents"
        else:
            body, path = {"covered_by": self.org, "offered_by": pid, **fields}, "/consents"
        return self.api.admin("POST", path, service="altinn", json=body)

    def revoke_consent(self, consent: str) -> dict:
        """The citizen takes the consent back (Altinn 3: revokes the request ``consent``; Altinn 2:
        withdraws the consent of authorization code ``consent``)."""
        if self.consent == ALTINN3:
            return self.api.revoke_consent3(consent)
        return self.api.withdraw_consent(consent)
