"""Jobs through the unmodified tensorbay 1.24.2 SDK (scenarios: scn_jobs): squash-and-merge
with each strategy, the job calls, a job whose server stopped while running it, and jobs shared
by two instances on one PostgreSQL database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from engines import PostgresCluster, SeaweedS3, new_stores
from sdkrunner import SdkRunner
from serverproc import ServerProcess

#: Every merge test runs against the embedded server and a scaled-out one (PostgreSQL + S3).
scaled = pytest.mark.parametrize("server", ["embedded", "scaled"], indirect=True, scope="module")
pytestmark = [pytest.mark.slow(seconds=60)]


@scaled
def test_squash_and_merge_override_merges_fields_and_source_wins(sdk: SdkRunner) -> None:
    sdk.run("scn_jobs", "squash_override")


@scaled
def test_squash_and_merge_skip_target_wins(sdk: SdkRunner) -> None:
    sdk.run("scn_jobs", "squash_skip")


@scaled
def test_squash_and_merge_abort_fails_naming_conflicts_and_changes_nothing(
        sdk: SdkRunner) -> None:
    sdk.run("scn_jobs", "squash_abort")


@scaled
def test_squash_and_merge_again_after_commit_finds_the_merge_base(sdk: SdkRunner) -> None:
    sdk.run("scn_jobs", "squash_twice")


@pytest.fixture
def idle_server(tmp_path: Path, tls_cert: tuple[Path, Path]) -> Iterator[ServerProcess]:
    """An embedded HTTPS server running no job worker: jobs stay QUEUING."""
    with ServerProcess(tmp_path / "data", tls=tls_cert, extra_args=("--no-jobs",)) as proc:
        yield proc


def test_job_calls_create_get_list_abort_retry_delete(
        tensorbay_python: Path, idle_server: ServerProcess) -> None:
    sdk = SdkRunner(tensorbay_python, idle_server, idle_server.add_user("alice"),
                    idle_server.add_user("bob"))
    sdk.run("scn_jobs", "job_calls")


def test_job_interrupted_by_a_restart_runs_again(
        tensorbay_python: Path, idle_server: ServerProcess) -> None:
    """A job left PROCESSING by a server that died is run again by the restarted server."""
    sdk = SdkRunner(tensorbay_python, idle_server, idle_server.add_user("alice"),
                    idle_server.add_user("bob"))
    sdk.run("scn_jobs", "job_created_queued")
    idle_server.kill()
    with sqlite3.connect(idle_server.data_dir / "meta.sqlite") as db:  # as a dead worker left it
        db.execute("UPDATE jobs SET status = 'PROCESSING', worker = 'dead', lease = 1,"
                   " attempts = 1, started = 1")
    idle_server.extra_args = ()
    idle_server.start()
    sdk.run("scn_jobs", "job_done_after_restart")


def test_job_interrupted_too_often_fails(tensorbay_python: Path,
                                         idle_server: ServerProcess) -> None:
    sdk = SdkRunner(tensorbay_python, idle_server, idle_server.add_user("alice"),
                    idle_server.add_user("bob"))
    sdk.run("scn_jobs", "job_created_queued")
    idle_server.kill()
    with sqlite3.connect(idle_server.data_dir / "meta.sqlite") as db:
        db.execute("UPDATE jobs SET status = 'PROCESSING', worker = 'dead', lease = 1,"
                   " attempts = 3, started = 1")
    idle_server.extra_args = ()
    idle_server.start()
    sdk.run("scn_jobs", "job_failed_after_restarts")


@pytest.fixture
def instance_pair(pg_cluster: PostgresCluster, s3_server: SeaweedS3, tmp_path: Path,
                  tls_cert: tuple[Path, Path]) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two HTTPS instances, both running a job worker, on one database and bucket."""
    stores = new_stores(pg_cluster, s3_server)
    with ServerProcess(tmp_path / "a", tls=tls_cert, stores=stores) as a, \
            ServerProcess(tmp_path / "b", tls=tls_cert, stores=stores) as b:
        yield a, b


def test_each_job_runs_once_on_one_of_two_instances_on_postgresql(
        tensorbay_python: Path, instance_pair: tuple[ServerProcess, ServerProcess]) -> None:
    a, _ = instance_pair
    sdk = SdkRunner(tensorbay_python, a, a.add_user("alice"), a.add_user("bob"))
    sdk.run("scn_jobs", "many_jobs_once_each")
    ran = [line for server in instance_pair for line in server.stderr_log.read_text().splitlines()
           if "gasvc.server.jobs" in line and "SUCCESS" in line]
    assert len(ran) == 6, ran  # each job finished once, by one instance
