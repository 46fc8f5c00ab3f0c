"""gas as a superset of the tensorbay CLI: its command lines, run through `gas` against a real
server, checked on the server (gasvc's API client) and, where the output matters, against the
real tensorbay 1.24.2 CLI run with the same command line and the same ~/.gasconfig.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import forkrun
import pytest
from gascli import Gas, failed, write
from serverproc import ServerProcess

from gasvc.api.client import ApiClient
from gasvc.cli.tensorbay import first_argument, is_tensorbay_form

# slow: in CI always; `-m "not slow"` leaves it out locally (docs/testing.md)
pytestmark = pytest.mark.slow(seconds=40)


class Tensorbay:
    """Runs the tensorbay CLI's own `gas` script with gas's home (the same ~/.gasconfig)."""

    def __init__(self, python: Path, gas: Gas, server: ServerProcess) -> None:
        self.script = python.parent / "gas"
        self.env = {**gas.env, "REQUESTS_CA_BUNDLE": str(server.verify),
                    "NO_PROXY": "127.0.0.1,localhost"}

    def __call__(self, cwd: Path, *args: str) -> str:
        done = subprocess.run([str(self.script), *args], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, check=False)
        assert done.returncode == 0, f"tensorbay gas {args}:\n{done.stdout}\n{done.stderr}"
        return done.stdout


@pytest.fixture
def gas(tmp_path: Path, server: ServerProcess, alice: str) -> Gas:
    runner = Gas(tmp_path / "home")
    runner.login(server, alice)
    return runner


@pytest.fixture
def tb(tensorbay_python: Path, gas: Gas, server: ServerProcess) -> Tensorbay:
    return Tensorbay(tensorbay_python, gas, server)


@pytest.fixture
def api(server: ServerProcess, alice: str) -> Iterator[ApiClient]:
    with contextlib.closing(ApiClient(server.url, alice, verify=server.verify)) as client:
        yield client  # closed: a kept-alive TLS connection delays the server's stop by 5 s


def out(gas: Gas, cwd: Path, *args: str) -> str:
    return gas(cwd, *args).stdout


def no_input(gas: Gas, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run gas with nothing on stdin (no terminal): prompts and editors must not wait."""
    return forkrun.run(list(args), cwd, gas.env, timeout=60, no_stdin=True)


def dataset_id(api: ApiClient, name: str) -> str:
    found = api.find_dataset(name)
    assert found is not None, name
    return str(found["id"])


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes()).hexdigest()


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """A folder `images` with a.jpg and sub/b.jpg, and a loose file one.txt beside it."""
    write(tmp_path, {"images/a.jpg": "A", "images/sub/b.jpg": "BB", "one.txt": "one"})
    return tmp_path


# which form -----------------------------------------------------------------------------
@pytest.mark.parametrize("name, args, tensorbay", [
    ("log", ["tb:cats"], True), ("log", ["--oneline", "-n", "3", "tb:cats@dev"], True),
    ("log", ["--oneline"], False), ("log", ["main"], False),
    ("log", ["tb:cats@v1..tb:cats@dev"], False),
    ("commit", ["-m", "tb:x"], False), ("commit", ["tb:cats#1", "-m", "x"], True),
    ("tag", ["v1", "tb:cats@HEAD"], False), ("tag", ["tb:cats", "v1"], True),
    ("branch", ["exp", "tb:cats@v1"], False), ("branch", ["-d", "tb:cats@exp"], True),
    ("rm", ["train/a.jpg"], False), ("rm", ["-r", "tb:cats#1:train"], True),
    ("draft", ["show", "tb:cats#1"], False), ("draft", ["-l", "tb:cats"], True),
    ("dataset", [], True), ("dataset", ["-d", "-y", "tb:cats"], True),
    ("dataset", ["list"], False), ("dataset", ["-p", "bob", "list"], False),
    ("dataset", ["-h"], False),
    ("auth", [], True), ("auth", ["-s"], True), ("auth", ["-ua"], True),
    ("auth", ["https://gas.example.com/"], True),
    ("auth", ["-g"], False), ("auth", ["Accesskey-x"], False),
    ("auth", ["https://x/", "Accesskey-x"], False), ("auth", ["--unset"], False),
    ("status", ["tb:cats"], False),
])
def test_the_tensorbay_form_is_chosen_by_its_arguments(name: str, args: list[str],
                                                       tensorbay: bool) -> None:
    assert is_tensorbay_form(name, args) is tensorbay


