"""Two key authority objects on one key directory, as two processes have: a rotation through one
is taken up by the other's ``reload``, and a reload with nothing new keeps the keys it holds. On two
key directories, as two hosts have: ``take_up`` of what the other published (from the store)."""

from __future__ import annotations

from datetime import UTC, datetime

from dsop_sandbox.mocks.authority import KeyAuthority, pki
from tests.keys import with_test_keys


def test_reload_takes_up_a_rotation_made_through_another_object(settings):
    first = KeyAuthority.open(settings.state_dir, _now())
    second = KeyAuthority.open(settings.state_dir, _now())
    held = second.signing_key("altinn")
    second.reload("altinn")
    assert second.signing_key("altinn") is held  # nothing rotated: nothing read again
    new = first.rotate("altinn", _now())
    assert second.signing_key("altinn").kid == held.kid  # until it reloads
    second.reload("altinn")
    assert second.signing_key("altinn").kid == new.kid
    assert [key.kid for key in second.published_keys("altinn")] == [new.kid, held.kid]
    assert second.signing_key("maskinporten").kid == first.signing_key("maskinporten").kid


def test_reload_keeps_the_keys_when_the_files_cannot_be_read(settings):
    authority = KeyAuthority.open(settings.state_dir, _now())
    held = authority.signing_key("idporten")
    (settings.state_dir / "authority" / "issuers" / "idporten" / "state.json").write_text("{not json")
    authority.reload("idporten")
    assert authority.signing_key("idporten") is held


def _now() -> datetime:
    return datetime.now(UTC)


def _material(authority: KeyAuthority, issuer: str) -> tuple[list[int], dict[int, tuple[bytes, bytes]]]:
    keys = authority.published_keys(issuer)
    return [k.generation for k in keys], {
        k.generation: (pki.key_pem(k.private_key), pki.cert_pem(k.certificate)) for k in keys
    }


def test_take_up_writes_what_another_host_published_and_counts_on_from_it(settings, tmp_path):
    first = KeyAuthority.open(settings.state_dir, _now())
    other = KeyAuthority.open(with_test_keys(tmp_path / "other-host"), _now())
    rotated = first.rotate("idporten", _now())
    other.take_up("idporten", *_material(first, "idporten"))
    assert other.signing_key("idporten").kid == rotated.kid
    reopened = KeyAuthority.open(tmp_path / "other-host", _now())  # the files say so too
    assert reopened.signing_key("idporten").kid == rotated.kid
    assert other.rotate("idporten", _now()).generation == rotated.generation + 1


def test_take_up_refuses_keys_of_another_root(settings, tmp_path):
    authority = KeyAuthority.open(settings.state_dir, _now())
    held = authority.signing_key("altinn")
    stranger = KeyAuthority.open(tmp_path / "stranger", _now())  # a PKI of its own: another root
    stranger.rotate("altinn", _now())
    authority.take_up("altinn", *_material(stranger, "altinn"))
    assert authority.signing_key("altinn") is held
    published, _ = _material(stranger, "altinn")
    authority.take_up("altinn", published, {})  # material missing
    assert authority.signing_key("altinn") is held
