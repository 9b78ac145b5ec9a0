"""The key authority on a read-only key directory (docker compose mounts it ``:ro``), its overlay,
and the init step that fills the directory first.

Read-only is made with ``chmod -R a-w``. Tests may run as root, whom the mode bits do not stop, so
every "writes nothing" is checked on the directory itself (every entry's mode, mtime and content
before and after), and the authority must treat a directory nobody may write as read-only even
when it could write it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from dsop_sandbox.mocks.authority import AuthorityError, KeyAuthority, pki
from dsop_sandbox.mocks.authority.authority import ISSUERS
from dsop_sandbox.mocks.authority.initialise import initialise
from dsop_sandbox.mocks.authority.layers import is_read_only
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.settings import Settings
from tests.authority.snapshot import snapshot

NOW = datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
HOSTS = ["localhost", "127.0.0.1"]
ROOT = Path(__file__).resolve().parents[2]


def make_read_only(directory: Path) -> None:
    subprocess.run(["chmod", "-R", "a-w", str(directory)], check=True)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A state directory after the init step (with TLS certificates), made once and copied per test."""
    state = tmp_path_factory.mktemp("pristine")
    initialise(state, NOW, {"nav": HOSTS, "altinn": HOSTS})
    return state


@pytest.fixture
def state(pristine, tmp_path) -> Path:
    copy = tmp_path / "state"
    shutil.copytree(pristine, copy)
    yield copy
    subprocess.run(["chmod", "-R", "u+w", str(copy)], check=True)  # so that pytest can remove it


@pytest.fixture
def frozen(state) -> Path:
    """``state`` with its key directory read-only."""
    make_read_only(state / "authority")
    return state


def test_a_directory_nobody_may_write_is_read_only_even_for_root(tmp_path):
    assert not is_read_only(tmp_path)
    assert not is_read_only(tmp_path / "not-yet")  # to be created
    (tmp_path / "keys").mkdir()
    make_read_only(tmp_path / "keys")
    assert is_read_only(tmp_path / "keys")
    assert os.geteuid() != 0 or os.access(tmp_path / "keys", os.W_OK)  # root could write it, and must not


def test_opening_a_read_only_directory_loads_everything_and_writes_nothing(frozen, pristine):
    keys = frozen / "authority"
    before = snapshot(keys)
    authority = KeyAuthority.open(frozen, NOW + timedelta(days=1))
    assert authority.read_only
    writable = KeyAuthority.open(pristine, NOW)
    for issuer in ISSUERS:
        assert authority.jwks(issuer) == writable.jwks(issuer)
    assert authority.root_cert == writable.root_cert and authority.ca_bundle_path == keys / "ca.pem"
    credentials = authority.issue_enterprise_certificate("310000019", "Eksempel Forsikring AS", NOW)
    chain = x509.load_pem_x509_certificates(credentials.chain_pem)
    assert writable.verify_chain(chain[:2], NOW) == chain[0]
    # the init step's TLS certificate is used where it is
    assert authority.tls_certificate("nav", HOSTS, NOW) == (keys / "tls" / "nav.cert.pem", keys / "tls" / "nav.key.pem")
    assert snapshot(keys) == before
    assert not (frozen / "authority-overlay").exists()


def test_opening_complete_material_takes_no_lock_even_when_writable(state):
    keys = state / "authority"
    (keys / ".lock").unlink()  # the init step's
    before = snapshot(keys)
    KeyAuthority.open(state, NOW)
    assert snapshot(keys) == before


def test_missing_material_in_a_read_only_directory_is_a_clear_error(tmp_path):
    keys = tmp_path / "authority"
    keys.mkdir()
    make_read_only(keys)
    with pytest.raises(AuthorityError) as raised:
        KeyAuthority.open(tmp_path, NOW)
    message = str(raised.value)
    assert f"{keys} is read-only and incomplete" in message
    assert "missing root-ca.key.pem" in message and "missing ca.pem" in message
    assert "; and 2 more)" in message  # 5 CA files + 3 issuer states, 6 named
    assert f"dsop-sandbox keys init --state-dir {tmp_path}" in message and "`keys` service" in message
    assert list(keys.iterdir()) == [] and not (tmp_path / "authority-overlay").exists()