def test_first_argument_skips_options_and_their_values() -> None:
    assert first_argument(["-m", "tb:x", "--sort", "name", "-v", "tb:y"]) == "tb:y"
    assert first_argument(["--message=tb:x", "a"]) == "a"
    assert first_argument(["-r"]) is None


# datasets -------------------------------------------------------------------------------
def test_dataset_create_list_delete(gas: Gas, tb: Tensorbay, api: ApiClient, tmp_path: Path
                                    ) -> None:
    assert out(gas, tmp_path, "dataset", "tb:tbc-ds") == 'Successfully created dataset ' \
        '"tb:tbc-ds"\n'
    assert api.find_dataset("tbc-ds") is not None
    listed = out(gas, tmp_path, "dataset")
    assert "tb:tbc-ds\n" in listed
    assert listed == tb(tmp_path, "dataset") == out(gas, tmp_path, "ls")
    assert out(gas, tmp_path, "ls", "-l") == tb(tmp_path, "ls", "-l")

    refused = no_input(gas, tmp_path, "dataset", "-d", "tb:tbc-ds")  # no -y, no answer
    assert refused.returncode == 1 and "will be completely deleted" in refused.stdout
    assert api.find_dataset("tbc-ds") is not None
    assert out(gas, tmp_path, "dataset", "-d", "-y", "tb:tbc-ds") == \
        'Successfully deleted dataset "tb:tbc-ds"\n'
    assert api.find_dataset("tbc-ds") is None


# drafts, cp, ls, rm, commit -------------------------------------------------------------
def test_draft_cp_ls_commit(gas: Gas, tb: Tensorbay, api: ApiClient, images: Path) -> None:
    gas(images, "dataset", "tb:tbc-flow")
    made = out(gas, images, "draft", "tb:tbc-flow", "-m", "First", "-m", "Two lines")
    assert made == ('Successfully created draft "tb:tbc-flow#1"\nBranch:main\n\n    First\n\n'
                    '    Two lines\n\n')
    ds = dataset_id(api, "tbc-flow")
    [draft] = api.list_drafts(ds)
    assert (draft["number"], draft["title"], draft["description"]) == (1, "First", "Two lines")
    assert out(gas, images, "draft", "-l", "tb:tbc-flow") == tb(images, "draft", "-l",
                                                                 "tb:tbc-flow")

    gas(images, "cp", "-r", "images", "tb:tbc-flow#1:train")
    gas(images, "cp", "one.txt", "tb:tbc-flow#1:train://docs/first.txt")
    in_draft = {"draftNumber": 1}
    assert sorted(api.data_paths(ds, "train", in_draft)) == [
        "docs/first.txt", "images/a.jpg", "images/sub/b.jpg"]
    details = {d["remotePath"]: d for d in api.pages(
        "data/details", "dataDetails", ds, {**in_draft, "segmentName": "train"})}
    assert details["images/sub/b.jpg"]["checksum"] == sha1(images / "images/sub/b.jpg")
    assert details["docs/first.txt"]["fileSize"] == 3

    for args in (["tb:tbc-flow#1"], ["-a", "-l", "tb:tbc-flow#1"], ["tb:tbc-flow#1:train"],
                 ["tb:tbc-flow#1:train://images/a.jpg"]):
        assert out(gas, images, "ls", *args) == tb(images, "ls", *args), args
    assert out(gas, images, "ls", "-l", "tb:tbc-flow#1:train").splitlines() == [
        "total 3", "tb:tbc-flow#1:train://docs/first.txt", "tb:tbc-flow#1:train://images/a.jpg",
        "tb:tbc-flow#1:train://images/sub/b.jpg"]

    done = out(gas, images, "commit", "tb:tbc-flow#1", "-m", "Add images")
    [commit] = api.commits(ds, "main")
    assert done == f"Committed successfully: tb:tbc-flow#1 -> tb:tbc-flow@{commit['commitId']}\n"
    assert commit["title"] == "Add images"
    assert api.list_drafts(ds, "COMMITTED").__next__()["number"] == 1
    assert out(gas, images, "ls", "tb:tbc-flow:train") == tb(images, "ls", "tb:tbc-flow:train")


