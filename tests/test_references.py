"""Every file a text in the project points at is in the repository: the code, its templates, the
README, docs/, the requirement catalogue and the reports the suite renders cite public documents
by address, or files of this repository by path, never notes that do not ship.

A reference is a path ending in ``.md`` (outside a URL), resolved against the repository root or
the citing file's folder, or a citation in the style of the team's old notes (a design document's
section sign, a notes file's part letter) that has no file behind it at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsop_sandbox.conformance.catalogue import CATALOGUES
from dsop_sandbox.conformance.reports import RENDERERS
from dsop_sandbox.conformance.results import NOT_RUN, RunResult, ScenarioResult, Verdict

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_FOLDERS = {".git", ".venv", "__pycache__", ".sandbox", "artifacts", "build", "dist", ".pytest_cache"}
TEXT_SUFFIXES = {".py", ".html", ".css", ".js", ".md", ".toml", ".yml", ".yaml", ".txt", ".json", ".cfg", ".ini"}
TEXT_NAMES = {"Dockerfile", "dev", ".dockerignore", ".gitignore"}
URL = re.compile(r"\bhttps?://[^\s\"'<>)\]]+")
MARKDOWN_PATH = re.compile(r"(?<![\w.-])([\w][\w./-]*\.md)\b")
#: Citations of notes that never shipped: "<design doc> §2", "<notes>.md part A", "(A.9)".
NOTES_STYLE = [
    re.compile(r"\b" + "DESIGN" + r"\b(?!_)"),
    re.compile("shared" + r"/protocols"),
    re.compile(r"\b(?:altinn-consent|nav-api|idporten-maskinporten|conformance-anchors)(?:\.md|\s+§|\s+part\b)"),
    re.compile(r"\((?:[A-D]\.\d+)(?:[,;)]|\s)"),
]


def project_texts() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        if any(part in SKIPPED_FOLDERS or part.endswith(".egg-info") for part in path.relative_to(ROOT).parts):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES):
            found.append(path)
    return found


def dangling(text: str, folder: Path) -> list[str]:
    """The references in ``text`` that point at nothing in the repository."""
    text = URL.sub(" ", text)
    missing = [
        name for name in MARKDOWN_PATH.findall(text) if not (ROOT / name).is_file() and not (folder / name).is_file()
    ]
    return missing + [match.group(0) for pattern in NOTES_STYLE for match in pattern.finditer(text)]


def test_the_check_sees_what_it_looks_for(tmp_path):
    assert dangling("see docs/nav.md and [sources](sources.md)", ROOT / "docs") == []
    assert dangling("see https://github.com/x/y/blob/HEAD/docs/a.md", ROOT) == []
    notes = "DESIGN" + ".md"
    for cited in (notes, f"({notes} §2)", "nav-api" + ".md §5.1", "altinn-consent part A", "used up (A.9)."):
        assert dangling(f"text {cited} text", ROOT), cited


def test_no_file_in_the_repository_points_at_a_file_that_is_not_there():
    texts = project_texts()
    assert {"README.md", "docs/nav.md", "conformance/catalogue.py"} <= {str(p.relative_to(ROOT)) for p in texts}
    problems = {
        str(path.relative_to(ROOT)): found
        for path in texts
        if path != Path(__file__).resolve() and (found := dangling(path.read_text(encoding="utf-8"), path.parent))
    }
    assert problems == {}


@pytest.mark.parametrize("generation", sorted(CATALOGUES))
def test_the_rendered_reports_cite_only_what_can_be_opened(generation):
    requirements = list(CATALOGUES[generation])
    verdicts = [Verdict(r.id, NOT_RUN, "not judged in this test", "every") for r in requirements]
    result = RunResult(
        insurer={"name": "Eksempel Forsikring AS", "org": "310000019", "start_url": "", "fetch_url": ""},
        sandbox={"control": "http://127.0.0.1:7100"},
        started="2026-12-07T12:00:00+00:00",
        requirements=requirements,
        scenarios=[ScenarioResult("every", "Every requirement, unjudged", verdicts=verdicts)],
        generation=generation,
    )
    rendered = {name: render(result) for name, render in RENDERERS.items()}
    assert {"html", "json"} <= {name for name, text in rendered.items() if "dokumentasjon.dsop.no" in text}
    assert {name: dangling(text, ROOT) for name, text in rendered.items()} == {key: [] for key in rendered}