def test_one_missing_signing_key_is_named(state):
    (state / "authority" / "issuers" / "altinn" / "1.key.pem").unlink()
    make_read_only(state / "authority")
    with pytest.raises(AuthorityError, match=r"\(missing issuers/altinn/1\.key\.pem\)"):
        KeyAuthority.open(state, NOW)


def test_material_from_two_authorities_is_refused_not_served(state, tmp_path):
    other = tmp_path / "other"
    initialise(other, NOW)
    shutil.copy(other / "authority" / "root-ca.key.pem", state / "authority" / "root-ca.key.pem")
    make_read_only(state / "authority")
    with pytest.raises(
        AuthorityError,
        match=r"read-only and inconsistent \(root-ca\.key\.pem does not match "
        r"root-ca\.cert\.pem\)",
    ):
        KeyAuthority.open(state, NOW)


def test_a_corrupt_state_file_is_named(state):
    (state / "authority" / "issuers" / "idporten" / "state.json").write_text('{"published": []}')
    make_read_only(state / "authority")
    with pytest.raises(AuthorityError, match=r"issuers/idporten/state\.json is not"):
        KeyAuthority.open(state, NOW)


# -- rotation and TLS go to the overlay ----------------------------------------------------------------------
def test_rotation_on_a_read_only_directory_goes_to_the_overlay_and_survives_a_reopen(frozen):
    keys, overlay = frozen / "authority", frozen / "authority-overlay"
    before = snapshot(keys)
    authority = KeyAuthority.open(frozen, NOW)
    first = authority.signing_key("maskinporten")
    second = authority.rotate("maskinporten", NOW + timedelta(days=1))
    assert second.generation == 2 and second.kid != first.kid
    assert [k.kid for k in authority.published_keys("maskinporten")] == [second.kid, first.kid]
    assert snapshot(keys) == before
    assert json.loads((overlay / "issuers" / "maskinporten" / "state.json").read_text()) == {"published": [2, 1]}
    assert sorted(p.name for p in (overlay / "issuers" / "maskinporten").iterdir()) == [
        "2.cert.pem",
        "2.key.pem",
        "state.json",
    ]
    assert (overlay / "issuers" / "maskinporten" / "2.key.pem").stat().st_mode & 0o077 == 0

    reopened = KeyAuthority.open(frozen, NOW + timedelta(days=2))  # a restarted service
    assert reopened.jwks("maskinporten") == authority.jwks("maskinporten")
    assert reopened.signing_key("maskinporten").kid == second.kid
    third = reopened.rotate("maskinporten", NOW + timedelta(days=3))
    assert [k.generation for k in reopened.published_keys("maskinporten")] == [3, 2]
    assert third.certificate.not_valid_before_utc <= NOW + timedelta(days=3)
    for issuer in ("idporten", "altinn"):  # the others stay as the init made them
        assert reopened.jwks(issuer) == authority.jwks(issuer)
        assert not (overlay / "issuers" / issuer).exists()
    assert snapshot(keys) == before


def test_once_in_the_overlay_an_issuers_keys_stay_there_when_the_directory_is_writable_again(frozen):
    KeyAuthority.open(frozen, NOW).rotate("altinn", NOW)
    subprocess.run(["chmod", "-R", "u+w", str(frozen / "authority")], check=True)
    keys_before = snapshot(frozen / "authority")
    writable = KeyAuthority.open(frozen, NOW)
    assert not writable.read_only
    assert [k.generation for k in writable.published_keys("altinn")] == [2, 1]  # the overlay's state wins
    writable.rotate("altinn", NOW)
    assert json.loads((frozen / "authority-overlay" / "issuers" / "altinn" / "state.json").read_text()) == {
        "published": [3, 2]
    }
    assert snapshot(frozen / "authority") == keys_before
    assert [k.generation for k in KeyAuthority.open(frozen, NOW).published_keys("altinn")] == [3, 2]