def test_cp_skip_and_jobs_and_the_tensorbay_cp_agree(gas: Gas, tb: Tensorbay, api: ApiClient,
                                                     images: Path) -> None:
    gas(images, "dataset", "tb:tbc-cp")
    gas(images, "draft", "tb:tbc-cp", "-m", "one")
    gas(images, "draft", "tb:tbc-cp", "-m", "two")
    tb(images, "cp", "-r", "images", "tb:tbc-cp#1:train")
    gas(images, "cp", "-r", "-j", "4", "images", "tb:tbc-cp#2:train")
    assert out(gas, images, "ls", "-a", "tb:tbc-cp#1").replace("#1", "#2") == \
        out(gas, images, "ls", "-a", "tb:tbc-cp#2")
    (images / "images/a.jpg").write_text("changed")
    write(images, {"images/c.jpg": "C"})
    gas(images, "cp", "-r", "--skip", "images", "tb:tbc-cp#2:train")
    ds = dataset_id(api, "tbc-cp")
    details = {d["remotePath"]: d["checksum"] for d in api.pages(
        "data/details", "dataDetails", ds, {"draftNumber": 2, "segmentName": "train"})}
    assert details["images/a.jpg"] == hashlib.sha1(b"A").hexdigest()  # skipped: already there
    assert details["images/c.jpg"] == hashlib.sha1(b"C").hexdigest()


def test_rm_a_file_and_a_segment(gas: Gas, tb: Tensorbay, api: ApiClient, images: Path) -> None:
    gas(images, "dataset", "tb:tbc-rm")
    gas(images, "draft", "tb:tbc-rm", "-m", "one")
    gas(images, "cp", "-r", "images", "tb:tbc-rm#1:train")
    gas(images, "cp", "one.txt", "tb:tbc-rm#1:val")
    ds, in_draft = dataset_id(api, "tbc-rm"), {"draftNumber": 1}

    assert out(gas, images, "rm", "tb:tbc-rm#1:train://images/a.jpg") == \
        'Successfully deleted "tb:tbc-rm#1:train://images/a.jpg"\n'
    assert list(api.data_paths(ds, "train", in_draft)) == ["images/sub/b.jpg"]
    failed(gas(images, "rm", "tb:tbc-rm#1:val", check=False), "is a whole segment")
    assert api.segment_names(ds, in_draft) == ["train", "val"]
    gas(images, "rm", "-r", "tb:tbc-rm#1:val")
    assert api.segment_names(ds, in_draft) == ["train"]

    failed(gas(images, "rm", "tb:tbc-rm#1:train://nope.jpg", check=False), "does not exist")
    failed(gas(images, "rm", "tb:tbc-rm#1:gone://x", check=False), "does not exist")
    gas(images, "commit", "tb:tbc-rm#1", "-m", "c")
    result = gas(images, "rm", "tb:tbc-rm:train://images/sub/b.jpg", check=False)
    failed(result, "is not a draft")
    assert "gas draft tb:tbc-rm -m TITLE" in result.stderr


