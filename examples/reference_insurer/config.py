"""The reference insurer's configuration: the ``insurer.toml`` that ``register-insurer`` writes,
plus what only the insurer itself knows (its public base URL, where it keeps its state, retry
policy, a CA bundle for TLS).

Optional settings go in a ``[reference_insurer]`` table of the same file or as keyword overrides::

    [reference_insurer]
    public_url = "http://localhost:7200"     # default: scheme and host of [insurer] start_url
    state_file = "insurer-state.sqlite3"     # default: in memory
    ca_bundle = "ca.pem"                     # requests' verify=; default: the system's trust store
    timeout = 10.0                           # seconds per HTTP call
    [reference_insurer.retry]                # background retrieval after the consent
    first_delay = 0.5
    factor = 2.0
    max_delay = 8.0
    max_attempts = 8
    [reference_insurer.fetch_retry]          # the synchronous fetch hook
    max_attempts = 3
    deadline = 6.0
    altinn2_flow = "rest"                    # Altinn 2: "rest" (POST /api/consentRequests) or "link"
    exchange = "callback"                    # "callback": retrieve at once; "first_fetch": when first asked

``altinn2_flow = "link"`` asks for consent with Altinn 2's parameterised link
(``/ui/AccessConsent/?Resources=5252_2&CoveredBy=…``; Altinn, «Be om samtykke»,
https://altinn.github.io/docs/utviklingsguider/samtykke/datakonsument/be-om-samtykke/): Altinn makes the
request once the citizen has logged in, so the insurer learns the AuthorizationCode only from the callback,
and confirms it at Altinn (``GET /api/consentRequests/{code}``) before it takes it.
``exchange = "first_fetch"``: the consent step ends at the callback and the insurer exchanges the code
(Altinn 2) and fetches only when data is first asked for (processes 1 and 2 of the DSOP process are not
synchronous).

NAV's paths may be overridden in ``[nav]`` (``ufore_path``, ``aap_vedtak_path``,
``aap_meldekort_path``).

The consent generation is ``[insurer] consent``: ``"altinn3"`` (Altinn 3, what production runs;
``register-insurer`` writes it for new insurers) or ``"altinn2"``. A profile without it was written
before Altinn 3 existed and means Altinn 2, the rule the conformance suite judges by too. Altinn 3
needs ``[altinn] consent_requests`` (the enterprise consent request URL) and ``resource`` (NAV's
consent resource); Altinn 2 needs ``[altinn] base_url`` and ``api_key``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_NAV_PATHS = {
    "ufore_path": "/dsop-ufo/uforeopplysninger",
    "aap_vedtak_path": "/dsop-aap/v1/vedtak",
    "aap_meldekort_path": "/dsop-aap/v1/meldekort",
}


ALTINN3, ALTINN2 = "altinn3", "altinn2"
CONSENT_GENERATIONS = (ALTINN3, ALTINN2)
#: A profile without ``[insurer] consent`` predates Altinn 3 (the conformance suite reads it so too).
UNSTATED_CONSENT = ALTINN2
#: The header that carries ``reset_key`` to ``POST /conformance/reset``.
RESET_KEY_HEADER = "X-Reference-Insurer-Reset-Key"
#: How an Altinn 2 consent is asked for: a REST consent request, or the parameterised link.
REST, LINK = "rest", "link"
#: When the code is exchanged and data first fetched: at once after the callback, or at the first fetch.
AT_CALLBACK, AT_FIRST_FETCH = "callback", "first_fetch"


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what is missing or wrong."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: wait ``first_delay``, then ``factor`` times longer each time, at most
    ``max_delay``; at most ``max_attempts`` attempts; no new attempt once ``deadline`` seconds
    (from the first attempt) would be passed."""

    first_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 8.0
    max_attempts: int = 8
    deadline: float | None = None

    def delay(self, attempt: int) -> float:
        """The wait after attempt number ``attempt`` (1 = the first) failed."""
        return min(self.first_delay * self.factor ** (attempt - 1), self.max_delay)

    @classmethod
    def from_mapping(cls, data: dict, base: RetryPolicy, where: str) -> RetryPolicy:
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s) in {where}: {', '.join(sorted(unknown))}")
        policy = replace(base, **data)
        numbers = (policy.first_delay, policy.factor, policy.max_delay)
        if (
            any(isinstance(n, bool) or not isinstance(n, (int, float)) for n in numbers)
            or isinstance(policy.max_attempts, bool)
            or not isinstance(policy.max_attempts, int)
        ):
            raise ConfigError(f"{where}: first_delay, factor, max_delay are numbers; max_attempts a whole number")
        if (
            policy.first_delay < 0
            or policy.factor < 1
            or policy.max_delay < policy.first_delay
            or policy.max_attempts < 1
        ):
            raise ConfigError(
                f"{where}: need first_delay >= 0, factor >= 1, max_delay >= first_delay, max_attempts >= 1"
            )
        if policy.deadline is not None and (
            isinstance(policy.deadline, bool) or not isinstance(policy.deadline, (int, float)) or policy.deadline <= 0
        ):
            raise ConfigError(f"{where}: deadline is a positive number of seconds")
        return policy


