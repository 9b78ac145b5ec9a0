"""Who may use the admin API (``/_sandbox/*``) and the control plane: what a careful local tool does.

* **The admin token.** Made once, at start (or by ``keys init``), and kept in the state directory
  with file mode 0600 (:func:`admin_token`); ``admin_token`` in the settings (or
  ``DSOP_SANDBOX__ADMIN_TOKEN``) names one instead. A caller sends it as the header
  :data:`TOKEN_HEADER`, or as the cookie :data:`TOKEN_COOKIE` that the control plane gives its own
  pages (HttpOnly, SameSite=Strict). The CLI, the suite and the test fixtures read it from the
  state directory, so nobody types it.
* **Hosts.** Only the sandbox's own host names are answered (:func:`allowed_hosts`): localhost,
  127.0.0.1, [::1], the public host, the hosts of the base URLs and ``allowed_hosts``. A page that
  rebinds its own name to 127.0.0.1 sends its own name, and is refused.
* **State-changing calls** (anything but GET, HEAD, OPTIONS) are refused when they come from a
  foreign ``Origin``, and never accepted as what a page may send without asking (a form or
  ``text/plain`` body), unless they carry the token header, which no page can add to another
  origin's request without CORS, which the sandbox never grants.
* **Bound beyond loopback**, every admin call but ``/_sandbox/health`` needs the token.
* **Secrets in answers** (client secrets, API keys, consent tokens) are shown to token holders only; others see
  a fingerprint (:func:`redacted`).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .settings import SERVICE_NAMES, Settings

TOKEN_HEADER = "X-Sandbox-Admin-Token"
TOKEN_COOKIE = "dsop_sandbox_admin"
#: The query parameter a browser may open the dashboard with once (the banner prints that URL when
#: the sandbox is bound beyond loopback); the page then holds the token in its cookie.
TOKEN_QUERY = "token"
TOKEN_FILE = "admin-token"
#: Where ``keys init`` leaves the token: beside the key authority, which every container mounts.
AUTHORITY_FOLDER = "authority"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "ip6-localhost"})
#: Paths every caller may read without the token (health checks of compose and of the launcher).
OPEN_PATHS = frozenset({"/_sandbox/health"})
#: Content types a page may send to another origin without asking first (the Fetch standard's
#: CORS-safelisted request header values).
SIMPLE_CONTENT_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Keys whose values only a token holder sees: client secrets, API keys, Altinn 2 consent tokens
#: (NAV's disclosure log keeps the token each disclosure was made under).
SECRET_FIELDS = frozenset({"client_secret", "api_key", "samtykkeToken"})


# -- the token in the state directory ---------------------------------------------------------------------
def token_paths(state_dir: Path) -> tuple[Path, Path]:
    """Where a token may be kept: beside the key authority (``keys init``), then the state directory."""
    state_dir = Path(state_dir)
    return state_dir / AUTHORITY_FOLDER / TOKEN_FILE, state_dir / TOKEN_FILE


def read_admin_token(state_dir: Path) -> str | None:
    """The token a sandbox on ``state_dir`` uses, or None when none was made."""
    for path in token_paths(state_dir):
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if token:
            return token
    return None


def _create(path: Path) -> str | None:
    """A new token in ``path`` (mode 0600, never readable by others, not even for a moment); the one
    another process wrote first when it raced us; None when the folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
    token = secrets.token_urlsafe(32)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


def admin_token(settings: Settings, *, beside_authority: bool = False) -> str:
    """The sandbox's admin token: the configured one, or the one kept in the state directory, made
    now when there is none (``beside_authority``: in the key authority's folder, as ``keys init`` does)."""
    if settings.admin_token:
        return settings.admin_token
    found = read_admin_token(settings.state_dir)
    if found:
        return found
    authority_path, state_path = token_paths(settings.state_dir)
    for path in (authority_path, state_path) if beside_authority else (state_path, authority_path):
        made = _create(path)
        if made:
            return made
    raise OSError(f"cannot write the admin token in {settings.state_dir}")


# -- hosts --------------------------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts(settings: Settings) -> frozenset[str]:
    names = set(LOOPBACK_NAMES) | {settings.public_host.lower()} | set(settings.allowed_hosts)
    for service in SERVICE_NAMES:
        for url in (settings.base_url(service), settings.internal_url(service)):
            host = urlsplit(url).hostname
            if host:
                names.add(host.lower())
    return frozenset(names)


