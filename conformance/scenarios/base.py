"""A scenario: sets the stage through ``/_sandbox``, drives the insurer, judges from the events."""
from __future__ import annotations

from ..context import Context


class Scenario:
    name: str = ""
    title: str = ""
    requirements: tuple[str, ...] = ()
    needs_person: bool = True

    def run(self, ctx: Context) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<scenario {self.name}>"
