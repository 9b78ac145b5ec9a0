"""Redirect targets judged as a browser reads them (issue 15, finding 2): the open-redirect tries,
tabs, newlines, backslashes, ``//``, ``/\\``, scheme-relative and encoded forms, through the one
shared function every local redirect target goes through, and the same for Altinn 2's
``RedirectUrl`` host check."""

from __future__ import annotations

import pytest

from dsop_sandbox.mocks.altinn.citizen.login import safe_return_url
from dsop_sandbox.mocks.common.browser_urls import browser_split, local_path
from dsop_sandbox.mocks.common.citizen_login import is_local_path

#: Each, as a browser follows ``Location: <it>``, leaves the host (or is no page at all).
LEAVING = [
    "//evil.example/",
    "/\t/evil.example/",  # the reported one: %2F%09%2Fevil.example%2F
    "/\n/evil.example/",
    "/\r/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example/",
    "/\t\t/evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t\\evil.example",
    "\\\t\\evil.example",
    " //evil.example",
    "\x00//evil.example",
    "\x1f//evil.example",
    "//evil.example\t/",
    "///evil.example",
    "////evil.example",
    "https://evil.example/",
    "http:evil.example",
    "https:/\\evil.example",
    "HTTPS://evil.example",
    "\thttps://evil.example",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "evil.example",
    "evil.example/x",
    "./x",
    "../x",
    "?x=1",
    "#x",
    "",
    "   ",
    "\t",
    "/x\x00y",
    "/x\x7fy",
    "/x\x0by",
    "%2F%2Fevil.example",  # once decoded by the query: it does not start with a slash
    "%2f%2fevil.example",
    "%09/evil.example",
    "/a\tb",  # harmless as a browser reads it, but no page of the sandbox has a control character
    "/ok\r\nSet-Cookie: x=1",
]
#: Each stays on the host, in the form returned.
STAYING = {
    "/ui/Profile/Consents": "/ui/Profile/Consents",
    "/a?b=c#d": "/a?b=c#d",
    "/a?next=//evil.example": "/a?next=//evil.example",  # in the query: not a target
    "/a?x=\\y": "/a?x=\\y",  # a backslash in the query stays one
    "/%2F%2Fevil.example": "/%2F%2Fevil.example",  # percent-encoded slashes are a path segment here
    "/%09/evil.example": "/%09/evil.example",
    " /a ": "/a",
    "/a\\b": "/a/b",
}


@pytest.mark.parametrize("url", LEAVING, ids=repr)
def test_a_target_that_leaves_the_host_is_refused(url):
    assert local_path(url) is None
    assert not is_local_path(url)
    assert safe_return_url(url) == "/ui/Profile/Consents"  # Altinn's default page instead


@pytest.mark.parametrize(("url", "read"), sorted(STAYING.items()), ids=repr)
def test_a_local_target_is_answered_as_the_browser_reads_it(url, read):
    assert local_path(url) == read
    assert safe_return_url(url) == read


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://evil.example\\@good.example/", "evil.example"),
        ("https://evil.example\\.good.example/", "evil.example"),
        ("https://good.example\t/x", "good.example"),
        ("https://go\tod.example/x", "good.example"),
        ("  https://good.example/x?y=\\z", "good.example"),
        ("https://user@good.example/", "good.example"),
    ],
)
def test_an_absolute_urls_host_is_the_one_the_browser_goes_to(url, host):
    assert browser_split(url).hostname == host
