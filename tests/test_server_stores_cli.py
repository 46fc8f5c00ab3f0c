"""Where `gas server` keeps its data: bad locations are refused with what to do, and the health
endpoint answers, on the embedded server and a scaled-out one alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from engines import PostgresCluster, SeaweedS3, new_stores
from serverproc import ServerProcess


def server_command(*args: str, env: dict[str, str] | None = None
                   ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gasvc", "server", *args], capture_output=True,
                          text=True, timeout=60, check=False, env=env)


def refused(done: subprocess.CompletedProcess[str], message: str, hint: str) -> None:
    assert done.returncode == 2, done.stderr
    error, _, advice = done.stderr.partition("\nhint: ")
    assert error.startswith("error: ") and message in error and hint in advice, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["start"], ["add-user", "alice"]])
def test_no_location_is_refused(command: list[str]) -> None:
    refused(server_command(*command), "where the server keeps its data is not given",
            "give --data-dir, or both --database and --blobs")
    refused(server_command(*command, "--database", "postgresql://x@127.0.0.1:1/d"),
            "where the server keeps its data is not given", "both --database and --blobs")


def test_wrong_kinds_of_location_are_refused(tmp_path: Path) -> None:
    refused(server_command("add-user", "a", "--data-dir", str(tmp_path), "--database",
                           "mysql://db/x"), "--database must be a postgresql:// URL",
            "postgresql://gas:secret@db.example/gas")
    refused(server_command("add-user", "a", "--data-dir", str(tmp_path), "--blobs",
                           "/var/blobs"), "--blobs must be an s3:// URL", "s3://my-bucket/gas")


def test_unreachable_database_and_missing_bucket_are_refused(
    tmp_path: Path, s3_server: SeaweedS3, pg_cluster: PostgresCluster,
) -> None:
    done = server_command("add-user", "a", "--database", "postgresql://gas@127.0.0.1:1/gas",
                          "--blobs", "s3://x")
    refused(done, "cannot use the database", "check the --database URL")
    env = {**os.environ, **s3_server.env}
    done = server_command("add-user", "a", "--database", pg_cluster.new_database(), "--blobs",
                          "s3://no-such-bucket/gas", env=env)
    refused(done, "bucket 'no-such-bucket' of s3://no-such-bucket/gas does not exist",
            "create the bucket")


@pytest.mark.parametrize("kind", ["embedded", "scaled"])
def test_health_endpoint(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    stores = None
    if kind == "scaled":
        stores = new_stores(request.getfixturevalue("pg_cluster"),
                            request.getfixturevalue("s3_server"))
    with ServerProcess(tmp_path / "data", stores=stores) as server, requests.Session() as http:
        http.trust_env = False
        answer = http.get(server.url + "healthz", timeout=10)
        assert (answer.status_code, answer.json()) == (200, {"status": "ok"})
