"""The one settings object: defaults, then a TOML file, then environment variables.

Every port, base URL, issuer string, lifetime and the state directory lives here. The TOML
file and the environment use the same keys::

    state_dir = ".sandbox"
    [services.maskinporten]
    port = 7102
    [lifetimes]
    "maskinporten.access_token" = 120

Environment variables are ``DSOP_SANDBOX__`` followed by the key path in upper case, joined
by ``__``: ``DSOP_SANDBOX__SERVICES__MASKINPORTEN__PORT=0``,
``DSOP_SANDBOX__STATE_DIR=/tmp/s``, ``DSOP_SANDBOX__LIFETIMES__ALTINN__CONSENT_TOKEN=2`` (a lifetime's
service and name are two path parts, since shells do not allow dots in variable names).
Values are read as the setting's type (a port as a number, ``tls`` as true/false, paths and URLs as
written).

A port of 0 asks the launcher for a free port; base URLs and issuers left empty are derived
from the port the service actually got (see :meth:`Settings.with_ports`).
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ENV_PREFIX = "DSOP_SANDBOX__"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system tells it)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


#: Services in start order. The control plane is not a fake but is served the same way.
SERVICE_NAMES = ("control", "idporten", "maskinporten", "altinn", "nav")
DEFAULT_PORTS = {"control": 7100, "idporten": 7101, "maskinporten": 7102, "altinn": 7103, "nav": 7104}

#: Lifetimes in seconds, by the service that owns them. Adjustable at runtime via /_sandbox/lifetimes.
DEFAULT_LIFETIMES = {
    "maskinporten.access_token": 120,
    "idporten.authorization_code": 60,
    "idporten.id_token": 120,
    "idporten.access_token": 120,
    "idporten.refresh_token": 600,
    "idporten.sso_session": 1800,
    "idporten.par_request": 120,
    "altinn.consent_token": 30,
    "altinn.citizen_session": 1800,
    "altinn.citizen_login": 600,
    # Altinn 3 lists a consent event in .../consentrequests/events only once it is this old
    # (the real service's ConsentEventsSafetyLag, 300 s).
    "altinn.consent_events_delay": 300,
    "nav.citizen_session": 1800,
    "nav.citizen_login": 600,
}
#: The durations above that are waits rather than lifetimes, and so may be 0 (tests list Altinn 3's
#: consent events at once with ``{"altinn.consent_events_delay": 0}``).
MAY_BE_ZERO = frozenset({"altinn.consent_events_delay"})

DEFAULTS: dict = {
    "state_dir": ".sandbox",
    # Empty: each service's state is an SQLite file in state_dir. "postgresql://user:password@host/db":
    # every service's state in that database, a schema per service (hosts on one database act as one sandbox).
    "store_url": "",
    "bind_host": "127.0.0.1",
    "public_host": "localhost",
    "tls": False,
    "max_body_bytes": 1024 * 1024,
    # Host names the admin API and the control plane answer besides localhost, 127.0.0.1, [::1], the
    # public host and the hosts of the base URLs (a DNS-rebinding page names its own host).
    "allowed_hosts": [],
    # The admin token (X-Sandbox-Admin-Token). Empty: made at start and kept in the state directory.
    "admin_token": "",
    # base_url: where clients (insurers, browsers, the suite) reach the service, and what it names itself
    # (issuers, redirects, endpoints); internal_url: where the other services reach it, when that
    # differs (docker compose: http://nav:7104 inside, the published http://localhost:7104 outside).
    "services": {
        name: {"port": port, "base_url": "", "internal_url": "", "issuer": ""} for name, port in DEFAULT_PORTS.items()
    },
    "lifetimes": dict(DEFAULT_LIFETIMES),
    "maskinporten": {
        # The real server (Altinn/altinn-studio#19603) allows exp - iat up to 180 s with 10 s skew;
        # the documentation says 120 s. strict_assertion_lifetime = true applies the documented rule.
        "max_assertion_lifetime": 180,
        "strict_assertion_lifetime": False,
        "clock_skew": 10,
        "delegation_source": "",
    },
    "altinn": {"consent_token_issuer": "altinn.no"},
    # NAV publishes the uføre path; the AAP path is not public (docs/nav.md, «Operations and paths»),
    # so it is a setting.
    "nav": {
        "ufore_path": "/dsop-ufo/uforeopplysninger",
        "aap_vedtak_path": "/dsop-aap/v1/vedtak",
        "aap_meldekort_path": "/dsop-aap/v1/meldekort",
    },
    # Each service's HTTP server: a request's headers and body must be in within request_deadline
    # seconds of its first byte; the worker pool grows from threads to max_threads when all are busy.
    "server": {"request_deadline": 10.0, "threads": 24, "max_threads": 512},
    # Each service's event log keeps its newest retention_count events, and (retention_days > 0)
    # none older; pruned as it grows. The disclosure log (the citizen's record) is kept whole.
    "events": {"retention_count": 50_000, "retention_days": 0},
    # `dsop-sandbox up --with-insurer` serves the reference insurer (examples/) on this port (0 = any free one).
    "reference_insurer": {"port": 7200},
    # `up` and `serve` run this many processes per service, all on the service's port (1: one process,
    # as the library's Sandbox always runs). Default: the cores this process may use.
    "workers": usable_cores(),
}
#: The most worker processes per service `workers` allows.
MAX_WORKERS = 64


class SettingsError(ValueError):
    """A setting that is unknown or has the wrong type."""


def redacted(url: str) -> str:
    """``url`` without its password (for messages, logs and the banner)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class ServiceSettings:
    name: str
    port: int
    base_url: str = ""
    issuer: str = ""
    internal_url: str = ""