def test_an_interrupted_overlay_rotation_never_reuses_a_generation_number(frozen):
    leftover = frozen / "authority-overlay" / "issuers" / "idporten"
    leftover.mkdir(parents=True)
    shutil.copy(frozen / "authority" / "issuers" / "altinn" / "1.key.pem", leftover / "2.key.pem")  # no state
    rotated = KeyAuthority.open(frozen, NOW).rotate("idporten", NOW)
    assert rotated.generation == 3
    assert [k.generation for k in KeyAuthority.open(frozen, NOW).published_keys("idporten")] == [3, 1]


def test_tls_certificate_for_new_host_names_goes_to_the_overlay_and_is_found_again(frozen):
    keys, overlay = frozen / "authority", frozen / "authority-overlay"
    before = snapshot(keys)
    authority = KeyAuthority.open(frozen, NOW)
    hosts = ["nav.sandbox.test", "localhost", "127.0.0.1"]
    cert_path, key_path = authority.tls_certificate("nav", hosts, NOW)
    assert (cert_path, key_path) == (overlay / "tls" / "nav.cert.pem", overlay / "tls" / "nav.key.pem")
    leaf, root = x509.load_pem_x509_certificates(cert_path.read_bytes())
    assert root == authority.root_cert and pki.host_names(leaf) == set(hosts)
    assert key_path.stat().st_mode & 0o077 == 0
    made = snapshot(overlay)
    # a restarted service finds it, and still serves the init step's for the names that one covers
    reopened = KeyAuthority.open(frozen, NOW + timedelta(days=1))
    assert reopened.tls_certificate("nav", hosts, NOW + timedelta(days=1)) == (cert_path, key_path)
    assert reopened.tls_certificate("nav", HOSTS, NOW)[0] in (cert_path, keys / "tls" / "nav.cert.pem")
    assert reopened.tls_certificate("nav", ["localhost"], NOW)[0].is_file()
    # a service without a certificate in the key directory gets one in the overlay too
    assert reopened.tls_certificate("idporten", HOSTS, NOW)[0] == overlay / "tls" / "idporten.cert.pem"
    assert {k: v for k, v in snapshot(overlay).items() if k.startswith("tls/nav")} == {
        k: v for k, v in made.items() if k.startswith("tls/nav")
    }
    assert snapshot(keys) == before


def test_an_expired_or_foreign_tls_certificate_is_replaced(state, tmp_path):
    authority = KeyAuthority.open(state, NOW)
    cert_path, _ = authority.tls_certificate("nav", HOSTS, NOW)
    content = cert_path.read_bytes()
    much_later = NOW + timedelta(days=900)  # past its 825 days
    assert authority.tls_certificate("nav", HOSTS, much_later)[0].read_bytes() != content
    other = tmp_path / "other"
    initialise(other, NOW, {"altinn": HOSTS})
    shutil.copy(other / "authority" / "tls" / "altinn.cert.pem", state / "authority" / "tls" / "altinn.cert.pem")
    shutil.copy(other / "authority" / "tls" / "altinn.key.pem", state / "authority" / "tls" / "altinn.key.pem")
    renewed, _ = authority.tls_certificate("altinn", HOSTS, NOW)
    x509.load_pem_x509_certificates(renewed.read_bytes())[0].verify_directly_issued_by(authority.root_cert)


