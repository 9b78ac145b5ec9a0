"""Writing what ``register-insurer`` hands an insurer: key, certificate chain, CA and insurer.toml."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from .invocation import command_name

KEY_FILE, CHAIN_FILE, CA_FILE, PROFILE_FILE = "enterprise.key.pem", "enterprise.cert.pem", "ca.pem", "insurer.toml"
TABLES = ("certificate", "maskinporten", "idporten", "altinn", "nav")


def write_insurer_files(answer: dict, out: Path) -> dict:
    """Write the PEMs and the profile; the facts with file paths in place of PEM texts."""
    out.mkdir(parents=True, exist_ok=True)
    pems = answer["certificate"]
    paths = {"key": out / KEY_FILE, "chain": out / CHAIN_FILE, "ca": out / CA_FILE}
    _write(paths["key"], pems["key_pem"], private=True)
    _write(paths["chain"], pems["chain_pem"])
    _write(paths["ca"], pems["ca_pem"])
    facts = {**answer, "certificate": {kind: str(path) for kind, path in paths.items()}}
    _write(out / PROFILE_FILE, insurer_toml(facts))
    return facts


def insurer_toml(facts: dict) -> str:
    origin = _origin(facts["idporten"]["redirect_uris"][0])
    command = command_name()
    lines = [
        f"# Insurer profile written by {command} register-insurer.",
        "# Uncomment start_url and fetch_url below and change their paths to your integration's (until then",
        f"# the profile is incomplete, and doctor says so); then run: {command} doctor --insurer insurer.toml",
        "[insurer]",
        f"name = {_toml(facts['name'])}",
        f"org = {_toml(facts['org'])}",
        f"consent = {_toml(facts.get('consent', 'altinn3'))}  # altinn3 (production since June 2026) or altinn2",
        "# Where a citizen starts a claim. The suite fills in the test person: {pid}, {first_name}, {last_name}.",
        "# Altinn 2 refuses a consent request whose OfferedByName is not the person's last name (40332).",
        f'# start_url = "{origin}/claims/start?pid={{pid}}&first_name={{first_name}}&last_name={{last_name}}"',
        "# POST: fetch the person's NAV data again, reusing the consent.",
        f'# fetch_url = "{origin}/conformance/fetch?pid={{pid}}"',
    ]
    for table in TABLES:
        lines.append("")
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {_toml(value)}" for key, value in facts[table].items() if value is not None)
    return "\n".join(lines) + "\n"


def _origin(url: str) -> str:
    """``scheme://host:port`` of the redirect URI: the integration runs there (the example paths are
    the reference insurer's)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _toml(value) -> str:
    """A TOML value; JSON's strings, numbers, booleans and arrays are valid TOML."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _write(path: Path, text: str, private: bool = False) -> None:
    path.write_text(text)
    if private:
        os.chmod(path, 0o600)
