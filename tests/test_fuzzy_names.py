"""`name=` filters over raw HTTP: the seed's fuzzy rules and the exact-match-first rule (spec 1.9).

The stored names are the seed's own example: `graviti_1`, `great_graviti_1`, `graviti%1`. Example
2 of the seed contradicts its own anchoring rule (spec 9.3); the rules win.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rawapi import RawApi
from serverproc import ServerProcess

STORED = ("graviti_1", "great_graviti_1", "graviti%1")
EXAMPLES = [
    ("graviti", {"graviti_1", "great_graviti_1", "graviti%1"}),
    ("graviti\\_%", {"graviti_1"}),
    ("graviti\\_", set()),
    ("graviti%", {"graviti_1", "graviti%1"}),
    ("graviti\\%%", {"graviti%1"}),
    ("graviti\\%", set()),
    ("graviti\\%1", {"graviti%1"}),
    ("%graviti", set()),
    # beyond the seed's table
    ("graviti_1", {"graviti_1", "graviti%1"}),  # '_' is a wildcard, so anchored
    ("%graviti%", {"graviti_1", "great_graviti_1", "graviti%1"}),
    ("gr__t%", {"great_graviti_1"}),
    ("GRAVITI", set()),  # names are case-sensitive, as their uniqueness is
]
IDS = [query for query, _ in EXAMPLES]


@pytest.fixture(scope="module")
def api(server: ServerProcess, alice: str) -> Iterator[RawApi]:
    with RawApi(server.api, alice, server.verify) as api:
        for name in STORED:
            api.create_dataset(name)
            api.call("POST", "storage-configs/local",
                     json={"name": name, "filePath": "p/", "endpoint": "http://127.0.0.1:9000"})
        yield api


def names(page: dict[str, Any], field: str) -> list[str]:
    assert page["totalCount"] == len(page[field]) == page["recordSize"], page
    return [item["name"] for item in page[field]]


@pytest.mark.parametrize(("query", "expected"), EXAMPLES, ids=IDS)
def test_dataset_name_filter(api: RawApi, query: str, expected: set[str]) -> None:
    found = names(api.list_datasets(query), "datasets")
    assert sorted(found) == sorted(expected)


@pytest.mark.parametrize(("query", "expected"), EXAMPLES, ids=IDS)
def test_storage_config_name_filter(api: RawApi, query: str, expected: set[str]) -> None:
    page = api.call("GET", "storage-configs", params={"name": query, "offset": 0, "limit": 128})
    assert sorted(names(page, "configs")) == sorted(expected)


def test_other_users_private_datasets_never_match(server: ServerProcess, api: RawApi,
                                                  bob: str) -> None:
    other = RawApi(server.api, bob, server.verify)
    other.create_dataset("graviti_bob")
    other.call("POST", "storage-configs/local",
               json={"name": "graviti_bob", "filePath": "p/", "endpoint": "http://x"})
    assert "graviti_bob" not in names(api.list_datasets("graviti"), "datasets")
    page = api.call("GET", "storage-configs", params={"name": "graviti", "limit": 128})
    assert "graviti_bob" not in names(page, "configs")
    assert names(other.list_datasets("graviti"), "datasets") == ["graviti_bob"]


def test_exact_name_comes_first_and_pages_stay_stable(api: RawApi) -> None:
    for name in ("a_lookup", "lookup_z", "LOOKUP", "xlookupx", "lookup"):
        api.create_dataset(name)
    page = api.list_datasets("lookup")
    found = names(page, "datasets")
    assert found[0] == "lookup"
    assert sorted(found) == sorted(["a_lookup", "lookup_z", "xlookupx", "lookup"])
    assert names(api.list_datasets("LOOKUP"), "datasets") == ["LOOKUP"]
    # one item per page, any offset: the same order
    single = [api.list_datasets("lookup", offset, 1)["datasets"][0]["name"]
              for offset in range(len(found))]
    assert single == found
    beyond = api.list_datasets("lookup", len(found), 1)
    assert beyond["datasets"] == [] and beyond["totalCount"] == len(found)
