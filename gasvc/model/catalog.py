"""Checking a label against the dataset's catalog (spec 4.1–4.2); returns reasons, never raises.

A catalog is only JSON: its parts of the wrong type are reasons too (or, where the spec leaves
them optional, ignored), never a crash.
"""

from __future__ import annotations

from typing import Any

LIST_TYPES = ("BOX2D", "BOX3D", "POLYGON", "MULTI_POLYGON", "RLE", "POLYLINE2D",
              "MULTI_POLYLINE2D", "KEYPOINTS2D", "SENTENCE")
SINGLE_TYPES = ("CLASSIFICATION", "SEMANTIC_MASK", "INSTANCE_MASK", "PANOPTIC_MASK")
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,), "integer": (int,), "number": (int, float), "string": (str,),
    "array": (list,), "null": (type(None),),
}


def validate_label(label: dict[str, Any], catalog: dict[str, Any]) -> list[str]:
    """Why `label` breaks the catalog (empty when it conforms or there is no catalog)."""
    if not catalog:
        return []
    reasons: list[str] = []
    for kind, value in label.items():
        if kind not in LIST_TYPES and kind not in SINGLE_TYPES:
            reasons.append(f"unknown label type {kind!r}")
        elif kind not in catalog:
            reasons.append(f"label type {kind} is not in the catalog")
        elif kind in LIST_TYPES and not isinstance(value, list):
            reasons.append(f"{kind} must be a list")
        elif kind in SINGLE_TYPES and not isinstance(value, dict):
            reasons.append(f"{kind} must be an object")
        elif not isinstance(catalog[kind], dict):
            reasons.append(f"the catalog's {kind} is not an object")
        else:
            instances = value if isinstance(value, list) else [value]
            for index, instance in enumerate(instances):
                where = f"{kind}[{index}]" if isinstance(value, list) else kind
                reasons += [f"{where}: {r}" for r in _instance(instance, catalog[kind])]
    return reasons


def _instance(instance: Any, rules: dict[str, Any]) -> list[str]:
    if not isinstance(instance, dict):
        return ["must be an object"]
    reasons = []
    category = instance.get("category")
    names = {c.get("name") for c in _list(rules.get("categories")) if isinstance(c, dict)
             and isinstance(c.get("name"), str)}
    if category is not None and not isinstance(category, str):
        reasons.append("category must be a string")
    elif category is not None and names and category not in names:
        reasons.append(f"category {category!r} is not in the catalog")
    attributes = instance.get("attributes") or {}
    if not isinstance(attributes, dict):
        return [*reasons, "attributes must be an object"]
    defined = {a.get("name"): a for a in _list(rules.get("attributes")) if isinstance(a, dict)
               and isinstance(a.get("name"), str)}
    for name, value in attributes.items():
        rule = defined.get(name)
        if rule is None:
            reasons.append(f"attribute {name!r} is not in the catalog")
            continue
        parents = _list(rule.get("parentCategories"))
        if parents and category not in parents:
            reasons.append(f"attribute {name!r} does not apply to category {category!r}")
        reasons += [f"attribute {name!r}: {r}" for r in _value(value, rule)]
    return reasons


def _list(value: Any) -> list[Any]:
    """A catalog part that should be a list (anything else counts as absent)."""
    return value if isinstance(value, list) else []


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value(value: Any, rule: dict[str, Any]) -> list[str]:
    if isinstance(rule.get("enum"), list) and value not in rule["enum"]:
        return [f"{value!r} is not one of {rule['enum']}"]
    kinds = rule.get("type")
    if kinds is not None:
        kinds = [kind for kind in (kinds if isinstance(kinds, list) else [kinds])
                 if isinstance(kind, str)]
        if kinds and not any(_is(value, kind) for kind in kinds):
            return [f"{value!r} is not of type {' or '.join(kinds)}"]
    if _number(value):
        if _number(rule.get("minimum")) and value < rule["minimum"]:
            return [f"{value} is below the minimum {rule['minimum']}"]
        if _number(rule.get("maximum")) and value > rule["maximum"]:
            return [f"{value} is above the maximum {rule['maximum']}"]
    if isinstance(value, list) and isinstance(rule.get("items"), dict):
        return [r for item in value for r in _value(item, rule["items"])]
    return []


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES.get(kind, (object,)))
