"""Shared fixtures: a TLS certificate, real server processes, users, and the reference SDK."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from certs import write_self_signed
from engines import PostgresCluster, SeaweedS3, new_stores
from serverproc import ServerProcess, Stores
from tbvenv import ensure_tensorbay_python


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(cert, key) for 127.0.0.1 and localhost; the cert doubles as the CA bundle."""
    return write_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server for this test process (started on first use)."""
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[SeaweedS3]:
    """A SeaweedFS S3 server for this test process (started on first use)."""
    seaweed = SeaweedS3().start()
    yield seaweed
    seaweed.stop()


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
    tls_cert: tuple[Path, Path],
) -> Iterator[ServerProcess]:
    """An HTTPS server with fresh data, shared by the tests of one module: a data dir, or
    (parametrized indirectly with "scaled") a PostgreSQL database and an S3 bucket."""
    with ServerProcess(tmp_path_factory.mktemp("https") / "data", tls=tls_cert,
                       stores=_stores_for(request)) as proc:
        yield proc


def _stores_for(request: pytest.FixtureRequest) -> Stores | None:
    """Fresh PostgreSQL + S3 stores for a server parametrized "scaled", else None."""
    if getattr(request, "param", "embedded") != "scaled":
        return None
    return new_stores(request.getfixturevalue("pg_cluster"), request.getfixturevalue("s3_server"))


@pytest.fixture(scope="module")
def http_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A plain-HTTP server with fresh data, shared by the tests of one module (a data dir, or
    a PostgreSQL database and an S3 bucket when parametrized indirectly with "scaled")."""
    with ServerProcess(tmp_path_factory.mktemp("http") / "data",
                       stores=_stores_for(request)) as proc:
        yield proc


@pytest.fixture(scope="module")
def alice(server: ServerProcess) -> str:
    """Access key of user "alice" on `server`."""
    return server.add_user("alice")


@pytest.fixture(scope="module")
def bob(server: ServerProcess) -> str:
    """Access key of user "bob" on `server`."""
    return server.add_user("bob")


@pytest.fixture(scope="session")
def tensorbay_python() -> Path:
    """Interpreter of a cached venv with tensorbay 1.24.2 (built on first use, ~2 min)."""
    return ensure_tensorbay_python()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow modules first, longest first (`pytest.mark.slow(seconds=...)`): started early
    by the xdist workers (`--no-loadscope-reorder` keeps this order), they make no long tail."""

    def weight(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return float(marker.kwargs.get("seconds", 1)) if marker else 0.0

    items.sort(key=weight, reverse=True)  # stable: a module's tests stay together, in order


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the logs of every server a failed test used to its report."""
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, ServerProcess):
                report.sections.append((f"server log ({value.url})", value.logs()))
    return report
