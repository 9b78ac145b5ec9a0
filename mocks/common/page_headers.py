"""The security headers of HTML pages, in one place.

:func:`secure_page` gives every HTML response of every service and of the control plane (installed
by ``create_service_app``) what no page of the sandbox may do without: never framed
(``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'``), never sniffed, no referrer leaving
with a code or consent id in it. A page that sets a stricter policy of its own keeps it
(:func:`citizen_page_headers`: Altinn's consent pages and NAV's innsyn, also never cached and
without scripts); a policy without ``frame-ancestors`` gets it added."""

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


#: What every HTML response gets (unless it says otherwise, and never a weaker frame rule).
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
FRAME_ANCESTORS = "frame-ancestors 'none'"


def secure_page(response):
    """``response`` (a Flask/Werkzeug response) with :data:`PAGE_HEADERS` and a CSP that forbids
    framing, when it is HTML."""
    if response.mimetype != "text/html":
        return response
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["X-Frame-Options"] = "DENY"
    policy = response.headers.get("Content-Security-Policy")
    if not policy:
        response.headers["Content-Security-Policy"] = FRAME_ANCESTORS
    elif "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {FRAME_ANCESTORS}"
    return response
