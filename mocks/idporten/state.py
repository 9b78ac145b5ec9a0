"""ID-porten's own state: pending authorization requests, SSO sessions, codes, refresh tokens,
pushed authorization requests and the test persons shown on the login page."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.records import records_schema
from dsop_sandbox.mocks.common.store import Store

SCHEMA = (
    records_schema("clients")
    + records_schema("persons")
    + """
CREATE TABLE IF NOT EXISTS auth_requests (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, params TEXT NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY, pid TEXT NOT NULL, acr TEXT NOT NULL, amr TEXT NOT NULL, auth_time INTEGER NOT NULL,
    clients TEXT NOT NULL, expires REAL NOT NULL, ended INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS session_cookies (
    cookie_hash TEXT PRIMARY KEY, sid TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS codes (
    code_hash TEXT PRIMARY KEY, grant_data TEXT NOT NULL, expires REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, grant_data TEXT NOT NULL, expires REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS used_assertions (
    client_id TEXT NOT NULL, jti TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (client_id, jti)
);
CREATE TABLE IF NOT EXISTS token_locales (
    jti TEXT PRIMARY KEY, locale TEXT NOT NULL, expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS par_requests (
    request_uri TEXT PRIMARY KEY, client_id TEXT NOT NULL, params TEXT NOT NULL, expires REAL NOT NULL
);
"""
)
REGISTRATION_TABLES = ("clients", "persons")
RUNTIME_TABLES = (
    "auth_requests",
    "sessions",
    "session_cookies",
    "codes",
    "refresh_tokens",
    "par_requests",
    "used_assertions",
    "token_locales",
)
#: Longer cookie values are not ours (and are not hashed or looked up).
MAX_COOKIE = 200


def digest(secret: str) -> str:
    """Codes and refresh tokens are stored as hashes, never as the value the client holds."""
    return hashlib.sha256(secret.encode()).hexdigest()


def revoke_refresh_tokens(db, field: str, value: str) -> None:
    """Revoke the live refresh tokens whose grant has ``field`` = ``value``: the stored grant (JSON
    text) is narrowed down with LIKE, and the parsed grant decides."""
    rows = db.execute(
        "SELECT token_hash, grant_data FROM refresh_tokens WHERE revoked = 0 AND grant_data LIKE ?",
        (f"%{json.dumps(value)}%",),
    ).fetchall()
    for row in rows:
        if json.loads(row["grant_data"]).get(field) == value:
            db.execute("UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = ?", (row["token_hash"],))


@dataclass(frozen=True)
class Session:
    sid: str
    pid: str
    acr: str
    amr: tuple[str, ...]
    auth_time: int
    clients: tuple[str, ...]


class OidcState:
    def __init__(self, store: Store, clock: Clock):
        self.store, self.clock = store, clock

    # -- pending authorization requests (between /authorize and the login form) --------------------
    def save_request(self, client_id: str, params: dict, lifetime: int) -> str:
        request_id = secrets.token_urlsafe(24)
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO auth_requests(id, client_id, params, expires) VALUES (?,?,?,?)",
                (request_id, client_id, json.dumps(params), self.clock.timestamp() + lifetime),
            )
        return request_id

    def load_request(self, request_id: str) -> dict | None:
        row = self.store.query_one("SELECT params, expires FROM auth_requests WHERE id = ?", (request_id,))
        if row is None or row["expires"] < self.clock.timestamp():
            return None
        return json.loads(row["params"])

    def update_request(self, request_id: str, params: dict) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE auth_requests SET params = ? WHERE id = ?", (json.dumps(params), request_id))

    def drop_request(self, request_id: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM auth_requests WHERE id = ?", (request_id,))

    # -- SSO sessions -------------------------------------------------------------------------------
    # The browser's cookie is a secret of its own, stored only as its SHA-256; the session's ``sid``
    # (in every id_token and front-channel logout URL) is a separate identifier, so a client that
    # holds an id_token cannot make a cookie out of it (issue 15, finding 1).
    def start_session(self, pid: str, acr: str, amr: list[str], lifetime: int) -> tuple[Session, str]:
        """The new session and the cookie value that names it (kept by the browser only)."""
        sid, cookie = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock.timestamp()
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO sessions(sid, pid, acr, amr, auth_time, clients, expires) VALUES (?,?,?,?,?,?,?)",
                (sid, pid, acr, json.dumps(amr), int(now), "[]", now + lifetime),
            )
            db.execute("INSERT INTO session_cookies(cookie_hash, sid) VALUES (?,?)", (digest(cookie), sid))
        return self._session(sid), cookie

    def session(self, cookie: str | None) -> Session | None:
        """The live session a browser's cookie names (None for anything else, a ``sid`` included)."""
        if not cookie or len(cookie) > MAX_COOKIE:
            return None
        row = self.store.query_one("SELECT sid FROM session_cookies WHERE cookie_hash = ?", (digest(cookie),))
        return self._session(row["sid"]) if row else None

    def _session(self, sid: str) -> Session | None:
        row = self.store.query_one(
            "SELECT * FROM sessions WHERE sid = ? AND ended = 0 AND expires > ?", (sid, self.clock.timestamp())
        )
        if row is None:
            return None
        return Session(
            row["sid"],
            row["pid"],
            row["acr"],
            tuple(json.loads(row["amr"])),
            row["auth_time"],
            tuple(json.loads(row["clients"])),
        )

    def join_session(self, sid: str, client_id: str) -> None:
        with self.store.transaction() as db:
            row = db.execute("SELECT clients FROM sessions WHERE sid = ?", (sid,)).fetchone()
            clients = json.loads(row["clients"]) if row else []
            if client_id not in clients:
                clients.append(client_id)
                db.execute("UPDATE sessions SET clients = ? WHERE sid = ?", (json.dumps(clients), sid))

    def end_session(self, sid: str) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE sessions SET ended = 1 WHERE sid = ?", (sid,))
            db.execute("DELETE FROM session_cookies WHERE sid = ?", (sid,))
            revoke_refresh_tokens(db, "sid", sid)

    # -- authorization codes (single use) ------------------------------------------------------------
    def issue_code(self, grant: dict, lifetime: int) -> str:
        code = secrets.token_urlsafe(32)
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO codes(code_hash, grant_data, expires) VALUES (?,?,?)",
                (digest(code), json.dumps(grant), self.clock.timestamp() + lifetime),
            )
        return code

    def redeem_code(self, code: str) -> tuple[str, dict | None]:
        """("ok", grant), ("unknown" | "expired" | "used", grant or None). A code is used once, whatever
        happens next; a second use also revokes what the first one gave (RFC 6749 §4.1.2)."""
        key = digest(code)
        with self.store.transaction() as db:
            row = db.execute("SELECT * FROM codes WHERE code_hash = ?", (key,)).fetchone()
            if row is None:
                return "unknown", None
            grant = json.loads(row["grant_data"])
            if row["used"]:
                revoke_refresh_tokens(db, "code", key)
                return "used", grant
            db.execute("UPDATE codes SET used = 1 WHERE code_hash = ?", (key,))
            if row["expires"] < self.clock.timestamp():
                return "expired", grant
            return "ok", {**grant, "code": key}

    # -- refresh tokens -----------------------------------------------------------------------------
    def issue_refresh_token(self, client_id: str, grant: dict, lifetime: int) -> str:
        token = secrets.token_urlsafe(32)
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO refresh_tokens(token_hash, client_id, grant_data, expires) VALUES (?,?,?,?)",
                (digest(token), client_id, json.dumps(grant), self.clock.timestamp() + lifetime),
            )
        return token

    def use_refresh_token(self, token: str, client_id: str) -> dict | None:
        """The grant behind a live refresh token of this client; the token is rotated (used once)."""
        with self.store.transaction() as db:
            row = db.execute("SELECT * FROM refresh_tokens WHERE token_hash = ?", (digest(token),)).fetchone()
            if (
                row is None
                or row["client_id"] != client_id
                or row["revoked"]
                or row["expires"] < self.clock.timestamp()
            ):
                return None
            db.execute("UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = ?", (digest(token),))
            return json.loads(row["grant_data"])

    # -- pushed authorization requests --------------------------------------------------------------
    def push(self, client_id: str, params: dict, lifetime: int) -> str:
        request_uri = "urn:idporten:" + secrets.token_urlsafe(24)
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO par_requests(request_uri, client_id, params, expires) VALUES (?,?,?,?)",
                (request_uri, client_id, json.dumps(params), self.clock.timestamp() + lifetime),
            )
        return request_uri

    def pull(self, request_uri: str, client_id: str) -> dict | None:
        """A pushed request, once, for the client that pushed it, while it lives."""
        with self.store.transaction() as db:
            row = db.execute("SELECT * FROM par_requests WHERE request_uri = ?", (request_uri,)).fetchone()
            if row is None or row["client_id"] != client_id:
                return None  # another client's request_uri stays usable by the client that pushed it
            db.execute("DELETE FROM par_requests WHERE request_uri = ?", (request_uri,))
        if row["expires"] < self.clock.timestamp():
            return None
        return json.loads(row["params"])

    # -- private_key_jwt replay protection ----------------------------------------------------------
    def use_assertion(self, client_id: str, jti: str, expires: float) -> bool:
        now = self.clock.timestamp()
        with self.store.transaction() as db:
            return (
                db.execute(
                    "INSERT INTO used_assertions(client_id, jti, expires) VALUES (?,?,?)"
                    " ON CONFLICT(client_id, jti) DO UPDATE SET expires = excluded.expires"
                    " WHERE used_assertions.expires < ?",
                    (client_id, jti, expires, now),
                ).rowcount
                == 1
            )

    # -- the language of the login behind an access token (userinfo answers it; tokens don't carry it) --
    def remember_locale(self, jti: str, locale: str, expires: float) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM token_locales WHERE expires < ?", (self.clock.timestamp(),))
            db.execute(
                "INSERT INTO token_locales(jti, locale, expires) VALUES (?,?,?)"
                " ON CONFLICT(jti) DO UPDATE SET locale = excluded.locale, expires = excluded.expires",
                (jti, locale, expires),
            )

    def locale_of(self, jti: str) -> str | None:
        row = self.store.query_one("SELECT locale FROM token_locales WHERE jti = ?", (jti,))
        return row["locale"] if row else None
