"""The transport: NAV presents a certificate that does not chain to the sandbox's CA bundle.

A conformant insurer verifies the server before it sends a bearer token, so NAV never receives
the request: the judgement is read from NAV's own log (its data calls, and the handshakes a client
refused). The scenario needs a sandbox started with ``--tls``; on plain HTTP there is no
certificate to refuse, and the runner leaves it out of a full run (see ``needs_tls``).
"""

from __future__ import annotations

from ..context import Context, Precondition
from .base import Scenario


class UntrustedNav(Scenario):
    name = "nav_certificate"
    title = "NAV presents a certificate that does not chain to the CA bundle"
    requirements = ("DSOP-TLS-VERIFY",)
    needs_tls = True

    def run(self, ctx: Context) -> None:
        if not ctx.api.tls:
            raise Precondition(
                "the sandbox serves plain HTTP, so there is no certificate to refuse "
                "(start it with --tls and run the suite with --ca-bundle)"
            )
        ctx.consented()
        ctx.fetched()
        cursor = ctx.cursor()
        ctx.step("NAV presents a certificate for its own host name, issued by a root outside the CA bundle")
        ctx.api.serve_certificate("nav", "untrusted")
        try:
            answer = ctx.fetch()
        finally:
            ctx.api.serve_certificate("nav", "authority")
            ctx.step("NAV presents its own certificate again")
        seen = ctx.events(cursor)
        arrived, refused = seen.nav_calls(), seen.tls_refusals("nav")
        if arrived:
            ctx.judge(
                "DSOP-TLS-VERIFY",
                False,
                f"NAV received {len(arrived)} request(s) with the insurer's tokens over a connection whose "
                f"certificate does not chain to the CA bundle: the insurer does not verify the server, so "
                f"anyone who can redirect its traffic gets its Maskinporten and consent tokens.",
                arrived,
            )
        elif refused:
            alerts = sorted({event.get("error") or "?" for event in refused})
            ctx.judge(
                "DSOP-TLS-VERIFY",
                True,
                f"The insurer refused NAV's certificate ({len(refused)} handshake(s) ended with "
                f"{', '.join(alerts)}) and sent no tokens; its fetch hook answered {answer.status!r}.",
                refused,
            )
        else:
            ctx.not_run(
                "DSOP-TLS-VERIFY",
                f"The insurer did not connect to NAV during the fetch (the hook answered {answer.status!r}), "
                f"so its certificate check was not exercised.",
            )
