"""Options where a user types them: before or after a sub-command, at any depth.

``dsop-sandbox clock advance P3Y --config F``, ``dsop-sandbox --config F clock advance P3Y`` and
``dsop-sandbox clock --config F advance P3Y`` mean the same. argparse alone accepts an option only on
the parser that declares it, and a sub-command's parser writes its own defaults over what its parent
already read. So every option of a parser that has sub-commands is declared again on each of them
(recursively), and every copy defaults to "absent" (``argparse.SUPPRESS``): an option the user did
not type leaves no attribute, and readers ask ``getattr(args, name, None)``.
"""

from __future__ import annotations

import argparse
import copy


def spread_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every sub-command (at any depth) the options of the parsers above it."""
    for child in _children(parser):
        for action in _options(parser):
            action.default = argparse.SUPPRESS
            own = next((a for a in _options(child) if set(a.option_strings) & set(action.option_strings)), None)
            if own is None:
                child._add_action(copy.copy(action))
            else:
                own.default = argparse.SUPPRESS
        spread_options(child)
    return parser


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        action
        for action in parser._actions
        if action.option_strings and not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
    ]


def _children(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.extend(dict.fromkeys(action.choices.values()))  # aliases name one parser twice
    return found
