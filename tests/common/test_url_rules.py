"""The fakes' URL rules compile their URL builders on first use (mocks/common/url_rules.py): the URLs
they build are Werkzeug's, the compiling happens once per rule, and never while the rules are added."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask, url_for
from werkzeug.routing import Rule

from dsop_sandbox.mocks.common.url_rules import LazyBuilderRule


def app_with(rule_class) -> Flask:
    app = Flask("url_rules_test", static_folder=None)
    app.url_rule_class = rule_class
    app.add_url_rule("/consents/<consent_id>/use", "use", lambda consent_id: "")
    app.add_url_rule("/static-page", "page", lambda: "")
    return app


def built(app: Flask) -> list[str]:
    with app.test_request_context(base_url="http://localhost:7103"):
        return [
            url_for("use", consent_id="a b/ø"),
            url_for("use", consent_id="x", lang="en"),  # an unknown value goes into the query
            url_for("page", _external=True),
        ]


def test_the_urls_are_werkzeugs_own():
    assert built(app_with(LazyBuilderRule)) == built(app_with(Rule))
    assert built(app_with(LazyBuilderRule))[1] == "/consents/x/use?lang=en"


def test_nothing_compiles_while_the_rules_are_added_and_each_builder_once(monkeypatch):
    compiled = []
    original = Rule._compile_builder

    def counting(rule, append_unknown=True):
        compiled.append((rule.rule, append_unknown))
        return original(rule, append_unknown)

    monkeypatch.setattr(Rule, "_compile_builder", counting)
    app = app_with(LazyBuilderRule)
    assert compiled == []
    built(app)
    built(app)
    assert sorted(compiled) == [("/consents/<consent_id>/use", True), ("/static-page", True)]


def test_first_builds_from_many_threads_at_once_agree():
    app = app_with(LazyBuilderRule)

    def one(n: int) -> str:
        with app.test_request_context():
            return url_for("use", consent_id=str(n))

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(64))) == [f"/consents/{n}/use" for n in range(64)]
