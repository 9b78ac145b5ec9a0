"""What a run leaves behind in the sandbox, and why: the suite puts back what it changes (lifetimes,
faults, the calendar, the certificates served) after every scenario, and compares the sandbox after the
run with the sandbox before it. What differs is said in the report, so that the next run (or the next
person at the dashboard) is not surprised by it.

A signing key cannot be put back: a service that rotated its key signs with the new one from then on,
as the real services do, and keeps the old one published. An integration that caches the service's
JWKS must fetch it again when it meets a token with the new ``kid``.
"""

from __future__ import annotations

SIGNING_KEY = "signing key:"


def leftovers(before: dict, after: dict) -> dict[str, str]:
    """Each part of the stage that differs after the run from before it -> why it was left so."""
    left = {}
    for what in sorted(set(before) | set(after)):
        was, now = before.get(what), after.get(what)
        if was == now:
            continue
        if what.startswith(SIGNING_KEY):
            service = what.removeprefix(SIGNING_KEY)
            left[f"{service}'s signing key"] = (
                f"{service} signs with a new key ({now}) since this run rotated it; the old one ({was}) stays "
                f"published, and no service goes back to a key it rotated away from. An integration that caches "
                f"{service}'s JWKS must fetch it again when a token names a kid it does not know (a cache with a "
                f"cool-down, such as jose's createRemoteJWKSet with its 30 s, misses the new key for that long)."
            )
        else:
            left[what] = (
                f"was {was!r} before the run and is {now!r} now: the suite sets it to the sandbox's default after "
                f"every scenario, so that no scenario inherits another's stage."
            )
    return left