@dataclass(frozen=True)
class NavPaths:
    ufore_path: str = "/dsop-ufo/uforeopplysninger"
    aap_vedtak_path: str = "/dsop-aap/v1/vedtak"
    aap_meldekort_path: str = "/dsop-aap/v1/meldekort"


@dataclass(frozen=True)
class Retention:
    """How much of the event log a service keeps: the newest ``count`` events, and (``days`` > 0)
    none older than ``days`` days of protocol time. The disclosure log is never pruned."""

    count: int = 50_000
    days: int = 0


@dataclass(frozen=True)
class ServerLimits:
    request_deadline: float = 10.0
    threads: int = 24
    max_threads: int = 512


@dataclass(frozen=True)
class MaskinportenRules:
    max_assertion_lifetime: int = 180
    strict_assertion_lifetime: bool = False
    clock_skew: int = 10
    delegation_source: str = ""

    @property
    def assertion_lifetime_limit(self) -> int:
        return 120 if self.strict_assertion_lifetime else self.max_assertion_lifetime


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    bind_host: str
    public_host: str
    tls: bool
    max_body_bytes: int
    services: dict[str, ServiceSettings]
    lifetimes: dict[str, int]
    maskinporten: MaskinportenRules
    consent_token_issuer: str = "altinn.no"
    nav: NavPaths = field(default_factory=NavPaths)
    reference_insurer_port: int = 7200
    allowed_hosts: tuple[str, ...] = ()
    admin_token: str = ""
    server: ServerLimits = field(default_factory=ServerLimits)
    events: Retention = field(default_factory=Retention)
    store_url: str = ""
    workers: int = 1
    sources: tuple[str, ...] = field(default=("defaults",), compare=False)

    # -- loading ---------------------------------------------------------------------------------
    @classmethod
    def load(
        cls, config_file: str | Path | None = None, environ: dict | None = None, overrides: dict | None = None
    ) -> Settings:
        data = copy.deepcopy(DEFAULTS)
        sources = ["defaults"]
        if config_file is not None:
            path = Path(config_file)
            try:
                with path.open("rb") as handle:
                    _merge(data, tomllib.load(handle), str(path))
            except FileNotFoundError as exc:
                raise SettingsError(f"config file not found: {path}") from exc
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
            sources.append(str(path))
        env = os.environ if environ is None else environ
        from_env = _from_environment(env)
        if from_env:
            _merge(data, from_env, "environment")
            sources.append("environment")
        if overrides:
            _merge(data, overrides, "overrides")
            sources.append("overrides")
        return cls._build(data, tuple(sources))

    @classmethod
    def _build(cls, data: dict, sources: tuple[str, ...]) -> Settings:
        services = {}
        for name in SERVICE_NAMES:
            raw = data["services"][name]
            port = _typed(raw, "port", int, f"services.{name}.")
            if not 0 <= port <= 65535:
                raise SettingsError(f"services.{name}.port must be 0-65535, not {port}")
            services[name] = ServiceSettings(
                name,
                port,
                _typed(raw, "base_url", str, f"services.{name}."),
                _typed(raw, "issuer", str, f"services.{name}."),
                _typed(raw, "internal_url", str, f"services.{name}."),
            )
        lifetimes = {}
        for key, value in data["lifetimes"].items():
            least = 0 if key in MAY_BE_ZERO else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise SettingsError(f"lifetimes.{key} must be a whole number of seconds from {least}, not {value!r}")
            lifetimes[key] = value
        mp = data["maskinporten"]
        rules = MaskinportenRules(
            max_assertion_lifetime=_typed(mp, "max_assertion_lifetime", int, "maskinporten."),
            strict_assertion_lifetime=_typed(mp, "strict_assertion_lifetime", bool, "maskinporten."),
            clock_skew=_typed(mp, "clock_skew", int, "maskinporten."),
            delegation_source=_typed(mp, "delegation_source", str, "maskinporten."),
        )
        nav = NavPaths(
            **{
                key: _typed(data["nav"], key, str, "nav.")
                for key in ("ufore_path", "aap_vedtak_path", "aap_meldekort_path")
            }
        )
        paths = [nav.ufore_path, nav.aap_vedtak_path, nav.aap_meldekort_path]
        if len(set(paths)) != 3 or not all(
            p.startswith("/") and len(p) > 1 and "<" not in p and not p.startswith("/_sandbox") for p in paths
        ):
            raise SettingsError("nav paths must be three different absolute paths outside /_sandbox")
        insurer_port = _typed(data["reference_insurer"], "port", int, "reference_insurer.")
        if not 0 <= insurer_port <= 65535:
            raise SettingsError(f"reference_insurer.port must be 0-65535, not {insurer_port}")
        allowed_hosts = data["allowed_hosts"]
        if isinstance(allowed_hosts, str):  # DSOP_SANDBOX__ALLOWED_HOSTS=a.example,b.example
            allowed_hosts = [host.strip() for host in allowed_hosts.split(",") if host.strip()]
        if not isinstance(allowed_hosts, list) or not all(isinstance(h, str) and h for h in allowed_hosts):
            raise SettingsError(f"allowed_hosts must be a list of host names, not {allowed_hosts!r}")
        raw_server = data["server"]
        deadline = raw_server.get("request_deadline")
        if isinstance(deadline, int) and not isinstance(deadline, bool):
            deadline = float(deadline)
        if not isinstance(deadline, float) or not 0 < deadline <= 3600:
            raise SettingsError(f"server.request_deadline must be seconds, more than 0, not {deadline!r}")
        server = ServerLimits(
            deadline, _typed(raw_server, "threads", int, "server."), _typed(raw_server, "max_threads", int, "server.")
        )
        if not 1 <= server.threads <= server.max_threads <= 10000:
            raise SettingsError("server.threads and server.max_threads: 1 <= threads <= max_threads <= 10000")
        events = Retention(
            _typed(data["events"], "retention_count", int, "events."),
            _typed(data["events"], "retention_days", int, "events."),
        )
        if events.count < 100 or events.days < 0:
            raise SettingsError("events.retention_count must be at least 100 and events.retention_days 0 or more")
        store_url = _typed(data, "store_url", str).strip()
        if store_url and not store_url.startswith(("postgresql://", "postgres://")):
            raise SettingsError("store_url must be empty (SQLite in state_dir) or a postgresql:// URL")
        workers = _typed(data, "workers", int)
        if not 1 <= workers <= MAX_WORKERS:
            raise SettingsError(f"workers must be 1-{MAX_WORKERS}, not {workers}")
        max_body = _typed(data, "max_body_bytes", int)
        if max_body < 1024:
            raise SettingsError("max_body_bytes must be at least 1024")
        return cls(
            state_dir=Path(_typed(data, "state_dir", str)),
            bind_host=_typed(data, "bind_host", str),
            public_host=_typed(data, "public_host", str),
            tls=_typed(data, "tls", bool),
            max_body_bytes=max_body,
            services=services,
            lifetimes=lifetimes,
            maskinporten=rules,
            consent_token_issuer=_typed(data["altinn"], "consent_token_issuer", str, "altinn."),
            nav=nav,
            reference_insurer_port=insurer_port,
            allowed_hosts=tuple(host.lower() for host in allowed_hosts),
            admin_token=_typed(data, "admin_token", str),
            server=server,
            events=events,
            store_url=store_url,
            workers=workers,
            sources=sources,
        )

    # -- derived values --------------------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def where_state_lives(self) -> str:
        """Where the services keep their state, in words (the ``up`` banner):
        the state directory, or the PostgreSQL database (without its password) and the state
        directory that still holds the keys."""
        if self.store_url:
            return f"PostgreSQL at {redacted(self.store_url)}, keys in {self.state_dir}"
        return str(self.state_dir)

    def base_url(self, service: str) -> str:
        """The service's base URL without a trailing slash."""
        svc = self.services[service]
        if svc.base_url:
            return svc.base_url.rstrip("/")
        return f"{self.scheme}://{self.public_host}:{svc.port}"

    def internal_url(self, service: str) -> str:
        """Where the sandbox's own services and control plane call ``service``: its ``internal_url``,
        else its base URL. Only calls between the sandbox's parts go there; every URL a service hands
        out (issuers, endpoints, redirects, insurer profiles) is its base URL."""
        internal = self.services[service].internal_url
        return internal.rstrip("/") if internal else self.base_url(service)

    def issuer(self, service: str) -> str:
        """The exact issuer string. Maskinporten keeps its trailing slash; ID-porten has none."""
        svc = self.services[service]
        if svc.issuer:
            return svc.issuer
        if service == "maskinporten":
            return self.base_url(service) + "/"
        return self.base_url(service)

    def with_ports(self, ports: dict[str, int]) -> Settings:
        """These settings with the ports a launcher actually bound (for port 0)."""
        services = dict(self.services)
        for name, port in ports.items():
            services[name] = replace(services[name], port=port)
        return replace(self, services=services)

    def with_state_dir(self, state_dir: Path) -> Settings:
        return replace(self, state_dir=Path(state_dir))

    def lifetimes_of(self, service: str) -> dict[str, int]:
        prefix = service + "."
        return {key: value for key, value in self.lifetimes.items() if key.startswith(prefix)}

    def describe(self) -> dict:
        return {
            "state_dir": str(self.state_dir),
            # The password never leaves: whoever reads this is a test or a dashboard, not the database's owner.
            "store": {"backend": "postgresql", "url": redacted(self.store_url)}
            if self.store_url
            else {"backend": "sqlite"},
            "workers": self.workers,
            "tls": self.tls,
            "services": {
                name: {"port": svc.port, "base_url": self.base_url(name), "issuer": self.issuer(name)}
                for name, svc in self.services.items()
            },
            "lifetimes": dict(self.lifetimes),
            "sources": list(self.sources),
        }


