"""The four reports, all rendered from one :class:`~dsop_sandbox.conformance.results.RunResult`:

* ``console`` – a compact summary for the terminal (``render(result, *, color)``);
* ``junit`` – JUnit XML for CI (GitHub, GitLab, Jenkins);
* ``json`` – everything, for machines (:meth:`RunResult.to_dict`);
* ``html`` – one self-contained page for people.

Each renderer is ``render(result) -> str`` (the console's also takes ``color``); :data:`RENDERERS`
maps the names above to them and :func:`write_reports` writes the files a run asked for.
"""

from __future__ import annotations

from pathlib import Path

from ..results import RunResult
from . import console, html, json_report, junit

RENDERERS = {"console": console.render, "junit": junit.render, "json": json_report.render, "html": html.render}


def write_reports(
    result: RunResult,
    *,
    junit: str | Path | None = None,
    json_path: str | Path | None = None,
    html: str | Path | None = None,
) -> dict[str, Path]:
    """Writes the reports asked for (UTF-8, parent folders created) and returns {name: path written}."""
    written: dict[str, Path] = {}
    for name, target in (("junit", junit), ("json", json_path), ("html", html)):
        if not target:
            continue
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        # backslashreplace: a lone surrogate left in some evidence becomes \udxxx (a valid JSON escape)
        # instead of failing the whole write; the XML and HTML renderers have already escaped it.
        path.write_text(RENDERERS[name](result), encoding="utf-8", errors="backslashreplace")
        written[name] = path
    return written


__all__ = ["RENDERERS", "write_reports"]
