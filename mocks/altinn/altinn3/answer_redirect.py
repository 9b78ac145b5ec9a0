"""Where the citizen's browser goes after answering an Altinn 3 consent request.

Altinn's consent page sends the browser to the request's ``redirectUrl`` with the outcome added
(Altinn/altinn-access-management-frontend, backend ``ConsentService.GetConsentRequestRedirectUrl``,
since February 2026): ``Status=OK`` after an accept, ``Status=Failed&ErrorMessage=User+did+not+give+consent``
after a reject, encoded as .NET's ``HttpUtility`` encodes a query (space as ``+``). The parameters
join the URL's own query (``&`` when it has one), before its fragment; a hash-routed URL
(``…/#/path``) gets them at the very end, inside the fragment. Nothing else is added: the
integration puts its own correlation id into ``redirectUrl``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

ACCEPTED_PARAMS = "Status=OK"
REJECTED_PARAMS = "Status=Failed&ErrorMessage=User+did+not+give+consent"
DEFAULT_PORTS = {"http": 80, "https": 443}


def _left_part(url: str) -> str:
    """``Uri.GetLeftPart(UriPartial.Query)``: scheme and host in lower case, no default port, ``/``
    for an empty http(s) path, the query kept, the fragment dropped."""
    base = url.partition("#")[0]
    parts = urlsplit(base)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return base
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or "/"
    return f"{scheme}://{netloc}{path}" + (f"?{parts.query}" if "?" in base else "")


def answer_redirect(redirect_url: str, accepted: bool) -> str:
    params = ACCEPTED_PARAMS if accepted else REJECTED_PARAMS
    if "#/" in redirect_url:
        return redirect_url + ("&" if "?" in redirect_url else "?") + params
    fragment = redirect_url.partition("#")[2]
    left = _left_part(redirect_url)
    return left + ("&" if "?" in left else "?") + params + (f"#{fragment}" if "#" in redirect_url else "")