def _typed(section: dict, key: str, kind: type, where: str = ""):
    value = section.get(key)
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise SettingsError(f"{where}{key} must be {kind.__name__}, not {value!r}")
    return value


def _merge(base: dict, new: dict, source: str, path: str = "") -> None:
    for key, value in new.items():
        where = f"{path}{key}"
        if key not in base:
            if where == "profile":
                raise SettingsError(
                    f"profile (in {source}) is gone: every sandbox serves Altinn 3 and Altinn 2 at once, and "
                    f"each insurer's profile says which it uses (insurer.toml: [insurer] consent = ...)"
                )
            known = f"; lifetimes are {', '.join(DEFAULT_LIFETIMES)}" if path == "lifetimes." else ""
            raise SettingsError(f"unknown setting {where!r} in {source}{known}")
        if isinstance(base.get(key), dict):
            if not isinstance(value, dict):
                raise SettingsError(f"{where} in {source} must be a table")
            _merge(base[key], value, source, where + ".")
        else:
            base[key] = value.typed_like(base[key]) if isinstance(value, EnvValue) else value


def _from_environment(environ) -> dict:
    result: dict = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        parts = [p.lower() for p in name[len(ENV_PREFIX) :].split("__") if p]
        if not parts:
            continue
        if parts[0] == "lifetimes" and len(parts) == 3:
            parts = ["lifetimes", f"{parts[1]}.{parts[2]}"]  # LIFETIMES__ALTINN__CONSENT_TOKEN
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SettingsError(f"{name} conflicts with another variable that sets {part!r} to a value")
        if isinstance(node.get(parts[-1]), dict):
            raise SettingsError(f"{name} conflicts with variables that set keys inside {parts[-1]!r}")
        node[parts[-1]] = EnvValue(raw)
    return result


class EnvValue(str):
    """A raw environment value, read by the type of the setting it replaces."""

    def typed_like(self, default):
        if isinstance(default, str) or default is None:
            return str(self)
        if isinstance(default, bool):
            return {"true": True, "false": False}.get(self.strip().lower(), str(self))
        if isinstance(default, int):
            try:
                return int(self.strip())
            except ValueError:
                return str(self)
        return _scalar(self)


def _scalar(raw: str):
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