#: After the citizen's consent: 0.5, 1, 2, 4, 8, 8, 8 s between eight attempts (about 30 s in all).
BACKGROUND_RETRY = RetryPolicy(first_delay=0.5, factor=2.0, max_delay=8.0, max_attempts=8)
#: The fetch hook answers within a few seconds: three attempts, 0.5 and 1 s apart, six seconds at most.
FETCH_RETRY = RetryPolicy(first_delay=0.5, factor=2.0, max_delay=2.0, max_attempts=3, deadline=6.0)


@dataclass(frozen=True)
class InsurerConfig:
    name: str
    org: str
    public_url: str
    key_path: Path
    chain_path: Path
    maskinporten_issuer: str
    token_endpoint: str
    client_id: str
    altinn_base_url: str
    api_key: str
    nav_base_url: str
    consent: str = UNSTATED_CONSENT  # altinn3 | altinn2
    consent_requests_url: str | None = None  # Altinn 3: POST here, GET here/{id}
    resource: str | None = None  # Altinn 3: NAV's consent resource
    service_code: str = "5252"
    service_edition: int = 2
    ufore_path: str = DEFAULT_NAV_PATHS["ufore_path"]
    aap_vedtak_path: str = DEFAULT_NAV_PATHS["aap_vedtak_path"]
    aap_meldekort_path: str = DEFAULT_NAV_PATHS["aap_meldekort_path"]
    ca_path: Path | None = None
    ca_bundle: str | None = None
    state_file: str | None = None
    timeout: float = 10.0
    trust_env: bool = False
    retry: RetryPolicy = BACKGROUND_RETRY
    fetch_retry: RetryPolicy = FETCH_RETRY
    altinn2_flow: str = REST
    exchange: str = AT_CALLBACK
    #: A secret that lets whoever started us beside a sandbox empty our claims (``POST /conformance/reset``
    #: with it in :data:`RESET_KEY_HEADER`); None (the default) leaves that route off.
    reset_key: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def verify(self) -> bool | str:
        """``requests``' ``verify=``: the configured CA bundle, else the system's trust store."""
        return self.ca_bundle or True

    @property
    def callback_url(self) -> str:
        return self.public_url + "/claims/callback"

    def claim_callback(self, claim_id: str) -> str:
        """Where Altinn sends the citizen back for one claim (both generations' ``RedirectUrl``)."""
        return f"{self.callback_url}?claim={claim_id}"

    # -- loading -------------------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: dict, *, base_dir: Path | None = None, **overrides) -> InsurerConfig:
        """From the tables of ``insurer.toml`` (as a dict), with keyword overrides for the optional
        settings (``public_url``, ``state_file``, ``ca_bundle``, ``timeout``, ``trust_env``,
        ``retry``, ``fetch_retry`` as RetryPolicy or dict, the three NAV paths)."""
        base_dir = Path(base_dir) if base_dir else Path(".")

        def table(name: str) -> dict:
            value = data.get(name, {})
            if not isinstance(value, dict):
                raise ConfigError(f"[{name}] must be a table")
            return value

        def required(table_name: str, key: str):
            value = table(table_name).get(key)
            if value is None or value == "":
                raise ConfigError(f"[{table_name}] {key} is missing (dsop-sandbox register-insurer writes it)")
            return value

        def path(value) -> Path:
            candidate = Path(value)
            return candidate if candidate.is_absolute() else base_dir / candidate

        own = dict(table("reference_insurer"))
        own.update({key: value for key, value in overrides.items() if value is not None})
        unknown = set(own) - {
            "public_url",
            "state_file",
            "ca_bundle",
            "timeout",
            "trust_env",
            "retry",
            "fetch_retry",
            "altinn2_flow",
            "exchange",
            "reset_key",
            *DEFAULT_NAV_PATHS,
        }
        if unknown:
            raise ConfigError(f"unknown reference insurer setting(s): {', '.join(sorted(unknown))}")
        public_url = own.get("public_url") or _origin(table("insurer").get("start_url"))
        if not public_url:
            raise ConfigError(
                "the insurer's public base URL is unknown: give public_url (--public-url) or [insurer] start_url"
            )
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"public_url must be an absolute http(s) URL, not {public_url!r}")
        nav_paths = {
            key: own.get(key) or table("nav").get(key) or default for key, default in DEFAULT_NAV_PATHS.items()
        }
        if not all(isinstance(p, str) and p.startswith("/") for p in nav_paths.values()):
            raise ConfigError("NAV paths must be absolute paths")
        retry = _policy(own.get("retry"), BACKGROUND_RETRY, "[reference_insurer.retry]")
        fetch_retry = _policy(own.get("fetch_retry"), FETCH_RETRY, "[reference_insurer.fetch_retry]")
        timeout = own.get("timeout", 10.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ConfigError("timeout must be a positive number of seconds")
        ca_bundle = own.get("ca_bundle")
        altinn2_flow, exchange = own.get("altinn2_flow", REST), own.get("exchange", AT_CALLBACK)
        if altinn2_flow not in (REST, LINK):
            raise ConfigError(f"altinn2_flow must be {REST!r} or {LINK!r}, not {altinn2_flow!r}")
        if exchange not in (AT_CALLBACK, AT_FIRST_FETCH):
            raise ConfigError(f"exchange must be {AT_CALLBACK!r} or {AT_FIRST_FETCH!r}, not {exchange!r}")
        certificate = table("certificate")
        consent = table("insurer").get("consent", UNSTATED_CONSENT)
        if consent not in CONSENT_GENERATIONS:
            raise ConfigError(f"[insurer] consent must be one of {', '.join(CONSENT_GENERATIONS)}, not {consent!r}")
        if consent == ALTINN3:
            consent_requests = str(required("altinn", "consent_requests"))
            where = urlsplit(consent_requests)
            if where.scheme not in ("http", "https") or not where.netloc:
                raise ConfigError(f"[altinn] consent_requests must be an absolute http(s) URL: {consent_requests!r}")
            resource = str(required("altinn", "resource"))
            api_key = str(table("altinn").get("api_key") or "")
            altinn_base = str(table("altinn").get("base_url") or consent_requests)
        else:
            consent_requests, resource = None, None
            altinn_base, api_key = str(required("altinn", "base_url")), str(required("altinn", "api_key"))
        edition = table("altinn").get("service_edition", 2)
        if isinstance(edition, bool) or not isinstance(edition, int):
            raise ConfigError("[altinn] service_edition must be a whole number")
        return cls(
            name=str(required("insurer", "name")),
            org=str(required("insurer", "org")),
            public_url=public_url.rstrip("/"),
            key_path=path(required("certificate", "key")),
            chain_path=path(required("certificate", "chain")),
            ca_path=path(certificate["ca"]) if certificate.get("ca") else None,
            maskinporten_issuer=str(required("maskinporten", "issuer")),
            token_endpoint=str(required("maskinporten", "token_endpoint")),
            client_id=str(required("maskinporten", "client_id")),
            altinn_base_url=altinn_base.rstrip("/"),
            api_key=api_key,
            consent=consent,
            consent_requests_url=consent_requests.rstrip("/") if consent_requests else None,
            resource=resource,
            service_code=str(table("altinn").get("service_code", "5252")),
            service_edition=edition,
            nav_base_url=str(required("nav", "base_url")).rstrip("/"),
            ca_bundle=str(path(ca_bundle)) if ca_bundle else None,
            state_file=str(own["state_file"]) if own.get("state_file") else None,
            timeout=float(timeout),
            trust_env=bool(own.get("trust_env", False)),
            retry=retry,
            fetch_retry=fetch_retry,
            altinn2_flow=altinn2_flow,
            exchange=exchange,
            reset_key=str(own["reset_key"]) if own.get("reset_key") else None,
            extra={
                name: value
                for name, value in data.items()
                if name
                not in ("insurer", "certificate", "maskinporten", "idporten", "altinn", "nav", "reference_insurer")
            },
            **nav_paths,
        )

    @classmethod
    def load(cls, path: str | Path, **overrides) -> InsurerConfig:
        """From an ``insurer.toml`` file; relative file names in it are relative to its folder."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(
                f"no insurer profile at {path} (dsop-sandbox register-insurer --out DIR writes one)"
            ) from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        return cls.from_mapping(data, base_dir=path.parent, **overrides)


def load_config(path: str | Path, **overrides) -> InsurerConfig:
    return InsurerConfig.load(path, **overrides)


def _origin(url) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _policy(value, base: RetryPolicy, where: str) -> RetryPolicy:
    if value is None:
        return base
    if isinstance(value, RetryPolicy):
        return value
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table")
    return RetryPolicy.from_mapping(value, base, where)
