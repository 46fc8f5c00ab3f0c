"""Datasets, storage configs and who may see or change them, through the unmodified SDK.

Spec sections 1.9 (name lookups), 2.1, 2.2 and 3.1. One server serves the whole test module, so
every scenario uses its own names (prefixed by the scenario); other scenarios' datasets may show
up in listings, so listings are checked for inclusion, not equality.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tensorbay import GAS
from tensorbay.client.dataset import DatasetClient, FusionDatasetClient
from tensorbay.exception import (
    AccessDeniedError,
    DatasetTypeError,
    NameConflictError,
    ResourceNotExistError,
)

ROOT = "0" * 32


def raises(error: type[BaseException], call: Callable[[], Any]) -> BaseException:
    """Run `call`; fail unless it raises `error`. Returns the exception."""
    try:
        call()
    except error as caught:
        return caught
    raise AssertionError(f"{call} did not raise {error.__name__}")


def commit_one_file(client: DatasetClient, segment: str, name: str, content: bytes) -> str:
    """Draft → segment → one file → commit on `client`; returns the new commit id."""
    client.create_draft(f"add {name}")
    path = Path(tempfile.mkdtemp(prefix="scn_datasets_")) / name
    path.write_bytes(content)
    client.get_or_create_segment(segment).upload_file(str(path))
    client.commit(f"add {name}")
    commit_id = client.status.commit_id
    assert commit_id is not None and commit_id != ROOT
    return commit_id


# create and get ---------------------------------------------------------------------------
def create_normal_and_fusion(gas: GAS, gas_other: GAS) -> None:
    normal = gas.create_dataset("cr_normal")
    fusion = gas.create_dataset("cr_fusion", is_fusion=True)
    assert type(normal) is DatasetClient
    assert type(fusion) is FusionDatasetClient
    assert normal.dataset_id != fusion.dataset_id

    assert type(gas.get_dataset("cr_normal")) is DatasetClient
    got = gas.get_dataset("cr_fusion", is_fusion=True)
    assert type(got) is FusionDatasetClient
    assert got.dataset_id == fusion.dataset_id
    # the server reports the type; the SDK checks it against what the caller asked for
    raises(DatasetTypeError, lambda: gas.get_dataset("cr_fusion"))
    raises(DatasetTypeError, lambda: gas.get_dataset("cr_normal", is_fusion=True))

    names = list(gas.list_dataset_names())
    assert {"cr_normal", "cr_fusion"} <= set(names)


def get_new_dataset(gas: GAS, gas_other: GAS) -> None:
    created = gas.create_dataset("new_ds")
    client = gas.get_dataset("new_ds")
    assert client.dataset_id == created.dataset_id
    assert client.name == "new_ds"
    assert client.status.commit_id == ROOT
    assert client.status.branch_name == "main"
    assert not client.status.is_draft
    assert client.alias == ""
    assert client.is_public is False
    assert list(client.list_segment_names()) == []
    assert [branch.name for branch in client.list_branches()] == ["main"]

    fusion = gas.create_dataset("new_fusion", is_fusion=True)
    got = gas.get_dataset("new_fusion", is_fusion=True)
    assert got.dataset_id == fusion.dataset_id
    assert got.status.commit_id == ROOT
    assert got.status.branch_name == "main"


def get_dataset_follows_default_branch(gas: GAS, gas_other: GAS) -> None:
    client = gas.create_dataset("head_ds")
    first = commit_one_file(client, "seg", "a.txt", b"first")
    assert gas.get_dataset("head_ds").status.commit_id == first
    second = commit_one_file(client, "seg", "b.txt", b"second")
    assert second != first
    assert gas.get_dataset("head_ds").status.commit_id == second


# alias, is_public --------------------------------------------------------------------------
def alias_and_public_round_trip(gas: GAS, gas_other: GAS) -> None:
    created = gas.create_dataset("alias_ds", alias="My Alias", is_public=True)
    assert created.alias == "My Alias" and created.is_public is True
    client = gas.get_dataset("alias_ds")
    assert client.alias == "My Alias"
    assert client.is_public is True

    gas.update_dataset("alias_ds", alias="Renamed Alias")
    client = gas.get_dataset("alias_ds")
    assert client.alias == "Renamed Alias"
    assert client.is_public is True, "updating only the alias must keep isPublic"

    gas.update_dataset("alias_ds", is_public=False)
    client = gas.get_dataset("alias_ds")
    assert client.is_public is False
    assert client.alias == "Renamed Alias", "updating only isPublic must keep the alias"

    gas.update_dataset("alias_ds", alias="", is_public=True)
    client = gas.get_dataset("alias_ds")
    assert client.alias == ""
    assert client.is_public is True
    assert client.dataset_id == created.dataset_id

    plain = gas.create_dataset("alias_default")
    assert gas.get_dataset("alias_default").alias == ""
    assert gas.get_dataset("alias_default").is_public is False
    assert plain.is_public is False


# rename, delete, duplicates ------------------------------------------------------------------
def rename_dataset(gas: GAS, gas_other: GAS) -> None:
    client = gas.create_dataset("ren_old", alias="kept")
    commit_id = commit_one_file(client, "seg", "a.txt", b"renamed content")

    gas.rename_dataset("ren_old", "ren_new")
    raises(ResourceNotExistError, lambda: gas.get_dataset("ren_old"))
    renamed = gas.get_dataset("ren_new")
    assert renamed.dataset_id == client.dataset_id, "rename keeps the dataset id"
    assert renamed.status.commit_id == commit_id, "rename keeps the history"
    assert renamed.alias == "kept"
    assert [c.commit_id for c in renamed.list_commits()] == [commit_id]
    names = set(gas.list_dataset_names())
    assert "ren_new" in names and "ren_old" not in names

    # the old name is free again; renaming onto a taken name is a conflict
    again = gas.create_dataset("ren_old")
    assert again.dataset_id != client.dataset_id
    raises(NameConflictError, lambda: gas.rename_dataset("ren_new", "ren_old"))
    assert gas.get_dataset("ren_new").dataset_id == client.dataset_id
    assert gas.get_dataset("ren_old").dataset_id == again.dataset_id
    raises(ResourceNotExistError, lambda: gas.rename_dataset("ren_missing", "ren_other"))


def delete_dataset(gas: GAS, gas_other: GAS) -> None:
    client = gas.create_dataset("del_ds")
    commit_one_file(client, "seg", "a.txt", b"to be deleted")
    gas.delete_dataset("del_ds")

    raises(ResourceNotExistError, lambda: gas.get_dataset("del_ds"))
    assert "del_ds" not in set(gas.list_dataset_names())
    raises(ResourceNotExistError, lambda: gas.delete_dataset("del_ds"))

    # the name is free again, and the new dataset starts from nothing
    fresh = gas.create_dataset("del_ds", is_fusion=True)
    assert fresh.dataset_id != client.dataset_id
    got = gas.get_dataset("del_ds", is_fusion=True)
    assert got.dataset_id == fresh.dataset_id
    assert got.status.commit_id == ROOT
    assert list(got.list_segment_names()) == []
    assert list(got.list_commits()) == []


def duplicate_name_conflicts(gas: GAS, gas_other: GAS) -> None:
    first = gas.create_dataset("dup_ds")
    raises(NameConflictError, lambda: gas.create_dataset("dup_ds"))
    raises(NameConflictError, lambda: gas.create_dataset("dup_ds", is_fusion=True))
    assert gas.get_dataset("dup_ds").dataset_id == first.dataset_id
    assert list(gas.list_dataset_names()).count("dup_ds") == 1

    # names are unique per user: bob may use the same name, and each resolves to their own
    theirs = gas_other.create_dataset("dup_ds")
    assert theirs.dataset_id != first.dataset_id
    assert gas.get_dataset("dup_ds").dataset_id == first.dataset_id
    assert gas_other.get_dataset("dup_ds").dataset_id == theirs.dataset_id


# listing and lookups -------------------------------------------------------------------------
def list_names_pages_beyond_128(gas: GAS, gas_other: GAS) -> None:
    created = [f"pg{i:03d}" for i in range(140)]
    for name in created:
        gas.create_dataset(name)

    names = list(gas.list_dataset_names())
    assert len(names) == len(set(names)), "a dataset appears on two pages"
    assert set(created) <= set(names), "datasets are missing from the listing"
    assert list(gas.list_dataset_names()) == names, "the order is not stable"

    # a fresh lazy list first touched at index 130 fetches page 2 (offset 128) first
    lazy = gas.list_dataset_names()
    assert len(lazy) == len(names)
    assert lazy[130] == names[130]
    assert lazy[-1] == names[-1]
    assert list(lazy) == names


def exact_match_first(gas: GAS, gas_other: GAS) -> None:
    # created in the order that puts the longer name first in any name or creation order
    # names differing only in case are distinct datasets
    pairs = [("emf_2", "emf"), ("abcd", "abc"), ("azz", "zz"), ("Casey", "casey")]
    ids: dict[str, str] = {}
    for longer, exact in pairs:
        ids[longer] = gas.create_dataset(longer).dataset_id
        ids[exact] = gas.create_dataset(exact).dataset_id
    for name, dataset_id in ids.items():
        assert gas.get_dataset(name).dataset_id == dataset_id, f"{name!r} bound to another"

    # by-name writes hit exactly the named dataset
    gas.update_dataset("abc", alias="only abc")
    assert gas.get_dataset("abc").alias == "only abc"
    assert gas.get_dataset("abcd").alias == ""
    gas.rename_dataset("zz", "zz_renamed")
    assert gas.get_dataset("azz").dataset_id == ids["azz"]
    assert gas.get_dataset("zz_renamed").dataset_id == ids["zz"]
    gas.delete_dataset("emf_2")
    assert gas.get_dataset("emf").dataset_id == ids["emf"]
    raises(ResourceNotExistError, lambda: gas.get_dataset("emf_2"))


def missing_name_resolves_to_nothing(gas: GAS, gas_other: GAS) -> None:
    """Spec 2.2.5/3.1: once "nbr" is deleted or renamed, looking it up finds nothing.

    The SDK looks a name up with `GET datasets?name=nbr` and takes the first item; under the
    fuzzy rule for wildcard-free queries (spec 1.9 rule 2, `%nbr%`) that is "nbrx", so a second
    `delete_dataset("nbr")` would delete "nbrx".
    """
    kept = gas.create_dataset("nbrx")
    gas.create_dataset("nbr")
    gas.delete_dataset("nbr")
    raises(ResourceNotExistError, lambda: gas.get_dataset("nbr"))
    raises(ResourceNotExistError, lambda: gas.delete_dataset("nbr"))
    assert gas.get_dataset("nbrx").dataset_id == kept.dataset_id


# storage configs -----------------------------------------------------------------------------
def storage_configs(gas: GAS, gas_other: GAS) -> None:
    gas.create_local_storage_config("sc_local", "local/root/", "http://127.0.0.1:9000")
    gas.create_oss_storage_config(
        "sc_oss", "oss/path", endpoint="oss-cn-qingdao.aliyuncs.com", accesskey_id="id",
        accesskey_secret="oss-secret", bucket_name="bucket",
    )
    gas.create_s3_storage_config(
        "sc_s3", "s3/path", endpoint="s3.example.internal", accesskey_id="id",
        accesskey_secret="s3-secret", bucket_name="bucket",
    )
    gas.create_azure_storage_config(
        "sc_azure", "azure/path", account_type="Global", account_name="account",
        account_key="azure-secret", container_name="container",
    )
    expected = {
        "sc_local": ("local", "local/root/"),
        "sc_oss": ("oss", "oss/path"),
        "sc_s3": ("s3", "s3/path"),
        "sc_azure": ("azure", "azure/path"),
    }
    listed = {c.name: c for c in gas.list_auth_storage_configs()}
    for name, (kind, file_path) in expected.items():
        config = listed[name]
        assert (config.type, config.file_path, config.is_graviti_storage) == (
            kind, file_path, False)
        got = gas.get_auth_storage_config(name)
        assert (got.name, got.type, got.file_path) == (name, kind, file_path)

    raises(NameConflictError, lambda: gas.create_local_storage_config(
        "sc_local", "other/", "http://127.0.0.1:9001"))
    assert gas.get_auth_storage_config("sc_local").file_path == "local/root/"

    # exact match first: "sc_oss" must not resolve to "sc_oss2", nor "osscfg" to "myosscfg"
    gas.create_local_storage_config("sc_oss2", "oss2/", "http://127.0.0.1:9000")
    gas.create_local_storage_config("myosscfg", "my/", "http://127.0.0.1:9000")
    gas.create_local_storage_config("osscfg", "plain/", "http://127.0.0.1:9000")
    assert gas.get_auth_storage_config("sc_oss").file_path == "oss/path"
    assert gas.get_auth_storage_config("osscfg").file_path == "plain/"

    # a dataset can be created in an authorised storage config, not in an unknown one
    gas.create_dataset("sc_dataset", config_name="sc_local")
    assert gas.get_dataset("sc_dataset").status.commit_id == ROOT
    raises(ResourceNotExistError, lambda: gas.create_dataset("sc_bad", config_name="sc_nope"))
    raises(ResourceNotExistError, lambda: gas.get_dataset("sc_bad"))

    gas.delete_storage_config("sc_s3")
    raises(ResourceNotExistError, lambda: gas.get_auth_storage_config("sc_s3"))
    remaining = {c.name for c in gas.list_auth_storage_configs()}
    assert "sc_s3" not in remaining
    assert {"sc_local", "sc_oss", "sc_azure"} <= remaining
    raises(ResourceNotExistError, lambda: gas.delete_storage_config("sc_s3"))


def storage_configs_are_private(gas: GAS, gas_other: GAS) -> None:
    gas.create_local_storage_config("scp_alice", "alice/", "http://127.0.0.1:9000")
    assert "scp_alice" not in {c.name for c in gas_other.list_auth_storage_configs()}
    raises(ResourceNotExistError, lambda: gas_other.get_auth_storage_config("scp_alice"))
    raises(ResourceNotExistError, lambda: gas_other.delete_storage_config("scp_alice"))
    raises(ResourceNotExistError,
           lambda: gas_other.create_dataset("scp_bob_ds", config_name="scp_alice"))
    assert gas.get_auth_storage_config("scp_alice").file_path == "alice/"

    # bob may use the same name for a config of his own
    gas_other.create_local_storage_config("scp_alice", "bob/", "http://127.0.0.1:9000")
    assert gas_other.get_auth_storage_config("scp_alice").file_path == "bob/"
    assert gas.get_auth_storage_config("scp_alice").file_path == "alice/"


# who may see and change a dataset --------------------------------------------------------------
def private_dataset_hidden_from_others(gas: GAS, gas_other: GAS) -> None:
    client = gas.create_dataset("priv_ds")
    commit_id = commit_one_file(client, "seg", "secret.txt", b"alice's secret")

    raises(ResourceNotExistError, lambda: gas_other.get_dataset("priv_ds"))
    assert "priv_ds" not in set(gas_other.list_dataset_names())
    raises(ResourceNotExistError, lambda: gas_other.update_dataset("priv_ds", is_public=True))
    raises(ResourceNotExistError, lambda: gas_other.rename_dataset("priv_ds", "stolen"))
    raises(ResourceNotExistError, lambda: gas_other.delete_dataset("priv_ds"))

    mine = gas.get_dataset("priv_ds")
    assert mine.dataset_id == client.dataset_id
    assert mine.is_public is False
    assert mine.status.commit_id == commit_id


def public_dataset_read_only_for_others(gas: GAS, gas_other: GAS) -> None:
    client = gas.create_dataset("pub_ds", is_public=True)
    commit_id = commit_one_file(client, "train", "hello.txt", b"public content")

    theirs = gas_other.get_dataset("pub_ds")
    assert theirs.dataset_id == client.dataset_id
    assert theirs.is_public is True
    assert theirs.status.commit_id == commit_id
    assert "pub_ds" in set(gas_other.list_dataset_names())
    assert list(theirs.list_segment_names()) == ["train"]
    segment = theirs.get_segment("train")
    assert list(segment.list_data_paths()) == ["hello.txt"]
    assert segment.get_data("hello.txt").open().read() == b"public content"
    assert [c.commit_id for c in theirs.list_commits()] == [commit_id]

    raises(AccessDeniedError, lambda: theirs.create_draft("bob's draft"))
    raises(AccessDeniedError, lambda: gas_other.update_dataset("pub_ds", is_public=False))
    raises(AccessDeniedError, lambda: gas_other.rename_dataset("pub_ds", "pub_stolen"))
    raises(AccessDeniedError, lambda: gas_other.delete_dataset("pub_ds"))
    raises(AccessDeniedError, lambda: theirs.create_tag("bob_tag", revision=commit_id))
    mine = gas.get_dataset("pub_ds")
    assert (mine.dataset_id, mine.is_public, mine.status.commit_id) == (
        client.dataset_id, True, commit_id)
    assert list(mine.list_drafts()) == []
    assert list(mine.list_tags()) == []

    # a same-named dataset of one's own wins over another user's public one
    own = gas_other.create_dataset("pub_ds")
    assert gas_other.get_dataset("pub_ds").dataset_id == own.dataset_id
    assert gas.get_dataset("pub_ds").dataset_id == client.dataset_id

    # made private again, it is gone for bob, even through the client he already holds
    gas.update_dataset("pub_ds", is_public=False)
    raises(ResourceNotExistError, lambda: list(theirs.list_segment_names()))
    assert list(gas_other.list_dataset_names()).count("pub_ds") == 1
