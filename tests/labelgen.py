"""Hypothesis strategies for labels of every non-mask type of spec 4.1 and a catalog they conform
to (spec 4.2), as JSON (the SDK builds its objects from it with `Label.loads`).

What they vary: categories with dots (`categoryDelimiter` "."), any unicode (lone surrogates
too), attribute values of every JSON kind, instance ids on tracking types, ints vs floats (1 vs
1.0, -0.0, huge and tiny floats, ints beyond 2**53) in every coordinate, keypoints with and
without visible flags, sentence words with and without begin/end, Bézier point types.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Json = dict[str, Any]
Draw = Callable[..., Any]


def _as_json_carries(text: str) -> str:
    """`text` as JSON carries it: an escaped surrogate pair reads back as one character."""
    loaded: str = json.loads(json.dumps(text))
    return loaded


#: Any unicode, lone surrogates and line breaks included.
TEXT = st.text(st.characters(codec=None, categories=None), max_size=6).map(_as_json_carries)
NAME = TEXT.filter(bool)
#: 1 and 1.0 stay distinct; -0.0, 5e-324, 1.7e308 and 2**60 must come back as they were.
NUMBER = (st.integers(-(10**20), 10**20) | st.floats(allow_nan=False, allow_infinity=False)
          | st.sampled_from([0, 0.0, -0.0, 1, 1.0, 2**53 + 1, 5e-324, 1.7976931348623157e308]))
SCALAR = st.none() | st.booleans() | NUMBER | TEXT
#: Attribute values: every JSON kind a catalog rule can type.
VALUE = SCALAR | st.lists(SCALAR, max_size=3)

#: Wire keys of the list types, by label type.
LIST_TYPES = ("BOX2D", "BOX3D", "POLYGON", "MULTI_POLYGON", "RLE", "POLYLINE2D",
              "MULTI_POLYLINE2D", "KEYPOINTS2D", "SENTENCE")
TRACKING = ("BOX2D", "BOX3D", "POLYGON", "MULTI_POLYGON", "RLE", "POLYLINE2D",
            "MULTI_POLYLINE2D", "KEYPOINTS2D")


@dataclass(frozen=True)
class Rules:
    """What one example's catalog allows: categories and attribute names, tracking per type,
    Bézier polylines, the keypoint count, sample-indexed sentences (a sample rate), attribute
    rules as `enum`s and bounds (else as types)."""

    categories: list[str]
    attributes: list[str]
    tracking: frozenset[str]
    beizer: bool
    keypoints: int
    rotation_ints: bool
    sample_rate: int | float | None
    enums: bool


@st.composite
def rules(draw: Draw, rotation_ints: bool = True) -> Rules:
    """`rotation_ints`: Box3D rotations may be ints (the SDK reads them as floats, so a label
    written with them does not come back as written)."""
    parts = st.lists(NAME.filter(lambda text: "." not in text), min_size=1, max_size=3)
    categories = draw(st.lists(parts.map(".".join), min_size=1, max_size=4, unique=True))
    attributes = draw(st.lists(NAME, min_size=1, max_size=4, unique=True))
    tracking = frozenset(draw(st.lists(st.sampled_from(TRACKING), unique=True)))
    sample_rate = draw(st.none() | st.sampled_from([16000, 44100.0]))
    return Rules(categories, attributes, tracking, draw(st.booleans()),
                 draw(st.integers(1, 4)), rotation_ints, sample_rate, draw(st.booleans()))


# labels ----------------------------------------------------------------------------------
def _point(draw: Draw) -> Json:
    return {"x": draw(NUMBER), "y": draw(NUMBER)}


def _points(draw: Draw, count: int | None = None) -> list[Json]:
    size = count if count is not None else draw(st.integers(0, 4))
    return [_point(draw) for _ in range(size)]


def _common(draw: Draw, rules: Rules, kind: str, category: bool = True) -> Json:
    """The optional fields every instance may have: category, attributes, instance id."""
    fields: Json = {}
    if category and draw(st.booleans()):
        fields["category"] = draw(st.sampled_from(rules.categories))
    names = draw(st.lists(st.sampled_from(rules.attributes), unique=True, max_size=3))
    if names or draw(st.integers(0, 9)) == 0:  # the SDK keeps empty attributes as loaded
        fields["attributes"] = {name: draw(VALUE) for name in names}
    if kind in rules.tracking and draw(st.booleans()):
        fields["instance"] = draw(st.sampled_from(["", "0", "12345"]) | NAME)
    return fields


def _box2d(draw: Draw, rules: Rules) -> Json:
    box = {key: draw(NUMBER) for key in ("xmin", "ymin", "xmax", "ymax")}
    return {"box2d": box, **_common(draw, rules, "BOX2D")}


def _box3d(draw: Draw, rules: Rules) -> Json:
    angle = NUMBER if rules.rotation_ints else st.floats(allow_nan=False, allow_infinity=False)
    box = {
        "translation": {axis: draw(NUMBER) for axis in "xyz"},
        "rotation": {axis: draw(angle) for axis in "wxyz"},
        "size": {axis: draw(NUMBER) for axis in "xyz"},
    }
    return {"box3d": box, **_common(draw, rules, "BOX3D")}


def _polygon(draw: Draw, rules: Rules) -> Json:
    return {"polygon": _points(draw), **_common(draw, rules, "POLYGON")}


def _multi_polygon(draw: Draw, rules: Rules) -> Json:
    parts = [_points(draw) for _ in range(draw(st.integers(0, 3)))]
    return {"multiPolygon": parts, **_common(draw, rules, "MULTI_POLYGON")}


def _rle(draw: Draw, rules: Rules) -> Json:
    runs = draw(st.lists(st.integers(0, 2**40), max_size=6))
    return {"rle": runs, **_common(draw, rules, "RLE")}


def _polyline(draw: Draw, rules: Rules) -> Json:
    points = _points(draw)
    label: Json = {"polyline2d": points}
    if rules.beizer:
        label["beizerPointTypes"] = "".join(draw(st.sampled_from("LC")) for _ in points)
    return {**label, **_common(draw, rules, "POLYLINE2D")}


def _multi_polyline(draw: Draw, rules: Rules) -> Json:
    lines = [_points(draw) for _ in range(draw(st.integers(0, 3)))]
    return {"multiPolyline2d": lines, **_common(draw, rules, "MULTI_POLYLINE2D")}


def _keypoints(draw: Draw, rules: Rules) -> Json:
    points = _points(draw, rules.keypoints)
    for point in points:
        if draw(st.booleans()):
            point["v"] = draw(st.integers(0, 2))
    return {"keypoints2d": points, **_common(draw, rules, "KEYPOINTS2D")}


def _words(draw: Draw) -> list[Json]:
    words = []
    for _ in range(draw(st.integers(0, 3))):
        word: Json = {"text": draw(TEXT)}
        for key in ("begin", "end"):
            if draw(st.booleans()):
                word[key] = draw(NUMBER)
        words.append(word)
    return words


def _sentence(draw: Draw, rules: Rules) -> Json:
    label = {key: _words(draw) for key in ("sentence", "spell", "phone") if draw(st.booleans())}
    return {**label, **_common(draw, rules, "SENTENCE", category=False)}


_MAKERS: dict[str, Callable[[Draw, Rules], Json]] = {
    "BOX2D": _box2d, "BOX3D": _box3d, "POLYGON": _polygon, "MULTI_POLYGON": _multi_polygon,
    "RLE": _rle, "POLYLINE2D": _polyline, "MULTI_POLYLINE2D": _multi_polyline,
    "KEYPOINTS2D": _keypoints, "SENTENCE": _sentence,
}


@st.composite
def label(draw: Draw, rules: Rules) -> Json:
    """One item's label: a classification and/or lists of any of the other types (empty ones
    too: the SDK keeps `[]` and `{}` as loaded)."""
    result: Json = {}
    if draw(st.booleans()):
        result["CLASSIFICATION"] = _common(draw, rules, "CLASSIFICATION")
    for kind in draw(st.lists(st.sampled_from(LIST_TYPES), unique=True, max_size=4)):
        count = draw(st.integers(0, 2) if draw(st.integers(0, 9)) == 0 else st.integers(1, 2))
        result[kind] = [_MAKERS[kind](draw, rules) for _ in range(count)]
    return result


@st.composite
def labelled_items(draw: Draw, rotation_ints: bool = True, max_items: int = 8
                   ) -> tuple[dict[str, Json], Json]:
    """({remote path: label}, catalog): a few items, every label conforming to the catalog."""
    example = draw(rules(rotation_ints))
    count = draw(st.integers(2, max_items))
    labels = {f"item{index:02d}.txt": draw(label(example)) for index in range(count)}
    return labels, catalog_for(example, labels.values())


# catalog ---------------------------------------------------------------------------------
_KINDS: dict[type, str] = {type(None): "null", bool: "boolean", int: "integer", float: "number",
                           str: "string", list: "array"}


def _distinct(values: list[Any]) -> list[Any]:
    """The values once each, 1, 1.0 and True being three values."""
    seen: dict[bytes, Any] = {}
    for value in values:
        seen.setdefault(json.dumps([type(value).__name__, value]).encode(), value)
    return list(seen.values())


def _attribute_rule(name: str, values: list[Any], enums: bool) -> Json:
    """A rule every value given passes: with `enums`, the values as an `enum` (scalars) or
    number bounds (numbers); else the JSON types seen (with an `items` rule for lists)."""
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if enums and not any(isinstance(value, list) for value in values):
        return {"name": name, "enum": _distinct(values)}
    kinds = sorted({_KINDS[type(value)] for value in values})
    rule: Json = {"name": name, "type": kinds[0] if len(kinds) == 1 else kinds}
    if enums and numbers and len(numbers) == len(values):
        rule.update(minimum=min(numbers), maximum=max(numbers))
    if "array" in kinds:
        elements = [item for value in values if isinstance(value, list) for item in value]
        items = sorted({_KINDS[type(item)] for item in elements}) or ["null"]
        rule["items"] = {"type": items[0] if len(items) == 1 else items}
    return rule


def catalog_for(rules: Rules, labels: Any) -> Json:
    """The catalog: every label type used, with its categories, attribute rules, tracking."""
    used: dict[str, dict[str, list[Any]]] = {}
    for item in labels:
        for kind, value in item.items():
            seen = used.setdefault(kind, {})
            for instance in value if isinstance(value, list) else [value]:
                for name, attribute in instance.get("attributes", {}).items():
                    seen.setdefault(name, []).append(attribute)
    catalog: Json = {}
    for kind, attributes in sorted(used.items()):
        sub: Json = {}
        if kind in rules.tracking:
            sub["isTracking"] = True
        if kind == "POLYLINE2D" and rules.beizer:
            sub["isBeizerCurve"] = True
        if kind == "KEYPOINTS2D":
            sub["keypoints"] = [{"number": rules.keypoints, "visible": "TERNARY"}]
        if kind == "SENTENCE" and rules.sample_rate is not None:
            sub.update(isSample=True, sampleRate=rules.sample_rate,
                       lexicon=[["mean", "m", "iy", "n"], [rules.categories[0], "é"]])
        if kind != "SENTENCE":
            sub["categoryDelimiter"] = "."
            sub["categories"] = [{"name": name} for name in rules.categories]
        if attributes:
            sub["attributes"] = [_attribute_rule(name, values, rules.enums)
                                 for name, values in attributes.items()]
        catalog[kind] = sub
    return catalog


# masks -----------------------------------------------------------------------------------
MASKS = ("SEMANTIC_MASK", "INSTANCE_MASK", "PANOPTIC_MASK")
#: The category ids of the mask catalog below (pixel values).
MASK_CATEGORIES = {0: "background", 1: "cat.big", 2: "猫"}
#: The mask attributes an info entry may carry, of any JSON kind (rules: any type).
MASK_ATTRIBUTES = ("occluded", "score.é")
#: The classification the tests give masked items (so a catalog entry exists for it).
MASKED_CATEGORY = "edited.yes"


def _mask_attributes(draw: Draw) -> Json:
    names = draw(st.lists(st.sampled_from(MASK_ATTRIBUTES), unique=True))
    return {name: draw(VALUE) for name in names}


@st.composite
def mask(draw: Draw, kind: str) -> Json:
    """One mask as the scenario builds it: `content` (the image's bytes, in hex) and the SDK's
    `all_attributes` / `all_category_ids` by id (JSON object keys: ids as strings)."""
    result: Json = {"content": (b"\x89PNG\r\n\x1a\n" + draw(st.binary(max_size=24))).hex()}
    ids = st.sampled_from(sorted(MASK_CATEGORIES)) if kind == "SEMANTIC_MASK" else st.integers(
        0, 2**31)
    keys = draw(st.lists(ids, unique=True, max_size=3))
    if kind == "PANOPTIC_MASK":
        result["categories"] = {str(key): draw(st.sampled_from(sorted(MASK_CATEGORIES)))
                                for key in keys}
        if keys and draw(st.booleans()):  # the SDK: attributes for every instance or for none
            result["attributes"] = {str(key): _mask_attributes(draw) for key in keys}
    elif draw(st.booleans()):
        result["attributes"] = {str(key): _mask_attributes(draw) for key in keys}
    return result


@st.composite
def masked_items(draw: Draw, max_items: int = 4) -> tuple[dict[str, Json], Json]:
    """({remote path: {mask type: mask}}, catalog): items with one to three masks each."""
    items = {}
    for index in range(draw(st.integers(2, max_items))):
        kinds = draw(st.lists(st.sampled_from(MASKS), min_size=1, unique=True))
        items[f"img{index:02d}.txt"] = {kind: draw(mask(kind)) for kind in kinds}
    categories = [{"name": name, "categoryId": key} for key, name in MASK_CATEGORIES.items()]
    scalars = ["boolean", "integer", "null", "number", "string"]
    rules = [{"name": name, "type": ["array", *scalars], "items": {"type": scalars}}
             for name in MASK_ATTRIBUTES]
    catalog: Json = {kind: {"categories": categories, "attributes": rules} for kind in MASKS}
    catalog["CLASSIFICATION"] = {"categoryDelimiter": ".",
                                 "categories": [{"name": MASKED_CATEGORY}]}
    return items, catalog
