"""The metadata store contract, run against the in-memory and the on-disk SQLite store and the
PostgreSQL store alike; then what only several processes on PostgreSQL can show."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from engines import PostgresCluster

from gasvc.model.names import ROOT_COMMIT
from gasvc.server.meta import MetaStore, MetaTx, SqliteMetaStore, TransactionConflict, open_meta
from gasvc.server.meta.fuzzy import like_pattern
from gasvc.server.meta.schema import MIGRATIONS
from gasvc.server.records import Commit, Dataset, Draft, Job, StorageConfig, User

ALICE = User("u-alice", "alice", "alice@example.com")
BOB = User("u-bob", "bob", "")
NOW = 1_700_000_000


@pytest.fixture(params=["memory", "disk", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetaStore]:
    if request.param == "postgresql":
        opened = open_meta(request.getfixturevalue("pg_cluster").new_database())
    else:
        opened = open_meta(":memory:" if request.param == "memory"
                           else str(tmp_path / "meta.sqlite"))
    yield opened
    opened.close()


@pytest.fixture
def tx(store: MetaStore) -> Iterator[MetaTx]:
    """One write transaction with alice and bob, committed when the test ends."""
    with store.write() as tx:
        tx.add_user(ALICE, NOW)
        tx.add_user(BOB, NOW)
        yield tx


def dataset(owner: User, name: str, *, public: bool = False) -> Dataset:
    return Dataset(f"d-{owner.name}-{name}", owner.id, name, 0, "", public, "", "main", NOW)


def commit(number: int, parent: str) -> Commit:
    return Commit(f"{number:032x}", parent, f"root{number}", f"c{number}", "", "alice",
                  NOW + number, number)


def draft(number: int, branch: str = "main", status: str = "OPEN") -> Draft:
    return Draft(number, branch, ROOT_COMMIT, f"d{number}", "", status, "alice", NOW, NOW, "{}")


def names(page: tuple[list[Dataset], int]) -> list[tuple[str, str]]:
    return [(d.owner_id, d.name) for d in page[0]]


# users, keys, settings, storage configs ------------------------------------------------
def test_users_and_keys(tx: MetaTx) -> None:
    tx.add_key(ALICE.id, "hash-1", NOW)
    tx.add_key(ALICE.id, "hash-2", NOW)
    assert tx.user_by_key("hash-1") == ALICE
    assert tx.user_by_key("hash-2") == ALICE
    assert tx.user_by_key("hash-3") is None
    assert tx.user_by_name("bob") == BOB
    assert tx.user_by_name("carol") is None


def test_settings(tx: MetaTx) -> None:
    assert tx.setting("url_secret") is None
    tx.set_setting("url_secret", "a")
    tx.set_setting("url_secret", "b")
    assert tx.setting("url_secret") == "b"


def test_storage_configs(tx: MetaTx) -> None:
    for name in ("s3-b", "s3-a", "oss"):
        tx.add_config(ALICE.id, StorageConfig(name, "s3", "/bucket", "{}"))
    assert [c.name for c in tx.list_configs(ALICE.id, None, 0, 10)[0]] == ["oss", "s3-a", "s3-b"]
    assert tx.list_configs(BOB.id, None, 0, 10) == ([], 0)
    found, total = tx.list_configs(ALICE.id, "s3", 0, 1)
    assert ([c.name for c in found], total) == (["s3-a"], 2)
    assert tx.config(ALICE.id, "oss") == StorageConfig("oss", "s3", "/bucket", "{}")
    assert tx.delete_config(ALICE.id, "oss")
    assert not tx.delete_config(ALICE.id, "oss")
    assert tx.config(ALICE.id, "oss") is None


# datasets ------------------------------------------------------------------------------
def test_dataset_crud(tx: MetaTx) -> None:
    ds = dataset(ALICE, "cats")
    tx.add_dataset(ds, NOW)
    assert tx.dataset(ds.id) == ds
    assert tx.dataset_by_name(ALICE.id, "cats") == ds
    assert tx.dataset_by_name(BOB.id, "cats") is None
    tx.update_dataset(ds.id, NOW + 5, name="dogs", alias="Dogs", is_public=1)
    assert tx.dataset(ds.id) == Dataset(ds.id, ALICE.id, "dogs", 0, "Dogs", True, "", "main",
                                        NOW + 5)
    tx.touch_dataset(ds.id, NOW + 9)
    updated = tx.dataset(ds.id)
    assert updated is not None and updated.updated == NOW + 9
    tx.add_branch(ds.id, "main", ROOT_COMMIT)
    tx.add_draft(ds.id, draft(1))
    tx.delete_dataset(ds.id)
    assert tx.dataset(ds.id) is None
    assert tx.branch(ds.id, "main") is None
    assert tx.draft(ds.id, 1) is None


def test_list_datasets_own_and_public_exact_name_first(tx: MetaTx) -> None:
    for owner, name, public in [
        (ALICE, "mycats", False), (ALICE, "cats_2", False), (ALICE, "cats", False),
        (BOB, "bobcats", True), (BOB, "cats", True), (BOB, "secretcats", False),
        (BOB, "dogs", True),
    ]:
        tx.add_dataset(dataset(owner, name, public=public), NOW)
    expected = [(ALICE.id, "cats"), (BOB.id, "cats"), (ALICE.id, "cats_2"),
                (ALICE.id, "mycats"), (BOB.id, "bobcats")]
    assert names(tx.list_datasets(ALICE.id, "cats", 0, 10)) == expected
    assert tx.list_datasets(ALICE.id, "cats", 0, 10)[1] == 5
    assert names(tx.list_datasets(ALICE.id, "cats", 1, 2)) == expected[1:3]
    assert tx.list_datasets(ALICE.id, "cats", 1, 2)[1] == 5
    # without a filter: every visible dataset, own first, then by name
    everything = names(tx.list_datasets(ALICE.id, None, 0, 10))
    assert everything == [(ALICE.id, "cats"), (ALICE.id, "cats_2"), (ALICE.id, "mycats"),
                          (BOB.id, "bobcats"), (BOB.id, "cats"), (BOB.id, "dogs")]
    # bob sees his own private dataset but none of alice's
    assert names(tx.list_datasets(BOB.id, "cats", 0, 10)) == [
        (BOB.id, "cats"), (BOB.id, "bobcats"), (BOB.id, "secretcats")]


def test_draft_numbers_count_per_dataset(tx: MetaTx) -> None:
    one, two = dataset(ALICE, "one"), dataset(ALICE, "two")
    tx.add_dataset(one, NOW)
    tx.add_dataset(two, NOW)
    assert [tx.next_draft_number(one.id) for _ in range(3)] == [1, 2, 3]
    assert tx.next_draft_number(two.id) == 1


# fuzzy names (spec 1.9) ----------------------------------------------------------------
SEED_NAMES = ["graviti_1", "great_graviti_1", "graviti%1"]
SEED_EXAMPLES = [
    ("graviti", {"graviti_1", "great_graviti_1", "graviti%1"}),
    ("graviti\\_%", {"graviti_1"}),  # the seed also lists great_graviti_1: its own error (1.9)
    ("graviti\\_", set()),
    ("graviti%", {"graviti_1", "graviti%1"}),
    ("graviti\\%%", {"graviti%1"}),
    ("graviti\\%", set()),
    ("graviti\\%1", {"graviti%1"}),
    ("%graviti", set()),
]


@pytest.mark.parametrize(("query", "expected"), SEED_EXAMPLES)
def test_fuzzy_seed_examples_through_the_store(
    tx: MetaTx, query: str, expected: set[str]
) -> None:
    for name in SEED_NAMES:
        tx.add_dataset(dataset(ALICE, name), NOW)
        tx.add_tag("d", name, ROOT_COMMIT)
        tx.add_config(ALICE.id, StorageConfig(name, "s3", "", "{}"))
    found, total = tx.list_datasets(ALICE.id, query, 0, 10)
    assert {d.name for d in found} == expected and total == len(expected)
    refs, total = tx.list_tags("d", query, 0, 10)
    assert {r.name for r in refs} == expected and total == len(expected)
    configs, total = tx.list_configs(ALICE.id, query, 0, 10)
    assert {c.name for c in configs} == expected and total == len(expected)


@pytest.mark.parametrize(("query", "pattern", "exact"), [
    ("graviti", "%graviti%", "graviti"),
    ("graviti%", "graviti%", "graviti%"),
    ("graviti\\_", "graviti\\_", "graviti_"),
    ("graviti\\%%", "graviti\\%%", "graviti%%"),
    ("back\\slash", "%back\\\\slash%", "back\\slash"),
])
def test_like_pattern(query: str, pattern: str, exact: str) -> None:
    assert like_pattern(query) == (pattern, exact)


def test_fuzzy_is_case_sensitive_and_treats_backslash_literally(tx: MetaTx) -> None:
    for name in ("Cats", "a\\b"):
        tx.add_dataset(dataset(ALICE, name), NOW)
    assert names(tx.list_datasets(ALICE.id, "cats", 0, 10)) == []
    assert names(tx.list_datasets(ALICE.id, "a\\b", 0, 10)) == [(ALICE.id, "a\\b")]


# branches and tags ---------------------------------------------------------------------
def test_refs_list_in_name_order_exact_first(tx: MetaTx) -> None:
    for name in ("main", "dev2", "feature/x", "dev"):
        tx.add_branch("d", name, ROOT_COMMIT)
    for name in ("v10", "v1.1", "v1"):
        tx.add_tag("d", name, "c" * 32)
    branches, total = tx.list_branches("d", None, 0, 10)
    assert [r.name for r in branches] == ["dev", "dev2", "feature/x", "main"] and total == 4
    assert [r.name for r in tx.list_branches("d", "dev", 0, 10)[0]] == ["dev", "dev2"]
    assert [r.name for r in tx.list_tags("d", "v1", 0, 10)[0]] == ["v1", "v1.1", "v10"]
    page, total = tx.list_tags("d", "v1", 1, 1)
    assert [r.name for r in page] == ["v1.1"] and total == 3
    assert tx.list_tags("other", None, 0, 10) == ([], 0)
    assert tx.tags_at("d", "c" * 32) == ["v1", "v1.1", "v10"]
    assert tx.tags_at("d", ROOT_COMMIT) == []


def test_ref_get_and_delete(tx: MetaTx) -> None:
    tx.add_tag("d", "v1", "c" * 32)
    tag = tx.tag("d", "v1")
    assert tag is not None and tag.commit_id == "c" * 32
    assert tx.branch("d", "v1") is None
    assert tx.delete_tag("d", "v1")
    assert not tx.delete_tag("d", "v1")
    assert tx.tag("d", "v1") is None


def test_move_branch_is_compare_and_swap(tx: MetaTx) -> None:
    first, second = "1" * 32, "2" * 32
    tx.add_branch("d", "main", ROOT_COMMIT)
    assert tx.move_branch("d", "main", ROOT_COMMIT, first)
    assert not tx.move_branch("d", "main", ROOT_COMMIT, second)  # stale expected head
    head = tx.branch("d", "main")
    assert head is not None and head.commit_id == first
    assert tx.move_branch("d", "main", first, second)
    assert not tx.move_branch("d", "nope", ROOT_COMMIT, first)


# commits -------------------------------------------------------------------------------
def test_commits_and_ancestors_newest_first(tx: MetaTx) -> None:
    chain = [commit(1, ROOT_COMMIT)]
    for number in range(2, 6):
        chain.append(commit(number, chain[-1].id))
    for c in chain:
        tx.add_commit("d", c)
    tx.add_commit("other", commit(9, ROOT_COMMIT))
    newest = chain[-1].id
    assert tx.commit("d", chain[2].id) == chain[2]
    assert tx.commit("other", chain[2].id) is None
    assert tx.ancestors("d", newest, 0, 2) == [chain[4], chain[3]]
    assert tx.ancestors("d", newest, 2, 2) == [chain[2], chain[1]]
    assert tx.ancestors("d", newest, 4, 10) == [chain[0]]
    assert tx.ancestors("d", newest, 5, 10) == []
    assert tx.ancestors("d", chain[1].id, 0, 10) == [chain[1], chain[0]]
    assert tx.ancestors("d", "f" * 32, 0, 10) == []


def test_only_a_commit_nothing_is_built_on_is_dropped(tx: MetaTx) -> None:
    """drop_unused_commit (old search results): a commit a branch, tag, draft or commit names
    stays."""
    base = commit(1, ROOT_COMMIT)
    kept = {"branch": commit(2, base.id), "tag": commit(3, base.id),
            "draft": commit(4, base.id), "parent": commit(5, base.id)}
    loose = commit(6, base.id)
    for c in (base, *kept.values(), loose, commit(7, kept["parent"].id)):
        tx.add_commit("d", c)
    tx.add_branch("d", "b", kept["branch"].id)
    tx.add_tag("d", "t", kept["tag"].id)
    tx.add_draft("d", Draft(1, "b", kept["draft"].id, "d1", "", "OPEN", "alice", NOW, NOW, "{}"))
    tx.add_commit("other", loose)  # another dataset's commit of the same id stays
    for c in kept.values():
        assert not tx.drop_unused_commit("d", c.id)
        assert tx.commit("d", c.id) == c
    assert tx.drop_unused_commit("d", loose.id)
    assert tx.commit("d", loose.id) is None and tx.commit("other", loose.id) == loose
    assert not tx.drop_unused_commit("d", loose.id)  # gone already


def test_search_results_newest_first_and_found_by_commit(tx: MetaTx) -> None:
    def search(job_id: str, finished: int, commit_id: str | None) -> Job:
        result = None if commit_id is None else json.dumps(
            {"searchResultId": "d", "searchResultCommitId": commit_id})
        return Job(job_id, "d", "basicSearch", "t", "", "{}",
                   "SUCCESS" if result else "FAILED", "", result, "alice", 1, 1, finished)

    jobs = [search("j1", 10, "1" * 32), search("j2", 30, "2" * 32), search("j3", 20, "3" * 32),
            search("j4", 40, None)]
    for seq, found in enumerate(jobs):
        tx.add_job(found, seq)
    tx.add_job(Job("m", "d", "squashAndMerge", "t", "", "{}", "SUCCESS", "", "{}", "alice",
                   1, 1, 50), 9)
    assert [job.id for job in tx.search_results("d")] == ["j2", "j3", "j1"]
    assert tx.search_results("other") == []
    found = tx.search_of_result("d", "3" * 32)
    assert found is not None and found.id == "j3"
    assert tx.search_of_result("d", "4" * 32) is None
    assert tx.search_of_result("other", "3" * 32) is None
    assert tx.search_of_result("d", "%") is None  # no pattern: only ids the server makes
    assert tx.update_job("j3", result_dropped=1)  # its result dealt with: not listed again
    assert [job.id for job in tx.search_results("d")] == ["j2", "j1"]
    assert tx.search_of_result("d", "3" * 32) == found  # still found by its result's id


def test_commits_with_prefix(tx: MetaTx) -> None:
    a = Commit("abc" + "0" * 29, ROOT_COMMIT, "r", "t", "", "alice", NOW, 1)
    b = Commit("abd" + "0" * 29, ROOT_COMMIT, "r", "t", "", "alice", NOW, 1)
    tx.add_commit("d", a)
    tx.add_commit("d", b)
    assert tx.commits_with_prefix("d", "abc") == [a]
    assert tx.commits_with_prefix("d", "ab") == [a, b]
    assert tx.commits_with_prefix("d", "abe") == []


# drafts and their changes ---------------------------------------------------------------
def test_drafts_list_by_status_and_branch(tx: MetaTx) -> None:
    tx.add_draft("d", draft(1))
    tx.add_draft("d", draft(2, "dev"))
    tx.add_draft("d", draft(3, status="CLOSED"))
    tx.add_draft("d", draft(4))
    tx.add_draft("other", draft(1))
    assert tx.draft("d", 2) == draft(2, "dev")
    assert tx.draft("d", 9) is None

    def numbers(status: str | None, branch: str | None, offset: int = 0, limit: int = 10
                ) -> tuple[list[int], int]:
        found, total = tx.list_drafts("d", status, branch, offset, limit)
        return [d.number for d in found], total

    assert numbers(None, None) == ([1, 2, 3, 4], 4)
    assert numbers("OPEN", None) == ([1, 2, 4], 3)
    assert numbers("OPEN", "main") == ([1, 4], 2)
    assert numbers(None, "dev") == ([2], 1)
    assert numbers("CLOSED", "dev") == ([], 0)
    assert numbers("OPEN", None, 1, 1) == ([2], 3)
    tx.update_draft("d", 1, status="COMMITTED", title="new", updated=NOW + 1, state='{"x":1}')
    changed = tx.draft("d", 1)
    assert changed is not None
    assert (changed.status, changed.title, changed.updated, changed.state) == (
        "COMMITTED", "new", NOW + 1, '{"x":1}')
    assert numbers("COMMITTED", None) == ([1], 1)


def test_draft_changes(tx: MetaTx) -> None:
    tx.put_change("d", 1, "seg", "b.jpg", '["b"]')
    tx.put_change("d", 1, "seg", "a.jpg", '["a"]')
    tx.put_change("d", 1, "seg", "c.jpg", None)
    tx.put_change("d", 1, "other", "x.jpg", '["x"]')
    tx.put_change("d", 2, "seg", "z.jpg", '["z"]')
    tx.put_change("d", 1, "seg", "b.jpg", '["b2"]')  # replaces
    assert tx.change("d", 1, "seg", "b.jpg") == (True, '["b2"]')
    assert tx.change("d", 1, "seg", "c.jpg") == (True, None)  # a deletion
    assert tx.change("d", 1, "seg", "z.jpg") == (False, None)
    assert [tuple(row) for row in tx.changes("d", 1, "seg")] == [
        ("a.jpg", '["a"]'), ("b.jpg", '["b2"]'), ("c.jpg", None)]
    assert sorted(tx.changed_segments("d", 1)) == ["other", "seg"]
    tx.clear_changes("d", 1, "seg")
    assert tx.changed_segments("d", 1) == ["other"]
    tx.clear_changes("d", 1)
    assert tx.changed_segments("d", 1) == []
    assert [tuple(row) for row in tx.changes("d", 2, "seg")] == [("z.jpg", '["z"]')]


# objects, version stats ------------------------------------------------------------------
def test_objects(tx: MetaTx) -> None:
    assert tx.get_object("h1") is None and not tx.has_object("h1")
    tx.put_object("h1", b"\x00data")
    tx.put_object("h1", b"ignored: ids are content hashes")
    assert tx.get_object("h1") == b"\x00data" and tx.has_object("h1")


def test_version_stats(tx: MetaTx) -> None:
    assert tx.version_stat("d", "root", "labels") is None
    tx.set_version_stat("d", "root", "labels", "{}")
    tx.set_version_stat("d", "root", "labels", '{"a":1}')
    assert tx.version_stat("d", "root", "labels") == '{"a":1}'
    assert tx.version_stat("other", "root", "labels") is None


def test_blob_grants_record_sizes(tx: MetaTx) -> None:
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    tx.grant_blob("d", a, 5)
    assert tx.has_blob("d", a) and tx.blob_size("d", a) == 5
    assert not tx.has_blob("other", a) and tx.blob_size("other", a) is None
    tx.grant_blob("d", b, None)  # as granted before sizes were recorded
    assert tx.has_blob("d", b) and tx.blob_size("d", b) is None
    tx.grant_blob("d", b, 7)  # recorded once known
    tx.grant_blob("d", b, None)
    tx.grant_blob("d", b, 9)  # a recorded size stays
    assert tx.blob_size("d", b) == 7
    assert tx.missing_blobs("d", [c, a, b]) == [c]


# transactions ------------------------------------------------------------------------------
def test_rolled_back_transaction_leaves_nothing(store: MetaStore) -> None:
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.add_user(ALICE, NOW)
        tx.add_dataset(dataset(ALICE, "cats"), NOW)
        tx.add_branch("d", "main", ROOT_COMMIT)
        tx.put_object("h1", b"x")
        tx.put_change("d", 1, "seg", "a", "1")
        raise RuntimeError("abort")
    with store.read() as tx:
        assert tx.user_by_name("alice") is None
        assert tx.dataset_by_name(ALICE.id, "cats") is None
        assert tx.branch("d", "main") is None
        assert not tx.has_object("h1")
        assert tx.changed_segments("d", 1) == []
    with store.write() as tx:  # the store is usable after a rollback
        tx.add_user(ALICE, NOW)
    with store.read() as tx:
        assert tx.user_by_name("alice") == ALICE


def test_committed_transaction_is_visible_to_later_ones(store: MetaStore) -> None:
    with store.write() as tx:
        tx.add_user(ALICE, NOW)
    with store.read() as tx:
        assert tx.user_by_name("alice") == ALICE


def test_on_disk_store_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "meta.sqlite"
    with SqliteMetaStore(path).write() as tx:
        tx.add_user(ALICE, NOW)
        tx.put_object("h1", b"x")
    with SqliteMetaStore(path).read() as tx:
        assert tx.user_by_name("alice") == ALICE
        assert tx.get_object("h1") == b"x"


def test_run_runs_a_conflicting_transaction_again(store: MetaStore) -> None:
    calls: list[int] = []

    def add_alice(tx: MetaTx) -> str:
        tx.add_user(ALICE, NOW)
        calls.append(1)
        if len(calls) == 1:
            raise TransactionConflict()  # as the database would: rolled back, run again
        return "done"

    assert store.run(add_alice) == "done" and len(calls) == 2
    with store.read() as tx:
        assert tx.user_by_name("alice") == ALICE


def test_settings_keep_the_first_value_added(store: MetaStore) -> None:
    assert store.run(lambda tx: tx.add_setting("url_secret", "first")) == "first"
    assert store.run(lambda tx: tx.add_setting("url_secret", "second")) == "first"


# migrations --------------------------------------------------------------------------------
def ledger(store: MetaStore) -> list[int]:
    with store.read() as tx:
        rows = tx._all("SELECT version FROM schema_migrations ORDER BY version")  # type: ignore[attr-defined]
    return [int(r[0]) for r in rows]


def test_every_step_is_recorded_once(store: MetaStore) -> None:
    assert ledger(store) == list(range(1, len(MIGRATIONS) + 1))


def test_a_database_from_before_the_ledger_is_adopted(tmp_path: Path) -> None:
    """A SQLite file migrated by `PRAGMA user_version` alone keeps its data; the later steps
    are applied and every step is entered in the ledger."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("INSERT INTO users VALUES ('u', 'old', '', 1)")
        conn.execute("PRAGMA user_version = 1")
    store = SqliteMetaStore(path)
    assert ledger(store) == list(range(1, len(MIGRATIONS) + 1))
    with store.read() as tx:
        assert tx.user_by_name("old") == User("u", "old", "")
        assert tx.missing_blobs("d", ["a" * 40]) == ["a" * 40]  # step 2's table is there


