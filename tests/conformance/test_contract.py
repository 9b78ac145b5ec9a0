"""The contract between the fakes and their readers (conformance/contract.py): every operation the oracle,
the dashboard and the docs name is declared there, and every declared operation is an endpoint of its
service's app. A view renamed without the contract fails here, not silently in a verdict. The apps are
built in process (no server), once for the module."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Blueprint

from dsop_sandbox.conformance import contract as C
from dsop_sandbox.conformance import oracle
from dsop_sandbox.dashboard import ALTINN3_NAMES, OPERATIONS
from dsop_sandbox.launcher import FACTORIES
from dsop_sandbox.mocks.authority import KeyAuthority
from dsop_sandbox.mocks.common.clock import Clock
from dsop_sandbox.mocks.common.service import operation_name
from dsop_sandbox.mocks.common.settings import Settings
from tests.keys import with_test_keys

ROOT = Path(__file__).resolve().parents[2]


def build_apps(state: Path) -> dict:
    settings = Settings.load(environ={}).with_state_dir(with_test_keys(state))
    authority = KeyAuthority.open(settings.state_dir, datetime.now(UTC))
    return {name: factory(settings, authority=authority, clock=Clock()) for name, factory in FACTORIES.items()}


def endpoints(app) -> set[str]:
    """The operations ``app`` records: its views' endpoints (and the steps a fault can target)."""
    found = {operation_name(rule.endpoint) for rule in app.url_map.iter_rules()}
    runtime = app.extensions.get("sandbox")
    return found | set(getattr(getattr(runtime, "faults", None), "operations", ()))


def missing(apps: dict) -> dict[str, set[str]]:
    """Declared operations that no view of their service has."""
    gaps = {
        service: set(operations) - C.NOT_VIEWS - endpoints(apps[service])
        for service, operations in C.OPERATIONS.items()
    }
    return {service: names for service, names in gaps.items() if names}


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    made = build_apps(tmp_path_factory.mktemp("contract") / "state")
    yield made
    for app in made.values():
        app.extensions["sandbox"].store.close()


def declared() -> set[str]:
    return {operation for operations in C.OPERATIONS.values() for operation in operations}


def test_every_declared_operation_is_a_view_of_its_service(apps):
    assert missing(apps) == {}


def test_the_oracle_names_only_declared_operations():
    named = {
        operation
        for value in vars(oracle).values()
        if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value)
        for operation in value
    }
    assert named and named <= declared()
    # and it takes them from the contract, not from copies of its own
    source = (ROOT / "conformance" / "oracle.py").read_text(encoding="utf-8")
    assert not re.search(r"^[A-Z_0-9]+ = \(\"", source, re.MULTILINE)


def test_the_dashboard_names_only_declared_operations():
    named = set(OPERATIONS.values()) | {key.split(":", 1)[1] for key in ALTINN3_NAMES}
    assert named <= declared()
    script = (ROOT / "sandbox" / "dashboard" / "templates" / "timeline_script.html").read_text(encoding="utf-8")
    # the script compares operations only with the names it is given (CONFIG.operations), never with literals
    assert re.findall(r"operation\s*===\s*\"", script) == []
    assert "CONFIG.operations" in script and "CONFIG.altinn3_names" in script


def fault_targets_in_docs() -> set[str]:
    """The operations the docs and the dashboard's fault control give as fault targets."""
    texts = [
        (ROOT / "README.md").read_text(encoding="utf-8"),
        ast.get_docstring(ast.parse((ROOT / "mocks" / "common" / "faults.py").read_text(encoding="utf-8"))) or "",
    ]
    return {name for text in texts for name in re.findall(r"\"operation\":\s*\"(\w+)\"", text)}


def test_the_fault_targets_the_docs_name_are_operations(apps):
    named = fault_targets_in_docs()
    assert "token" in named  # the docs' own example
    every = set().union(*(endpoints(app) for app in apps.values()))
    assert named <= every


def test_every_declared_detail_is_annotated_by_some_fake():
    sources = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "mocks").rglob("*.py"))
    unwritten = [name for name in C.DETAILS if not re.search(rf"(\b{name}=|[\"']{name}[\"'])", sources)]
    assert unwritten == []


def test_a_view_renamed_without_the_contract_fails_the_check(tmp_path, monkeypatch):
    """Rename the view behind the link flow (as a refactoring would) and build the apps again: the check
    names the operation the oracle reads and no view has any more."""
    original = Blueprint.add_url_rule

    def renamed(self, rule, endpoint=None, view_func=None, **options):
        name = endpoint or (view_func.__name__ if view_func else None)
        if name == "consent_link":
            endpoint = "open_consent_link"
        return original(self, rule, endpoint, view_func, **options)

    monkeypatch.setattr(Blueprint, "add_url_rule", renamed)
    apps = build_apps(tmp_path / "state")
    try:
        assert missing(apps) == {"altinn": {"consent_link"}}
    finally:
        for app in apps.values():
            app.extensions["sandbox"].store.close()
