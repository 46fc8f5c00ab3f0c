"""`gas server migrate`: an embedded server filled through the SDK is moved to PostgreSQL and
S3 (interrupted once, then resumed), verified, and read back through the SDK unchanged; blob
sizes its grants lack (data from before sizes were recorded) are recorded in the target."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from engines import PostgresCluster, SeaweedS3, new_stores
from sdkrunner import SdkRunner
from serverproc import ServerProcess

from gasvc.server.app import open_blob_store, open_meta_store
from gasvc.server.blobs import DirectoryBlobStore
from gasvc.server.meta import SqliteMetaStore
from gasvc.server.migrate import MigrationFailed, verify
from gasvc.server.records import User
from gasvc.server.settings import ServerSettings

pytestmark = pytest.mark.slow(seconds=30)


def migrate_command(data_dir: Path, database: str, blobs: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "gasvc", "server", "migrate", "--from-data-dir",
            str(data_dir), "--database", database, "--blobs", blobs, *extra]


def test_migrate_then_the_sdk_reads_the_same(
    tmp_path: Path, tls_cert: tuple[Path, Path], tensorbay_python: Path,
    pg_cluster: PostgresCluster, s3_server: SeaweedS3, monkeypatch: pytest.MonkeyPatch,
) -> None:
    embedded = ServerProcess(tmp_path / "embedded", tls=tls_cert)
    with embedded:
        alice, bob = embedded.add_user("alice"), embedded.add_user("bob")
        sdk = SdkRunner(tensorbay_python, embedded, alice, bob)
        sdk.run("scn_migrate", "populate")
        before = json.loads(sdk.run("scn_migrate", "dump").splitlines()[0])
        added = _add_blobs(embedded.data_dir, 1200)  # enough to stop the copy part way
    with sqlite3.connect(embedded.data_dir / "meta.sqlite") as conn:  # as before sizes
        assert conn.execute("UPDATE dataset_blobs SET size = NULL").rowcount
    stores = new_stores(pg_cluster, s3_server)
    env = {**os.environ, **stores.env}
    command = migrate_command(embedded.data_dir, stores.database, stores.blobs, "--jobs", "1")

    # stopped part way (as by kill -9), then run again: it resumes
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    assert first.stderr is not None
    for line in first.stderr:
        if line.startswith("blobs: 1000/"):
            first.send_signal(signal.SIGKILL)
            break
    first.wait()
    assert first.returncode == -signal.SIGKILL
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr
    copied = int(done.stdout.split(": ", 1)[1].split(" files copied")[0])
    assert 0 < copied < 1200  # the blobs copied before the stop were not copied again
    assert "verified" in done.stdout and "Traceback" not in done.stderr

    # run again once done: nothing to copy, still equal
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                           check=False)
    assert again.returncode == 0 and ": 0 files copied" in again.stdout, again.stderr
    _check_sizes(stores.database, embedded.data_dir / "blobs")
    for name, value in stores.env.items():
        monkeypatch.setenv(name, value)
    target_blobs = open_blob_store(ServerSettings(database=stores.database, blobs=stores.blobs))
    for content in (added[0], added[-1]):  # one that had a file, one that was packed
        assert b"".join(target_blobs.read(hashlib.sha1(content).hexdigest())) == content

    scaled = ServerProcess(tmp_path / "scaled", tls=tls_cert, stores=stores)
    with scaled:  # the users' keys moved too
        after = json.loads(SdkRunner(tensorbay_python, scaled, alice, bob)
                           .run("scn_migrate", "dump").splitlines()[0])
    assert after == before
    assert len(before["moved"]["commits"]) == 2 and before["moved"]["drafts"]


def test_verification_finds_a_difference(tmp_path: Path, pg_cluster: PostgresCluster,
                                         s3_server: SeaweedS3,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "data"
    source.mkdir()
    SqliteMetaStore(source / "meta.sqlite")  # an empty server…
    _add_blobs(source, 2)  # …with two files
    stores = new_stores(pg_cluster, s3_server)
    done = subprocess.run(migrate_command(source, stores.database, stores.blobs),
                          env={**os.environ, **stores.env}, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    settings = ServerSettings(database=stores.database, blobs=stores.blobs)
    for name, value in stores.env.items():
        monkeypatch.setenv(name, value)
    target = open_meta_store(settings)
    target.run(lambda tx: tx.add_user(User("u", "intruder", ""), 1))
    with pytest.raises(MigrationFailed, match="users: 0 rows in the source, 1 in the target"):
        verify(SqliteMetaStore(source / "meta.sqlite"), target,
               DirectoryBlobStore(source / "blobs"), open_blob_store(settings), lambda _: None)
    target.close()


def _add_blobs(data_dir: Path, count: int) -> list[bytes]:
    """Blobs that no dataset names (as uploads before their callback): the first half in files
    of their own, the rest packed (as a batch upload's small files); their contents."""
    contents = [f"blob {index}".encode() * 100 for index in range(count)]
    for content in contents[:count // 2]:
        checksum = hashlib.sha1(content).hexdigest()
        path = data_dir / "blobs" / checksum[:2] / checksum[2:]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    batch = DirectoryBlobStore(data_dir / "blobs").batch()
    for content in contents[count // 2:]:
        writer = batch.add(hashlib.sha1(content).hexdigest(), len(content))
        writer.write(content)
        writer.finish()
    batch.commit()
    return contents


def _check_sizes(database: str, blobs: Path) -> None:
    """Every grant in the target records the size of its blob."""
    import psycopg

    with psycopg.connect(database) as conn:
        rows = conn.execute("SELECT checksum, size FROM dataset_blobs").fetchall()
    assert rows
    for checksum, size in rows:
        assert size == (blobs / checksum[:2] / checksum[2:]).stat().st_size, checksum