def test_grants_from_before_sizes_were_recorded_stay(tmp_path: Path,
                                                     pg_cluster: PostgresCluster) -> None:
    """Step 3 adds blob sizes; grants made before it keep working, with no size recorded."""
    import psycopg

    from gasvc.server.meta.schema import postgres_ddl, statements

    path, url = tmp_path / "old.sqlite", pg_cluster.new_database()
    with sqlite3.connect(path) as conn:
        conn.executescript(MIGRATIONS[0] + MIGRATIONS[1])
        conn.execute("INSERT INTO dataset_blobs VALUES ('d', ?)", ("a" * 40,))
        conn.execute("PRAGMA user_version = 2")
    with psycopg.connect(url, autocommit=True) as conn:
        for script in MIGRATIONS[:2]:
            for statement in statements(postgres_ddl(script)):
                conn.execute(statement)
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                     " applied INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_migrations VALUES (1, 0), (2, 0)")
        conn.execute("INSERT INTO dataset_blobs VALUES ('d', %s)", ("a" * 40,))
    for opened in (SqliteMetaStore(path), open_meta(url)):
        assert ledger(opened) == list(range(1, len(MIGRATIONS) + 1))
        with opened.read() as tx:
            assert tx.has_blob("d", "a" * 40) and tx.blob_size("d", "a" * 40) is None
        opened.run(lambda tx: tx.grant_blob("d", "a" * 40, 3))
        with opened.read() as tx:
            assert tx.blob_size("d", "a" * 40) == 3
        opened.close()


