"""The insurer profile (TOML): who the insurer is and the two URLs the suite uses.

``register-insurer`` writes it with every table filled in and the URLs commented out; the
integration fills in ``start_url`` (where a citizen starts a claim; placeholders ``{pid}``,
``{first_name}``, ``{last_name}``) and ``fetch_url`` (POST: fetch NAV data again for ``{pid}``).
``consent`` says which consent generation the integration speaks: ``altinn3`` (what production runs
since Altinn II closed on 19 June 2026; ``register-insurer`` writes it unless told otherwise) or
``altinn2`` (the process description's flow). A profile without it was written before Altinn 3
came to the sandbox, and is judged as ``altinn2``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from .hints import command

GENERATIONS = ("altinn3", "altinn2")
#: What a profile without ``consent`` is judged as: it was written when the sandbox spoke Altinn 2 only.
UNSTATED = "altinn2"


class ProfileError(ValueError):
    """The profile cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class InsurerProfile:
    path: Path
    name: str
    org: str
    start_url: str
    fetch_url: str
    tables: dict = field(default_factory=dict, compare=False)
    consent: str = UNSTATED

    @classmethod
    def load(cls, path: str | Path) -> InsurerProfile:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ProfileError(
                f"no insurer profile at {path} ({command()} register-insurer --out DIR writes one)"
            ) from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ProfileError(f"{path} is not valid TOML: {exc}") from exc
        insurer = data.get("insurer")
        if not isinstance(insurer, dict):
            raise ProfileError(f"{path} has no [insurer] table")
        missing = [
            key
            for key in ("name", "org", "start_url", "fetch_url")
            if not isinstance(insurer.get(key), str) or not insurer[key].strip()
        ]
        if missing:
            raise ProfileError(
                f"[insurer] in {path} needs {', '.join(missing)} "
                f"(start_url: where a citizen starts a claim, with {{pid}}; fetch_url: POST, fetch NAV "
                f"data again for {{pid}})"
            )
        for key in ("start_url", "fetch_url"):
            parts = urlsplit(insurer[key])
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ProfileError(f"[insurer] {key} must be an absolute http(s) URL, not {insurer[key]!r}")
            if "{pid}" not in insurer[key]:
                raise ProfileError(f"[insurer] {key} must contain the {{pid}} placeholder")
        consent = insurer.get("consent", UNSTATED)
        if consent not in GENERATIONS:
            raise ProfileError(f"[insurer] consent must be one of {', '.join(GENERATIONS)}, not {consent!r}")
        return cls(path, insurer["name"], insurer["org"], insurer["start_url"], insurer["fetch_url"], data, consent)

    def url(self, template: str, person: dict) -> str:
        values = {
            "pid": person["pid"],
            "first_name": person.get("first_name", ""),
            "last_name": person.get("last_name", ""),
        }
        return template.format(**{k: quote(str(v), safe="") for k, v in values.items()})

    def start(self, person: dict) -> str:
        return self.url(self.start_url, person)

    def fetch(self, person: dict) -> str:
        return self.url(self.fetch_url, person)

    @property
    def redirect_uris(self) -> list[str]:
        return list(self.tables.get("idporten", {}).get("redirect_uris", []))

    def describe(self) -> dict:
        return {
            "name": self.name,
            "org": self.org,
            "start_url": self.start_url,
            "fetch_url": self.fetch_url,
            "consent": self.consent,
            "profile": str(self.path),
        }
