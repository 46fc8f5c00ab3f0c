"""`read_ahead`: a listing's next page is fetched while the last is handled."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from gasvc.api.pool import read_ahead


def test_every_item_comes_in_order_and_the_next_is_fetched_meanwhile() -> None:
    fetched: list[int] = []
    second_asked = threading.Event()

    def pages() -> Iterator[int]:
        for number in range(5):
            fetched.append(number)
            if number == 1:
                second_asked.set()
            yield number

    seen = []
    for item in read_ahead(pages()):
        if item == 0:  # the second page is asked for before the first is handled
            assert second_asked.wait(5)
        seen.append(item)
    assert seen == fetched == [0, 1, 2, 3, 4]


def test_an_error_comes_out_where_its_item_would_have() -> None:
    def pages() -> Iterator[int]:
        yield 1
        raise ConnectionError("the server went away")

    items = read_ahead(pages())
    assert next(items) == 1
    with pytest.raises(ConnectionError, match="went away"):
        next(items)


def test_a_caller_that_stops_fetches_at_most_one_more() -> None:
    fetched: list[int] = []

    def pages() -> Iterator[int]:
        for number in range(100):
            time.sleep(0.01)
            fetched.append(number)
            yield number

    for item in read_ahead(pages()):
        if item == 2:
            break
    time.sleep(0.1)
    assert fetched == [0, 1, 2, 3]


def test_nothing_is_fetched_before_the_first_item_is_asked_for() -> None:
    fetched: list[int] = []

    def pages() -> Iterator[int]:
        fetched.append(0)
        yield 0

    items = read_ahead(pages())
    time.sleep(0.05)
    assert fetched == []
    assert list(items) == [0]