def test_draft_edit_and_close(gas: Gas, api: ApiClient, tmp_path: Path) -> None:
    gas(tmp_path, "dataset", "tb:tbc-edit")
    gas(tmp_path, "draft", "tb:tbc-edit", "-m", "old")
    edited = out(gas, tmp_path, "draft", "-e", "tb:tbc-edit#1", "-m", "new", "-m", "why")
    assert edited.startswith('Successfully updated draft "tb:tbc-edit#1"\nBranch:main\n')
    ds = dataset_id(api, "tbc-edit")
    [draft] = api.list_drafts(ds)
    assert (draft["title"], draft["description"]) == ("new", "why")
    assert out(gas, tmp_path, "draft", "-c", "tb:tbc-edit#1") == \
        'Successfully closed draft "tb:tbc-edit#1"\n'
    assert list(api.list_drafts(ds)) == []
    assert [d["number"] for d in api.list_drafts(ds, "CLOSED")] == [1]
    failed(gas(tmp_path, "commit", "tb:tbc-edit#1", "-m", "x", check=False), "not open")


# branches, tags, log --------------------------------------------------------------------
def next_second() -> None:
    """Wait until the clock's whole second changes (at most 1 s)."""
    now = int(time.time())
    while int(time.time()) == now:
        time.sleep(0.02)


