"""`gas auth`, profiles, TLS options, `gas dataset`, `gas init` and `gas remote`, run for real.

Every test gets its own `~/.gasconfig` (GAS_CONFIG in a temp folder), so the user's is never read.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from gascli import Gas, failed
from rawapi import RawApi
from serverproc import ServerProcess, free_port


@pytest.fixture
def gas(tmp_path: Path) -> Gas:
    return Gas(tmp_path / "home")


@pytest.fixture
def logged_in(gas: Gas, server: ServerProcess, alice: str) -> Gas:
    gas.login(server, alice)
    return gas


# auth -----------------------------------------------------------------------------------
def test_auth_saves_the_tensorbay_profile_format_and_keeps_other_sections(
        gas: Gas, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    gas.config.write_text("[config]\ntimeout = 40\n\n[profiles]\nwork = \n\tAccesskey-"
                          + "f" * 32 + "\n")
    done = gas(tmp_path, "auth", server.url, alice, "--ca-bundle", str(server.verify))
    assert "Logged in as alice" in done.stdout
    text = gas.config.read_text()
    assert f"default = \n\t{alice}\n\t{server.url}\n\tca_bundle = {server.verify}\n" in text
    assert "[config]\ntimeout = 40" in text
    assert "work = \n\tAccesskey-" + "f" * 32 in text
    assert (gas.config.stat().st_mode & 0o077) == 0


def test_auth_get_shows_the_profile_with_the_key_masked(
        logged_in: Gas, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    shown = logged_in(tmp_path, "auth", "--get").stdout
    assert server.url in shown and alice[:14] in shown and alice[-4:] in shown
    assert alice not in shown


def test_auth_with_a_key_only_reuses_the_profile_url(
        logged_in: Gas, server: ServerProcess, tmp_path: Path) -> None:
    other = server.add_user("auth-dave")
    assert "Logged in as auth-dave" in logged_in(tmp_path, "auth", other).stdout
    assert f"\t{other}\n\t{server.url}\n\tca_bundle" in logged_in.config.read_text()


def test_profile_option_selects_the_profile_everywhere(
        logged_in: Gas, server: ServerProcess, tmp_path: Path) -> None:
    bob = server.add_user("auth-bob")
    logged_in(tmp_path, "-p", "bob", "auth", server.url, bob, "--ca-bundle", str(server.verify))
    logged_in(tmp_path, "-p", "bob", "dataset", "create", "bobs-profile-ds")
    assert "tb:bobs-profile-ds" in logged_in(tmp_path, "dataset", "-p", "bob", "list").stdout
    assert "bobs-profile-ds" not in logged_in(tmp_path, "dataset", "list").stdout
    assert logged_in(tmp_path, "auth", "-p", "bob", "--get").stdout.startswith("bob\n")
    failed(logged_in(tmp_path, "-p", "nobody", "dataset", "list", check=False),
           "profile 'nobody' does not exist")


def test_auth_insecure_is_remembered_and_warns_nothing(
        gas: Gas, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    done = gas(tmp_path, "auth", server.url, alice, "--insecure")
    assert "insecure = true" in gas.config.read_text()
    listed = gas(tmp_path, "dataset", "list")
    assert "Warning" not in done.stderr + listed.stderr


def test_self_signed_server_without_ca_is_refused_with_a_hint(
        gas: Gas, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    result = gas(tmp_path, "auth", server.url, alice, check=False)
    failed(result, "cannot verify the TLS certificate")
    assert "--ca-bundle" in result.stderr
    assert not gas.config.exists()


def test_plain_http_server_and_profile_picked_by_url(
        logged_in: Gas, http_server: ServerProcess, tmp_path: Path) -> None:
    carol = http_server.add_user("carol")
    logged_in(tmp_path, "-p", "plain", "auth", http_server.url, carol)
    work = tmp_path / "plainws"
    logged_in(work, "-p", "plain", "init", "plain-ds")
    # no -p: the profile whose URL is the workspace's remote gives the key
    assert http_server.url in logged_in(work, "remote", "-v").stdout
    assert logged_in(work, "tag").returncode == 0
    assert "tb:plain-ds" in logged_in(tmp_path, "-p", "plain", "dataset", "list").stdout


def test_environment_overrides_the_profile(
        gas: Gas, server: ServerProcess, alice: str, tmp_path: Path) -> None:
    gas.config.write_text("[profiles]\ndefault = \n\tAccesskey-" + "0" * 32
                          + "\n\thttp://127.0.0.1:9/\n")
    listed = gas(tmp_path, "dataset", "list", GAS_URL=server.url, GAS_ACCESS_KEY=alice,
                 GAS_CA_BUNDLE=str(server.verify))
    assert listed.returncode == 0


def test_unset_removes_the_profile(logged_in: Gas, tmp_path: Path) -> None:
    logged_in(tmp_path, "auth", "--unset")
    failed(logged_in(tmp_path, "auth", "--get", check=False), "profile 'default' does not exist")


def test_the_tensorbay_cli_reads_our_profile(
        logged_in: Gas, server: ServerProcess, alice: str, tensorbay_python: Path,
        tmp_path: Path) -> None:
    before = logged_in.config.read_text()
    shown = subprocess.run([str(tensorbay_python.parent / "gas"), "auth", "--get"],
                           env={**logged_in.env, "HOME": str(logged_in.home)},
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert alice in shown.stdout and server.url in shown.stdout
    assert logged_in.config.read_text() == before


# datasets -------------------------------------------------------------------------------
def test_dataset_create_list_delete(logged_in: Gas, tmp_path: Path) -> None:
    made = logged_in(tmp_path, "dataset", "create", "cfg-cats", "--alias", "Cats", "--public")
    assert "Created dataset cfg-cats" in made.stdout
    listed = json.loads(logged_in(tmp_path, "dataset", "list", "--json").stdout)
    mine = [d for d in listed if d["name"] == "cfg-cats"]
    assert mine and mine[0]["alias"] == "Cats" and mine[0]["isPublic"] is True
    refused = logged_in(tmp_path, "dataset", "delete", "cfg-cats", check=False)
    failed(refused, "without --yes")
    assert "--yes" in refused.stderr
    assert "Deleted dataset cfg-cats" in logged_in(tmp_path, "dataset", "delete", "tb:cfg-cats",
                                                   "--yes").stdout
    assert "cfg-cats" not in logged_in(tmp_path, "dataset", "list").stdout


def test_dataset_create_twice_is_a_conflict(logged_in: Gas, tmp_path: Path) -> None:
    logged_in(tmp_path, "dataset", "create", "cfg-twice")
    failed(logged_in(tmp_path, "dataset", "create", "cfg-twice", check=False), "already exists")


# init and remote ------------------------------------------------------------------------
def test_init_creates_the_dataset_on_the_server(logged_in: Gas, server: ServerProcess,
                                                tmp_path: Path) -> None:
    work = tmp_path / "cfg-init-a"
    done = logged_in(work, "init")
    assert "Created dataset cfg-init-a" in done.stdout
    assert "tb:cfg-init-a" in logged_in(tmp_path, "dataset", "list").stdout
    shown = logged_in(work, "remote", "-v").stdout
    assert server.url in shown and "cfg-init-a" in shown and ", id " in shown
    assert logged_in(work, "remote").stdout.strip() == "origin"


def test_init_uses_an_existing_dataset(logged_in: Gas, tmp_path: Path) -> None:
    logged_in(tmp_path, "dataset", "create", "cfg-existing")
    done = logged_in(tmp_path / "somewhere", "init", "cfg-existing")
    assert "Using existing dataset cfg-existing" in done.stdout
    failed(logged_in(tmp_path / "somewhere", "init", check=False), "already a gas workspace")


def test_init_on_a_dataset_with_commits_says_pull(logged_in: Gas, server: ServerProcess,
                                                  alice: str, tmp_path: Path) -> None:
    api = RawApi(server.api, alice, server.verify)
    dataset_id = api.create_dataset("cfg-has-commits")
    api.commit(dataset_id, api.create_draft(dataset_id), "first")
    done = logged_in(tmp_path / "has-commits", "init", "cfg-has-commits")
    assert "It already has commits: run `gas pull`" in done.stdout


def test_init_no_remote_works_offline_without_any_config(gas: Gas, tmp_path: Path) -> None:
    work = tmp_path / "offline"
    done = gas(work, "init", "--no-remote", "cfg-off", GAS_URL=f"http://127.0.0.1:{free_port()}/")
    assert "offline" in done.stdout and (work / ".gas").is_dir()
    failed(gas(work, "remote", "-v", check=False), "no remote (dataset 'cfg-off', offline)")


def test_init_without_credentials_suggests_no_remote(gas: Gas, tmp_path: Path) -> None:
    result = gas(tmp_path / "nocreds", "init", check=False)
    failed(result, "no access key configured")
    assert "--no-remote" in result.stderr
    assert not (tmp_path / "nocreds" / ".gas").exists()


def test_remote_set_resolves_the_dataset(logged_in: Gas, server: ServerProcess,
                                         tmp_path: Path) -> None:
    work = tmp_path / "cfg-remote"
    logged_in(work, "init", "--no-remote")
    logged_in(tmp_path, "dataset", "create", "cfg-remote")
    done = logged_in(work, "remote", "set", server.url)
    assert "cfg-remote" in done.stdout and ", id " in done.stdout
    logged_in(tmp_path, "dataset", "create", "cfg-remote-2")
    logged_in(work, "remote", "set", server.url, "tb:cfg-remote-2")
    assert "cfg-remote-2" in logged_in(work, "remote", "-v").stdout


def test_remote_set_offline_stores_and_warns(logged_in: Gas, tmp_path: Path) -> None:
    work = tmp_path / "cfg-remote-off"
    logged_in(work, "init", "--no-remote")
    down = f"http://127.0.0.1:{free_port()}/"
    done = logged_in(work, "remote", "set", down, "elsewhere")
    assert "could not reach" in done.stderr
    assert f"origin\t{down}\t(dataset elsewhere)" in logged_in(work, "remote", "-v").stdout


def test_remote_set_rejects_a_url_without_scheme(logged_in: Gas, tmp_path: Path) -> None:
    work = tmp_path / "cfg-remote-bad"
    logged_in(work, "init", "--no-remote")
    failed(logged_in(work, "remote", "set", "gas.example.com", "x", check=False),
           "invalid server URL")
