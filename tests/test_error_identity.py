"""Errors with one identity each: a wire error (Open API code + HTTP status) or a client error
(message + hint + exit code, no wire identity); every raise names a specific class; the server
raises only wire errors; the batch-extension probe falls back only when the extension is absent.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from gascli import Gas, failed, write
from rewriteproxy import RewritingProxy
from serverproc import ServerProcess

import gasvc
from gasvc.api.client import ApiClient, UnreadableAnswer
from gasvc.errors import (
    BY_CODE,
    AccessDenied,
    ClientError,
    EmptyMessage,
    GasError,
    ResourceNotExist,
    ServerError,
    WireError,
)
from gasvc.server.app import create_app
from gasvc.server.settings import ServerSettings
from gasvc.workspace.store.create import init
from gasvc.workspace.store.layout import AlreadyAWorkspace
from gasvc.workspace.store.state import State
from gasvc.workspace.versions.branches import BranchCheckedOut, delete_branch
from gasvc.workspace.versions.commit import NothingToCommit, commit

#: The codes of the spec's error table (1.7) that gasvc's wire errors use.
SPEC_CODES = {"AccessDenied", "Forbidden", "InvalidParamsValue", "NameConflict",
              "RequestParamsMissing", "ResourceNotExist", "InternalServerError", "Unauthorized"}
PACKAGE = Path(gasvc.__file__).parent
BASES = {"GasError", "WireError", "ClientError"}


def all_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages([str(PACKAGE)], "gasvc.")
            if not info.name.endswith("__main__")]  # that one runs the command


def subclasses(cls: type[GasError]) -> Iterator[type[GasError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


# the two branches ----------------------------------------------------------------------------
def test_every_error_is_a_wire_error_or_a_client_error() -> None:
    for name in all_modules():
        importlib.import_module(name)
    found = set(subclasses(GasError)) - {WireError, ClientError}
    assert len(found) > 40
    for cls in found:
        wire, client = issubclass(cls, WireError), issubclass(cls, ClientError)
        assert wire != client, f"{cls.__name__} must be one of WireError, ClientError"
        if wire:
            assert cls.code in SPEC_CODES, f"{cls.__name__}: {cls.code} is not in the spec"
            assert isinstance(cls.status, int) and 400 <= cls.status < 600, cls.__name__
        else:
            assert not hasattr(cls, "code") and not hasattr(cls, "status"), cls.__name__
        assert cls.exit_code in (1, 2, 128), cls.__name__  # 3 is for bugs only


def test_the_code_table_holds_wire_errors_only() -> None:
    assert all(issubclass(cls, WireError) and cls.code == code for code, cls in BY_CODE.items())
    assert BY_CODE["ResourceNotExist"] is ResourceNotExist


def test_no_raise_of_a_base_class() -> None:
    """Every raise names a specific class, so callers and tests can tell errors apart."""
    bare = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in BASES:
                bare.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert bare == []


def test_the_server_raises_wire_errors_only() -> None:
    """Every error class raised in a module the server runs (its own and what it imports) is a
    wire error: a client error there would be answered as a 500 bug."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, gasvc.server.app, gasvc.cli.server; "
         "print('\\n'.join(m for m in sys.modules if m.startswith('gasvc.')))"],
        capture_output=True, text=True, check=True).stdout.split()
    server_side = [m for m in loaded if m.startswith(("gasvc.server", "gasvc.model"))]
    assert "gasvc.server.engine.data" in server_side
    raised = 0
    for name in server_side:
        module = importlib.import_module(name)
        source = Path(module.__file__ or "").read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and isinstance(node.exc.func, ast.Name):
                cls = getattr(module, node.exc.func.id, None)
                if isinstance(cls, type) and issubclass(cls, GasError):
                    raised += 1
                    assert issubclass(cls, WireError), f"{name}:{node.lineno} {cls.__name__}"
    assert raised > 50


def test_the_server_maps_wire_errors_only(tmp_path: Path) -> None:
    """Starlette picks a handler by the exception's class: a `ClientError` finds no handler of
    its own and lands on the catch-all, answered as a 500 bug."""
    app = create_app(ServerSettings(data_dir=tmp_path / "data"))
    handlers = set(app.exception_handlers)
    assert WireError in handlers and Exception in handlers
    assert not handlers & {GasError, ClientError}


