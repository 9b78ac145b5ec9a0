"""A scenario: sets the stage through ``/_sandbox``, drives the insurer, judges from the events."""

from __future__ import annotations

from ..context import Context


class Scenario:
    name: str = ""
    title: str = ""
    requirements: tuple[str, ...] = ()
    needs_person: bool = True
    needs_tls: bool = False  # judged only on a sandbox serving HTTPS; left out of a full run otherwise

    def run(self, ctx: Context) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<scenario {self.name}>"
