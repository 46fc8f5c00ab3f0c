"""Basic search's filters, table-driven (gasvc/server/engine/searchfilters.py)."""

from __future__ import annotations

from typing import Any

import pytest

from gasvc.errors import InvalidParams, ParamsMissing
from gasvc.server.engine.searchfilters import Candidate, check_filters, matcher

BOX = {"BOX2D": [{"box2d": {}, "category": "cat", "attributes": {"occluded": True, "n": 2}},
                 {"box2d": {}, "category": "dog", "attributes": {"occluded": False}}],
       "CLASSIFICATION": {"category": "animal", "attributes": {"gender": "f"}}}
FILE = Candidate("train", "images/a_01.jpg", 100, BOX, "01F", "CAM")


def f(key: str, op: str, value: Any, label_type: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"key": key, "operator": op, "value": value}
    if label_type:
        found["extraInfo"] = {"labelType": label_type}
    return found


CASES = [
    (f("segment", "in", ["train", "x"]), True), (f("segment", "in", ["test"]), False),
    (f("sensor", "in", ["CAM"]), True), (f("sensor", "in", ["LIDAR"]), False),
    (f("size", "=", 100), True), (f("size", ">", 100), False), (f("size", ">=", 100), True),
    (f("size", "<", 101), True), (f("size", "<=", 99), False),
    (f("withLabel", "=", True), True), (f("withLabel", "=", False), False),
    (f("keyword", "=", "images/a_01.jpg"), True), (f("keyword", "=", "a_01.jpg"), False),
    (f("keyword", "like", "a_01"), True), (f("keyword", "like", "images%.jpg"), True),
    (f("keyword", "like", "a_02"), False), (f("keyword", "like", "a.01"), False),
    (f("frame", "=", "01F"), True), (f("frame", "like", "1"), True),
    (f("category", "in", ["dog"], "BOX2D"), True), (f("category", "in", ["bird"], "BOX2D"), False),
    (f("category", "in", ["animal"], "CLASSIFICATION"), True),
    (f("category", "in", ["cat"], "POLYGON"), False),
    (f("attribute", "in", {"occluded": [True], "n": [2, 3]}, "BOX2D"), True),
    # every attribute on one object: occluded False is the dog, n 2 the cat
    (f("attribute", "in", {"occluded": [False], "n": [2]}, "BOX2D"), False),
    (f("attribute", "in", {"gender": ["f"]}, "CLASSIFICATION"), True),
    (f("attribute", "in", {"missing": [1]}, "BOX2D"), False),
]


@pytest.mark.parametrize(("one", "matches"), CASES)
def test_one_filter(one: dict[str, Any], matches: bool) -> None:
    arguments = {"conjunction": "and", "filters": [one], "unit": "file"}
    check_filters(arguments, fusion=True)
    assert matcher(arguments)(FILE) is matches


def test_a_normal_file_has_no_frame_or_sensor() -> None:
    plain = Candidate("train", "a.jpg", 1, {})
    for one in (f("frame", "=", "01F"), f("sensor", "in", ["CAM"])):
        assert not matcher({"conjunction": "and", "filters": [one]})(plain)


def test_conjunctions() -> None:
    yes, no = f("size", "=", 100), f("size", "=", 1)
    assert not matcher({"conjunction": "and", "filters": [yes, no]})(FILE)
    assert matcher({"conjunction": "or", "filters": [yes, no]})(FILE)
    assert matcher({"conjunction": "and", "filters": [yes, yes]})(FILE)


BAD = [
    ({"conjunction": "xor", "filters": [f("size", "=", 1)]}, InvalidParams, "conjunction"),
    ({"conjunction": "and", "filters": []}, ParamsMissing, "filters"),
    ({"conjunction": "and", "filters": [f("colour", "=", 1)]}, InvalidParams, "key"),
    ({"conjunction": "and", "filters": [f("size", "like", 1)]}, InvalidParams, "operator"),
    ({"conjunction": "and", "filters": [f("size", "=", True)]}, InvalidParams, "value"),
    ({"conjunction": "and", "filters": [f("segment", "in", "train")]}, InvalidParams, "value"),
    ({"conjunction": "and", "filters": [f("category", "in", ["a"])]}, ParamsMissing,
     "labelType"),
    ({"conjunction": "and", "filters": ["size"]}, InvalidParams, "object"),
    ({"conjunction": "and", "unit": "pixel", "filters": [f("size", "=", 1)]}, InvalidParams,
     "unit"),
]


@pytest.mark.parametrize(("arguments", "error", "word"), BAD)
def test_bad_filters_are_refused(arguments: dict[str, Any], error: type[Exception],
                                 word: str) -> None:
    with pytest.raises(error, match=word):
        check_filters(arguments, fusion=True)


def test_unit_frame_is_for_fusion_datasets() -> None:
    arguments = {"conjunction": "and", "unit": "frame", "filters": [f("size", "=", 1)]}
    check_filters(arguments, fusion=True)
    with pytest.raises(InvalidParams, match="fusion"):
        check_filters(arguments, fusion=False)