@pytest.fixture
def history(gas: Gas, images: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    """tbc-log-TEST: main has commits one, two (tag v1 at one); dev branched at one; an open draft
    on dev."""
    name = "tbc-log-" + request.node.name.split("_")[1]
    gas(images, "dataset", f"tb:{name}")
    gas(images, "draft", f"tb:{name}", "-m", "one")
    gas(images, "cp", "one.txt", f"tb:{name}#1:train")
    gas(images, "commit", f"tb:{name}#1", "-m", "one", "-m", "The first.")
    gas(images, "tag", f"tb:{name}", "v1")
    gas(images, "branch", f"tb:{name}@v1", "dev")
    next_second()  # dates have whole seconds: two after one, not a tie the logs may order apart
    gas(images, "draft", f"tb:{name}", "-m", "two")
    gas(images, "commit", f"tb:{name}#2", "-m", "two")
    gas(images, "draft", f"tb:{name}@dev", "-m", "on dev")
    return images, name


def test_branch_and_tag(gas: Gas, tb: Tensorbay, api: ApiClient, history: tuple[Path, str]
                        ) -> None:
    root, name = history
    ds = dataset_id(api, name)
    heads = {b["name"]: b["commitId"] for b in api.list_branches(ds)}
    [one] = [c for c in api.commits(ds, "main") if c["title"] == "one"]
    assert heads["dev"] == one["commitId"] != heads["main"]
    assert {t["name"]: t["commitId"] for t in api.list_tags(ds)} == {"v1": one["commitId"]}
    for args in (["branch", f"tb:{name}"], ["branch", "-v", f"tb:{name}"],
                 ["branch", "--sort=-commit_date", f"tb:{name}"], ["tag", f"tb:{name}"]):
        assert out(gas, root, *args) == tb(root, *args), args

    assert out(gas, root, "tag", f"tb:{name}@dev", "v0") == \
        f'Successfully created tag "tb:{name}@v0"\n'
    assert out(gas, root, "tag", "--sort", "-name", f"tb:{name}") == "v1\nv0\n"
    gas(root, "tag", "-d", f"tb:{name}@v0")
    assert [t["name"] for t in api.list_tags(ds)] == ["v1"]
    gas(root, "branch", f"tb:{name}", "spare")
    assert api.get_branch(ds, "spare")["commitId"] == heads["main"]  # type: ignore[index]
    assert out(gas, root, "branch", "-d", f"tb:{name}@spare") == \
        f'Successfully deleted branch "tb:{name}@spare"\n'
    assert api.get_branch(ds, "spare") is None
    failed(gas(root, "branch", f"tb:{name}#3", "x", check=False), "from a draft")
    failed(gas(root, "tag", "--sort", "size", f"tb:{name}", check=False), "cannot sort")


def test_log_matches_the_tensorbay_cli(gas: Gas, tb: Tensorbay, history: tuple[Path, str]
                                       ) -> None:
    root, name = history
    for args in ([], ["--oneline"], ["-n", "1"], ["--all"], ["--all", "--oneline"],
                 ["--show-drafts", "--all"], ["--graph", "--oneline", "--show-drafts"],
                 ["--graph", "--show-drafts"]):
        assert out(gas, root, "log", *args, f"tb:{name}@dev") == \
            tb(root, "log", *args, f"tb:{name}@dev"), args
    oneline = out(gas, root, "log", "--oneline", f"tb:{name}").splitlines()
    assert [line.split(" ", 1)[1] for line in oneline[:2]] == ["(main) two", "(dev) one"]


# config and auth ------------------------------------------------------------------------
def test_config_is_shared_with_the_tensorbay_cli(gas: Gas, tb: Tensorbay, tmp_path: Path
                                                 ) -> None:
    assert "Success!" in out(gas, tmp_path, "config", "editor", "vim")
    gas(tmp_path, "config", "timeout", "30")
    assert "[config]\neditor = vim\ntimeout = 30\n" in gas.config.read_text()
    assert "[profiles]" in gas.config.read_text()
    assert out(gas, tmp_path, "config") == tb(tmp_path, "config") == \
        "editor = vim\n\ntimeout = 30\n\n"
    assert out(gas, tmp_path, "config", "-u", "editor") == 'Successfully unset "editor"\n'
    failed(gas(tmp_path, "config", "editor", check=False), "has not been configured")
    assert tb(tmp_path, "config") == "timeout = 30\n\n"
    failed(gas(tmp_path, "config", "colour", "red", check=False), "cannot be configured")
    failed(gas(tmp_path, "config", "timeout", "soon", check=False), "needs an integer")
    assert out(gas, tmp_path, "ls") == tb(tmp_path, "ls")  # still logged in for both


def test_auth_status_unset_and_asking_for_the_key(gas: Gas, server: ServerProcess, alice: str,
                                                  tmp_path: Path) -> None:
    shown = out(gas, tmp_path, "auth", "-s")
    assert shown.splitlines()[:2] == ["default", "    USER: alice"]
    assert server.url in shown and alice not in shown and alice[-4:] in shown
    assert out(gas, tmp_path, "auth", "-u") == 'Successfully unset "default" auth info\n'
    assert "default" not in gas.config.read_text().split("[profiles]")[1]
    failed(gas(tmp_path, "auth", "-s", check=False), "does not exist")

    asked = subprocess.run([sys.executable, "-m", "gasvc", "auth", server.url], cwd=tmp_path,
                           env={**gas.env, "GAS_CA_BUNDLE": str(server.verify)},
                           input=alice + "\n", capture_output=True, text=True, timeout=60)
    assert asked.returncode == 0, asked.stderr
    assert 'Successfully set authentication info of "alice"' in asked.stdout
    assert f"default = \n\t{alice}\n\t{server.url}" in gas.config.read_text()


def test_top_level_key_and_url_options(server: ServerProcess, alice: str, tmp_path: Path
                                       ) -> None:
    empty = Gas(tmp_path / "nobody", GAS_CA_BUNDLE=str(server.verify))
    failed(empty(tmp_path, "ls", check=False), "no access key configured")
    listed = empty(tmp_path, "-k", alice, "-u", server.url, "ls")
    assert listed.returncode == 0
    empty(tmp_path, "-d", "--key", alice, "--url", server.url, "dataset", "tb:tbc-keyed")
    assert "tb:tbc-keyed" in empty(tmp_path, "-k", alice, "-u", server.url, "dataset").stdout
    assert not empty.config.exists()


# bad input ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bad(server: ServerProcess, alice: str) -> None:
    """Dataset tbc-bad with an open draft #1 on main and nothing committed."""
    with contextlib.closing(ApiClient(server.url, alice, verify=server.verify)) as api:
        bad = api.create_dataset("tbc-bad")
        api.create_draft(bad, "main", "open")
        api.update_draft(bad, api.create_draft(bad, "main", "closed"), {"status": "CLOSED"})
        fusion = str(api.request("POST", "", json={"name": "tbc-fusion", "type": 1})["id"])
        api.create_draft(fusion, "main", "open")


@pytest.mark.parametrize("args, message", [
    (["draft", "tb:tbc-bad"], "no message given"),
    (["commit", "tb:tbc-bad#1"], "no message given"),
    (["ls", "tb:tbc-none"], "dataset 'tbc-none' does not exist"),
    (["ls", "tb:tbc-bad:nope"], "segment 'nope' does not exist"),
    (["ls", "tb:tbc-bad@nope"], "revision 'nope' does not exist"),
    (["ls", "tb:tbc-bad:a:b:c"], "frames and sensors are not supported"),
    (["cp", "one.txt", "tb:tbc-bad:train"], "is not a draft"),
    (["cp", "one.txt", "tb:tbc-bad"], "is not a segment or file"),
    (["cp", "missing.txt", "tb:tbc-bad#1:train"], "does not exist"),
    (["cp", "one.txt", "tb:tbc-fusion#1:train"], "is a fusion dataset"),
    (["cp", "images", "tb:tbc-bad#1:train"], "copy folders with -r"),
    (["draft", "tb:tbc-bad:train", "-m", "x"], "is not a dataset"),
    (["draft", "tb:tbc-bad@nobranch", "-m", "x"], "revision 'nobranch' does not exist"),
    (["commit", "tb:tbc-bad", "-m", "x"], "is not a draft"),
    (["branch", "-d", "tb:tbc-bad"], "must name it"),
    (["branch", "-d", "tb:tbc-bad@main"], "default branch"),
    (["branch", "-d", "tb:tbc-bad@nope"], "'nope' is not a branch"),
    (["tag", "-d", "tb:tbc-bad@nope"], "tag 'nope' does not exist"),
    (["ls", "tb:tbc-bad#99"], "draft #99 does not exist"),
    (["draft", "-c", "tb:tbc-bad#2"], "is closed, not open"),
    (["log", "tb:tbc-bad"], "has no commit history"),
    (["dataset", "tb:tbc-bad:train"], "is not a dataset"),
])
def test_bad_tensorbay_command_lines_are_clear_errors(gas: Gas, images: Path, args: list[str],
                                                      message: str, bad: None) -> None:
    result = no_input(gas, images, *args)
    failed(result, message)
    assert "hint: " in result.stderr or "Usage:" in result.stderr


def test_gas_forms_stay_gas(gas: Gas, tmp_path: Path) -> None:
    """Without a tb: first argument the verbs keep their workspace meaning."""
    root = tmp_path / "ws"
    write(root, {"train/a.jpg": "A"})
    gas(root, "init", "--no-remote")
    gas(root, "add", "-A")
    assert "[main " in out(gas, root, "commit", "-m", "local")
    assert out(gas, root, "log", "--oneline").endswith("local\n")
    assert os.path.exists(root / "train/a.jpg")
    assert out(gas, root, "rm", "train/a.jpg") == "removed 1 file\n"


def test_committing_a_draft_pushed_from_this_workspace_marks_its_commit_pushed(
        gas: Gas, api: ApiClient, tmp_path: Path) -> None:
    root = tmp_path / "tbc-ws"
    write(root, {"train/a.jpg": "A"})
    gas(root, "init", "tbc-ws")
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    gas(root, "push", "--draft", "-q")
    done = out(gas, root, "commit", "tb:tbc-ws#1", "-m", "first, reviewed")
    [commit] = api.commits(dataset_id(api, "tbc-ws"), "main")
    assert done.endswith(f"@{commit['commitId']}\n")
    assert "up to date" in out(gas, root, "status")
    assert out(gas, root, "log", "--oneline").startswith(commit["commitId"][:7])
