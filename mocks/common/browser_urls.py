"""A URL judged as a browser will read it (the WHATWG URL Standard, https://url.spec.whatwg.org/).

A redirect target is safe only if the browser that follows it lands where the check thought. A
browser, before anything else, strips leading and trailing C0 controls and spaces, removes every
tab, line feed and carriage return anywhere in the URL, and, for the special schemes (http, https,
ws, wss, ftp, file), reads a backslash before the query as a slash. So ``/\\t/evil.example/`` and
``/\\\\evil.example`` are both ``//evil.example/``, another host. Every redirect target the sandbox
checks goes through :func:`local_path` (a page on this host: Altinn's login and logout
``returnUrl``, NAV's ``/oauth2/login?redirect=``) or :func:`browser_split` (another site's URL
whose host is checked: Altinn 2's ``RedirectUrl`` against the consumer's domains).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: Left in a judged URL, these make it no URL at all (control characters and DEL).
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def as_browser_reads(url: str) -> str:
    """The input after the URL parser's first two steps: trimmed of C0 controls and spaces at both
    ends, and without any tab, line feed or carriage return."""
    return _TAB_OR_NEWLINE.sub("", url.strip(_C0_AND_SPACE))


def _slashes_before_query(url: str) -> str:
    """Backslashes read as slashes, before the query and fragment (as for a special scheme)."""
    end = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=len(url))
    return url[:end].replace("\\", "/") + url[end:]


def local_path(url: str | None) -> str | None:
    """``url`` as a browser reads it, when that is a path on the host that serves the redirect
    (path-absolute: one leading slash, no scheme, no host); None for anything else, and for any URL
    with a control character in it (tab, CR, LF included: a browser would drop them, a header
    would break on them, no page of ours has them). Answer the normalised form, so that what is
    checked is what the browser is sent."""
    if not isinstance(url, str) or _CONTROL.search(url):
        return None  # a tab, line break or other control character: never in a page's own address
    read = as_browser_reads(url)
    if _SCHEME.match(read):
        return None  # an absolute URL (javascript:, http:, …), never a local path
    read = _slashes_before_query(read)  # a relative URL takes the base's scheme: http(s), special
    if not read.startswith("/") or read.startswith("//") or _CONTROL.search(read):
        return None
    return read


def browser_split(url: str) -> SplitResult:
    """``urlsplit`` of ``url`` as a browser reads it; for a special scheme a backslash in the
    authority or path is a slash (``https://evil.example\\@good.example/`` is host evil.example).
    ValueError as urlsplit raises it."""
    read = as_browser_reads(url)
    scheme = read.split(":", 1)[0].lower() if _SCHEME.match(read) else ""
    if scheme in SPECIAL_SCHEMES:
        read = _slashes_before_query(read)
    return urlsplit(read)