def test_postgres_instances_starting_together_migrate_once(pg_cluster: PostgresCluster) -> None:
    url = pg_cluster.new_database()
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_meta(url), range(4)))
    assert ledger(stores[0]) == list(range(1, len(MIGRATIONS) + 1))
    for opened in stores:
        opened.close()


# several writers on PostgreSQL --------------------------------------------------------------
@pytest.fixture
def pg_store(pg_cluster: PostgresCluster) -> Iterator[MetaStore]:
    opened = open_meta(pg_cluster.new_database())
    yield opened
    opened.close()


def test_postgres_writers_of_one_dataset_go_one_at_a_time(pg_store: MetaStore) -> None:
    """A read-modify-write under `lock` loses no update, across connections."""
    pg_store.run(lambda tx: tx.add_dataset(dataset(ALICE, "cats"), NOW))
    ds_id = dataset(ALICE, "cats").id

    def bump(_: int) -> None:
        def once(tx: MetaTx) -> None:
            tx.lock(f"dataset:{ds_id}")
            found = tx.dataset(ds_id)
            assert found is not None
            time.sleep(0.002)  # widen the window between the read and the write
            tx.touch_dataset(ds_id, found.updated + 1)
        pg_store.run(once)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(bump, range(40)))
    with pg_store.read() as tx:
        found = tx.dataset(ds_id)
    assert found is not None and found.updated == NOW + 40


