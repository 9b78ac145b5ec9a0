"""The words on Altinn 3's consent page: a resource's consent text with the request's metadata put
in, the template's texts with the parties put in, as Altinn's consent page builds them
(Altinn/altinn-access-management-frontend, backend ``ConsentService.EnrichConsentTemplate`` and the
page's ``replaceStaticMetadata``).

* Metadata: each ``{key}`` of the text is replaced by the value sent under that key, **as the key
  was sent** (Altinn replaces the request's keys one by one, so a key sent as ``fraOgMed`` leaves
  ``{fraogmed}`` in the text; NAV asks for lower-case keys for this reason).
* Static placeholders: ``{CoveredBy}`` the recipient's name, ``{OfferedBy}`` the person's,
  ``{HandledBy}`` the supplier's, ``{Expiration}`` validTo in Norwegian time (``dd.MM.yyyy HH:mm``).
* The consent text is markdown; the page shows the subset consent texts use (paragraphs, line
  breaks, ``**bold**``, ``*italic*``, ``- lists``, ``[links](https://…)``), escaped first.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from dsop_sandbox.mocks.common.clock import parse_time

from ..norwegian_time import OSLO

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])[*_](?![*\s])(.+?)(?<![*\s])[*_](?![*\w])")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^\s)]+)\)")
_BULLET = re.compile(r"^\s*[-*] ")


def with_metadata(text: str, metadata: dict | None) -> str:
    for key, value in (metadata or {}).items():
        text = text.replace("{" + key + "}", value or "")
    return text


def with_parties(text: str, values: dict[str, str | None]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value or "")
    return text


def local_time(moment: str) -> str:
    """A stored time in Norwegian time, as Altinn's page writes {Expiration}: ``dd.MM.yyyy HH:mm``."""
    return parse_time(moment).astimezone(OSLO).strftime("%d.%m.%Y %H:%M")


def _inline(line: str) -> str:
    html = str(escape(line))
    html = _LINK.sub(lambda m: f'<a href="{m.group(2)}" rel="noopener noreferrer">{m.group(1)}</a>', html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _ITALIC.sub(r"<em>\1</em>", html)


def markdown(text: str) -> Markup:
    """The consent text's markdown as safe HTML (everything it does not know stays text)."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.rstrip() for line in block.splitlines() if line.strip()]
        if lines and all(_BULLET.match(line) for line in lines):
            items = "".join(f"<li>{_inline(_BULLET.sub('', line))}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        elif lines:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return Markup("".join(blocks))