def host_name(host_header: str) -> str:
    """``Host`` without its port, lower case (``[::1]:7100`` -> ``::1``)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


# -- the checks --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


class AdminAccess:
    """The checks above for one service's settings; :meth:`refusal` says why a request may not pass."""

    def __init__(self, settings: Settings, token: str | None = None):
        self.token = token or admin_token(settings)
        self.hosts = allowed_hosts(settings)
        self.token_required = not is_loopback(settings.bind_host)

    def sent_token(self, environ) -> tuple[str | None, str | None]:
        """(header token, cookie token) as sent."""
        header = environ.get("HTTP_" + TOKEN_HEADER.upper().replace("-", "_"))
        cookie = None
        for part in environ.get("HTTP_COOKIE", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == TOKEN_COOKIE:
                cookie = value
        return header, cookie

    def valid(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), self.token.encode())

    def is_admin(self, environ) -> bool:
        """Whether the request carries the admin token (header or cookie)."""
        return any(self.valid(token) for token in self.sent_token(environ))

    def query_token_valid(self, environ) -> bool:
        values = parse_qs(environ.get("QUERY_STRING", "")).get(TOKEN_QUERY, [])
        return any(self.valid(value) for value in values)

    def host_allowed(self, environ) -> bool:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        return host_name(host) in self.hosts

    def refusal(self, environ) -> Refusal | None:
        """Why this request to the admin API (or the control plane) may not pass; None if it may."""
        if not self.host_allowed(environ):
            return Refusal(403, "forbidden_host", "the sandbox answers only its own host names (see allowed_hosts)")
        header, cookie = self.sent_token(environ)
        path = environ.get("PATH_INFO", "")
        for sent in (header, cookie):
            if sent is not None and not self.valid(sent):
                return Refusal(401, "invalid_admin_token", f"the {TOKEN_HEADER} is not this sandbox's admin token")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        # a page of the control plane opened once with ?token= (the banner's URL), to get its cookie
        opened_with_token = method in SAFE_METHODS and self.query_token_valid(environ)
        if self.token_required and not (header or cookie or opened_with_token) and path not in OPEN_PATHS:
            return Refusal(
                401,
                "admin_token_required",
                f"the sandbox is bound beyond loopback: send {TOKEN_HEADER} (the file {TOKEN_FILE} in the state dir)",
            )
        if method in SAFE_METHODS:
            return None
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self._same_origin(origin, environ):
            return Refusal(403, "foreign_origin", f"state-changing admin calls are not taken from {origin[:100]}")
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type in SIMPLE_CONTENT_TYPES and not self.valid(header):
            return Refusal(
                415, "unsupported_media_type", "admin calls take application/json (or the admin token header)"
            )
        return None

    def _same_origin(self, origin: str, environ) -> bool:
        parts = urlsplit(origin)
        scheme = environ.get("wsgi.url_scheme", "http")
        host = (environ.get("HTTP_HOST") or "").lower()
        return parts.scheme == scheme and parts.netloc.lower() == host and host_name(parts.netloc) in self.hosts


# -- secrets in answers --------------------------------------------------------------------------------------
#: How a secret field with a string value begins in a body that ``json_response`` wrote.
_SECRET_VALUE = '"{}": "'


def fingerprint(secret: str) -> str:
    """What a caller without the token sees of a secret: enough to tell whether it holds the same
    one (``doctor`` compares its profile's API key), nothing to use."""
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()


def redacted(value):
    """``value`` with every secret field's value replaced by its :func:`fingerprint`."""
    if isinstance(value, dict):
        return {
            k: (fingerprint(v) if k in SECRET_FIELDS and isinstance(v, str) and v else redacted(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return value


def redact_body(body: bytes) -> bytes | None:
    """A JSON body with its secrets hidden; None when it holds none (or is no JSON). Only a body with
    a secret field holding a string is read again (a page of a thousand disclosures made under
    Altinn 3 consents, whose consent-token field is null, is passed as it is)."""
    if not any(_SECRET_VALUE.format(name).encode() in body for name in SECRET_FIELDS):
        return None
    try:
        return json.dumps(redacted(json.loads(body)), ensure_ascii=False).encode()
    except (ValueError, UnicodeError):
        return None