def test_postgres_deadlock_is_run_again(pg_store: MetaStore) -> None:
    """Two writers inserting the same objects in opposite orders deadlock; the database
    aborts one, and `run` runs it again: both finish, nothing lost."""
    barrier = threading.Barrier(2)
    attempts: list[str] = []

    def insert(order: list[str]) -> None:
        def once(tx: MetaTx) -> None:
            attempts.append(order[0])
            tx.put_object(order[0], b"x")
            if attempts.count(order[0]) == 1:  # the first time, both hold their first object
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=3)
            tx.put_object(order[1], b"y")
        pg_store.run(once)

    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(insert, ["h1", "h2"]), pool.submit(insert, ["h2", "h1"])]
        for future in done:
            future.result(timeout=60)
    assert len(attempts) >= 3  # one of them ran again
    with pg_store.read() as tx:
        assert tx.has_object("h1") and tx.has_object("h2")


def test_postgres_branch_move_is_compare_and_swap_across_connections(
    pg_store: MetaStore,
) -> None:
    pg_store.run(lambda tx: tx.add_branch("d", "main", ROOT_COMMIT))
    results: list[bool] = []

    def move(commit_id: str) -> None:
        results.append(pg_store.run(lambda tx: tx.move_branch("d", "main", ROOT_COMMIT,
                                                                commit_id)))

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(move, [f"{n:032x}" for n in range(1, 7)]))
    assert sorted(results) == [False] * 5 + [True]
