"""Every collected test has a node id of its own (tests/conftest.py ``name_each_item_once``): pytest-xdist
schedules by node id, so two items that share one would run as one, the other silently dropped, as
schemathesis's ``@schema.parametrize()`` items were (19 contract tests) until the ids took the
operation from the item's name."""

from __future__ import annotations

import pytest

from tests.conftest import name_each_item_once


class Item:
    def __init__(self, nodeid: str, name: str):
        self._nodeid, self.name = nodeid, name

    @property
    def nodeid(self) -> str:
        return self._nodeid


def test_items_sharing_a_node_id_take_the_bracket_of_their_names():
    items = [
        Item("tests/x.py::test_every_operation", "test_every_operation[GET /jwk]"),
        Item("tests/x.py::test_every_operation", "test_every_operation[POST /token]"),
        Item("tests/x.py::test_other", "test_other"),
    ]
    name_each_item_once(items)
    assert [item.nodeid for item in items] == [
        "tests/x.py::test_every_operation[GET /jwk]",
        "tests/x.py::test_every_operation[POST /token]",
        "tests/x.py::test_other",
    ]


def test_items_that_cannot_be_told_apart_stop_the_run():
    items = [Item("tests/x.py::test_twice", "test_twice"), Item("tests/x.py::test_twice", "test_twice")]
    with pytest.raises(pytest.UsageError, match="share a node id"):
        name_each_item_once(items)
