"""The security headers of every citizen page (Altinn's consent pages, NAV's innsyn): never cached,
never framed, no scripts, no referrer leaving with a consent id in it."""

from __future__ import annotations

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"


def citizen_page_headers(*, forms_stay_here: bool) -> dict[str, str]:
    """``forms_stay_here`` adds ``form-action 'self'``; leave it off where a form's answer redirects
    to another site (Altinn's consent answer goes to the insurer, and Chromium applies form-action
    to redirects)."""
    return {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": _CSP + ("; form-action 'self'" if forms_stay_here else ""),
    }
