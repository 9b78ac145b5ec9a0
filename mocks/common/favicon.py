"""The sandbox's icon, answered at ``/favicon.ico`` by every service (its middleware), so that no
browser logs a 404 for it and no event is recorded for it: browsers ask for it by themselves, it is
nobody's protocol. A small shield with the sandbox's yellow TEST colour; SVG, which Chromium and
Firefox show as a favicon."""

from __future__ import annotations

PATH = "/favicon.ico"
ICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    b'<rect width="32" height="32" rx="6" fill="#1e2b3c"/>'
    b'<path d="M16 5l9 4v6c0 6-4 10-9 12-5-2-9-6-9-12V9z" fill="#ffe9a8"/></svg>'
)
HEADERS = [
    ("Content-Type", "image/svg+xml"),
    ("Content-Length", str(len(ICON))),
    ("Cache-Control", "public, max-age=86400"),
    ("X-Content-Type-Options", "nosniff"),
]


def asks_for_icon(environ) -> bool:
    return environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD")


def answer(environ, start_response) -> list[bytes]:
    start_response("200 OK", HEADERS)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [ICON]
