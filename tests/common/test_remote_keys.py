"""RemoteKeys: another service's JWKS, cached; an unknown kid fetches again, but not on every token."""

from __future__ import annotations

import pytest

from dsop_sandbox.mocks.authority import pki
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.remote_keys import KeysUnavailable, RemoteKeys, TokenError


class CountingKeys(RemoteKeys):
    """RemoteKeys whose issuer is a list of key sets in memory (``published``), counting fetches."""

    def __init__(self, clock: Clock, published: dict):
        super().__init__("http://issuer.invalid/jwks", clock, refetch_interval=1.0, max_age=300.0)
        self.published = published
        self.fetches = 0
        self.down = False

    def _fetch(self) -> dict:
        self.fetches += 1
        if self.down:
            raise KeysUnavailable("the issuer is down")
        return dict(self.published)


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.freeze(1_800_000_000)
    return clock


@pytest.fixture(scope="module")
def two_keys():
    return pki.new_rsa_key().public_key(), pki.new_rsa_key().public_key()


def test_a_key_the_issuer_starts_using_right_after_a_fetch_is_found(clock, two_keys):
    old, new = two_keys
    keys = CountingKeys(clock, {"old": old})
    assert keys.key("old") is old and keys.fetches == 1
    clock.move(0.2)  # the issuer rotates a moment after the first fetch ...
    keys.published["new"] = new
    assert keys.key("new") is new  # ... and the first token with the new kid still verifies
    assert keys.fetches == 2


def test_forged_kids_fetch_again_at_most_once_a_second(clock, two_keys):
    keys = CountingKeys(clock, {"old": two_keys[0]})
    keys.key("old")
    for forged in range(20):
        with pytest.raises(TokenError) as refused:
            keys.key(f"forged-{forged}")
        assert refused.value.reason == "unknown_key"
        clock.move(0.01)
    assert keys.fetches == 2  # the first fetch and one refetch for the first forged kid
    clock.move(1.0)
    with pytest.raises(TokenError):
        keys.key("forged-again")
    assert keys.fetches == 3


def test_an_issuer_that_is_down_is_asked_at_most_once_a_second_and_the_last_keys_serve(clock, two_keys):
    keys = CountingKeys(clock, {"old": two_keys[0]})
    keys.key("old")
    keys.down = True
    clock.move(301)  # the cache is stale
    for _ in range(10):
        assert keys.key("old") is two_keys[0]
        clock.move(0.05)
    assert keys.fetches == 2
