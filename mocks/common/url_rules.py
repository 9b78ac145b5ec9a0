"""URL rules that compile their URL builders when first asked to build a URL.

Werkzeug compiles two builder functions for every rule as the rule is added (generated Python,
through ``ast`` and ``compile``): about 0.3 ms a rule, 60 ms for a sandbox's ~210 routes, and most of
a sandbox's app-making time. A fake builds URLs (``url_for``) for a handful of its routes, so each
rule here compiles its builders the first time one is called, and then keeps them. Matching a
request does not use them. The compilation takes a lock: CPython 3.11's ``ast`` is not safe to use
from several threads at once ("AST constructor recursion depth mismatch"), and the first ``url_for``
of a rule may come from any server thread.
"""

from __future__ import annotations

import threading

from werkzeug.routing import Rule

_COMPILING = threading.Lock()


class LazyBuilderRule(Rule):
    """A :class:`werkzeug.routing.Rule` whose ``_build`` and ``_build_unknown`` compile on first use."""

    def _compile_builder(self, append_unknown: bool = True):
        compiled = None

        def build(rule: Rule, *args, **kwargs):
            nonlocal compiled
            if compiled is None:
                with _COMPILING:
                    if compiled is None:
                        compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            return compiled(*args, **kwargs)

        return build