# types through the library -------------------------------------------------------------------
def test_workspace_raises_name_their_type(tmp_path: Path) -> None:
    layout = init(tmp_path / "ws")
    with pytest.raises(AlreadyAWorkspace, match="is already a gas workspace"):
        init(tmp_path / "ws")
    state = State(layout.state_db)
    try:
        with pytest.raises(EmptyMessage, match="the commit message is empty"):
            commit(layout, state, "  ", "tester", 0)
        with pytest.raises(NothingToCommit):
            commit(layout, state, "first", "tester", 0)
        with pytest.raises(BranchCheckedOut, match="it is checked out"):
            delete_branch(state, "main")
    finally:
        state.close()


@pytest.fixture(scope="module")
def proxy(http_server: ServerProcess) -> Iterator[RewritingProxy]:
    with RewritingProxy(http_server.url) as running:
        yield running


@pytest.fixture(autouse=True)
def honest(proxy: RewritingProxy) -> Iterator[None]:
    proxy.reset()
    yield
    proxy.reset()


@pytest.fixture(scope="module")
def carol(http_server: ServerProcess) -> str:
    return http_server.add_user("carol")


def test_client_raises_the_class_the_answer_names(proxy: RewritingProxy, carol: str) -> None:
    with closing(ApiClient(proxy.url, carol)) as client:
        with pytest.raises(ResourceNotExist) as missing:
            client.get_dataset("0" * 32)
        assert missing.value.status == 404
        proxy.answers = {"/users": (418, {"code": "Teapot", "message": "short and stout"})}
        with pytest.raises(ServerError, match="short and stout") as other:
            client.get_user()
        assert (other.value.code, other.value.status) == ("Teapot", 418)
        proxy.answers = {"/users": (500, {"code": "InternalServerError", "message": "boom"})}
        with pytest.raises(ServerError) as fault:
            client.get_user()
        assert (fault.value.code, fault.value.status) == ("InternalServerError", 500)
        proxy.answers = {}
        proxy.garbage = "/datasets"
        with pytest.raises(UnreadableAnswer, match="is not standard JSON"):
            client.create_dataset("garbled")


# the batch-extension probe -------------------------------------------------------------------
@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("plain") / "data"
    with ServerProcess(data, extra_args=("--no-batch-extension",)) as proc:
        yield proc


def test_probe_falls_back_when_the_extension_is_absent(plain: ServerProcess) -> None:
    with closing(ApiClient(plain.url, plain.add_user("dave"))) as client:
        dataset_id = client.create_dataset("probed")
        assert client.storage_extension(dataset_id) is None


def test_probe_reports_a_refusal_or_a_fault(proxy: RewritingProxy, carol: str) -> None:
    with closing(ApiClient(proxy.url, carol)) as client:
        dataset_id = client.create_dataset("refused-probe")
        assert client.storage_extension(dataset_id) is not None  # the real server has it
        proxy.answers = {"/storage-extension": (403, {"code": "AccessDenied", "message": "no"})}
        with pytest.raises(AccessDenied):
            client.storage_extension(dataset_id)
        proxy.answers = {"/storage-extension": (500, {"code": "InternalServerError",
                                                      "message": "disk on fire"})}
        with pytest.raises(ServerError, match="disk on fire"):
            client.storage_extension(dataset_id)
        proxy.answers = {"/storage-extension": (404, {"code": "ResourceNotExist",
                                                      "message": "no such route"})}
        assert client.storage_extension(dataset_id) is None


def test_a_failing_probe_stops_a_clone_with_the_server_s_message(
        proxy: RewritingProxy, carol: str, tmp_path: Path) -> None:
    gas = Gas(tmp_path / "home", GAS_URL=proxy.url, GAS_ACCESS_KEY=carol)
    write(tmp_path / "src", {"s/a.jpg": "A"})
    gas(tmp_path / "src", "init", "probe-clone")
    gas(tmp_path / "src", "add", ".")
    gas(tmp_path / "src", "commit", "-m", "one")
    gas(tmp_path / "src", "push")
    proxy.answers = {"/storage-extension": (500, {"code": "InternalServerError",
                                                  "message": "disk on fire"})}
    result = gas(tmp_path, "clone", "probe-clone", "copy", check=False)
    failed(result, "error: disk on fire")
    assert result.returncode == 1
    assert not (tmp_path / "copy/s/a.jpg").exists()
