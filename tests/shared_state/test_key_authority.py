"""Two key authority objects on one key directory, as two processes have: a rotation through one
is taken up by the other's ``reload``, and a reload with nothing new keeps the keys it holds."""

from __future__ import annotations

from datetime import UTC, datetime

from dsop_sandbox.mocks.authority import KeyAuthority


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
