"""Page templates are compiled once per process, and a changed template is compiled again."""

from __future__ import annotations

from jinja2 import DictLoader, Environment

from dsop_sandbox.mocks.common.compiled_templates import ProcessTemplateCache


def environment(cache: ProcessTemplateCache, source: str, compiled: list[str]) -> Environment:
    class Counting(Environment):
        def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
            compiled.append(name)
            return super().compile(source, name, filename, raw, defer_init)

    return Counting(loader=DictLoader({"page.html": source}), bytecode_cache=cache, autoescape=True)


def test_a_second_environment_renders_what_the_first_compiled():
    cache, compiled = ProcessTemplateCache(), []
    first = environment(cache, "<p>{{ who }}</p>", compiled)
    assert first.get_template("page.html").render(who="<Kari>") == "<p>&lt;Kari&gt;</p>"
    second = environment(cache, "<p>{{ who }}</p>", compiled)
    assert second.get_template("page.html").render(who="Ola") == "<p>Ola</p>"
    assert compiled == ["page.html"]


def test_a_changed_template_is_compiled_again_not_served_stale():
    cache, compiled = ProcessTemplateCache(), []
    environment(cache, "<p>old {{ who }}</p>", compiled).get_template("page.html").render(who="x")
    changed = environment(cache, "<p>new {{ who }}</p>", compiled)
    assert changed.get_template("page.html").render(who="x") == "<p>new x</p>"
    assert compiled == ["page.html", "page.html"]


def test_the_services_apps_share_it(sandbox):
    from dsop_sandbox.mocks.common.compiled_templates import COMPILED_TEMPLATES

    for name in ("idporten", "altinn", "nav"):
        assert sandbox.app(name).jinja_env.bytecode_cache is COMPILED_TEMPLATES
