"""Writing what ``register-insurer`` hands an insurer: key, certificate chain, CA and insurer.toml."""

from __future__ import annotations

import json
import os
from pathlib import Path

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
    lines = [
        "# Insurer profile written by dsop-sandbox register-insurer.",
        "# Fill in the two URLs of your integration, then run: dsop-sandbox doctor --insurer insurer.toml",
        "[insurer]",
        f"name = {_toml(facts['name'])}",
        f"org = {_toml(facts['org'])}",
        f"consent = {_toml(facts.get('consent', 'altinn3'))}  # altinn3 (production since June 2026) or altinn2",
        '# start_url = "http://localhost:7200/claims/start?pid={pid}"     # where a citizen starts a claim',
        '# fetch_url = "http://localhost:7200/conformance/fetch?pid={pid}" # POST: fetch NAV data again',
    ]
    for table in TABLES:
        lines.append("")
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {_toml(value)}" for key, value in facts[table].items() if value is not None)
    return "\n".join(lines) + "\n"


def _toml(value) -> str:
    """A TOML value; JSON's strings, numbers, booleans and arrays are valid TOML."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _write(path: Path, text: str, private: bool = False) -> None:
    path.write_text(text)
    if private:
        os.chmod(path, 0o600)