# -- when nothing can be written ---------------------------------------------------------------------------------------
def test_rotation_that_cannot_be_written_anywhere_is_an_admin_error_not_a_500(frozen):
    blocker = frozen / "blocker"
    blocker.write_text("a file where the overlay's parent directory would be")  # stops root too
    authority = KeyAuthority(frozen / "authority", NOW, overlay=blocker / "overlay")
    kids = [k.kid for k in authority.published_keys("altinn")]
    with pytest.raises(AuthorityError, match="cannot write"):
        authority.rotate("altinn", NOW)
    assert [k.kid for k in authority.published_keys("altinn")] == kids

    from dsop_sandbox.mocks.altinn import create_app

    clock = Clock()
    clock.freeze(NOW)
    settings = Settings.load(environ={}).with_state_dir(frozen)
    app = create_app(settings, authority=authority, clock=clock)
    try:
        answer = app.test_client().post("/_sandbox/keys/rotate")
        assert answer.status_code == 503
        body = answer.get_json()
        assert body["error"] == "keys_unwritable" and "cannot write" in body["message"]
        assert [k["kid"] for k in app.test_client().get("/api/metadata/jwk").get_json()["keys"]] == kids
    finally:
        app.extensions["sandbox"].store.close()


def test_a_key_directory_that_cannot_be_created_is_a_clear_error(tmp_path):
    (tmp_path / "authority").write_text("not a directory")
    expected = f"cannot write the key authority's material in {tmp_path / 'authority'}"
    with pytest.raises(AuthorityError, match=re.escape(expected)):
        KeyAuthority.open(tmp_path, NOW)


# -- several processes, one writable directory -------------------------------------------------------------------------
def test_processes_opening_one_new_writable_directory_at_once_make_one_authority(tmp_path):
    program = (
        "import sys, json; from datetime import datetime, timezone; "
        "from dsop_sandbox.mocks.authority import KeyAuthority; "
        "a = KeyAuthority.open(sys.argv[1], datetime.now(timezone.utc)); "
        "print(json.dumps({i: a.jwks(i) for i in ('idporten', 'maskinporten', 'altinn')}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", program, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    published = [json.loads(out) for out, _ in outputs]
    assert all(p == published[0] for p in published)
    on_disk = KeyAuthority.open(tmp_path, NOW)
    assert {i: on_disk.jwks(i) for i in ISSUERS} == published[0]
    assert not list((tmp_path / "authority").rglob("*.tmp"))


# -- the init step ------------------------------------------------------------------------------------------
def test_init_makes_tls_certificates_in_the_key_directory_whatever_the_overlay_holds(state):
    overlay_cert = KeyAuthority.open(state, NOW, read_only=True).tls_certificate("control", HOSTS, NOW)[0]
    assert overlay_cert.parent == state / "authority-overlay" / "tls"
    initialise(state, NOW, {"control": HOSTS})
    made = state / "authority" / "tls" / "control.cert.pem"
    assert made.is_file() and made.read_bytes() != overlay_cert.read_bytes()


def test_init_on_complete_read_only_material_changes_nothing(frozen):
    before = snapshot(frozen / "authority")
    initialise(frozen, NOW + timedelta(days=1), {"nav": HOSTS, "altinn": HOSTS})
    assert snapshot(frozen / "authority") == before


def test_keys_init_command_says_what_it_made_and_fails_clearly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSOP_SANDBOX__")}
    env["PYTHONPATH"] = str(ROOT)
    state = tmp_path / "state"
    done = subprocess.run(
        [sys.executable, "-m", "dsop_sandbox.cli", "keys", "init", "--state-dir", str(state), "--tls"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"key authority ready in {state / 'authority'}" in done.stdout
    assert "TLS certificates of control" in done.stdout
    assert sorted(p.name for p in (state / "authority" / "tls").glob("*.cert.pem")) == sorted(
        f"{name}.cert.pem" for name in ("control", "idporten", "maskinporten", "altinn", "nav")
    )
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / "authority").write_text("not a directory")
    failed = subprocess.run(
        [sys.executable, "-m", "dsop_sandbox.cli", "keys", "init", "--state-dir", str(blocked)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert failed.returncode == 2
    assert failed.stderr.startswith("dsop-sandbox: cannot write the key authority's material in")
    assert "Traceback" not in failed.stderr
