"""Run `python -m gasvc server start` as a real process, for end-to-end tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

API_PATH = "gatewayv2/tensorbay-open-api/v1/"
ACCESS_KEY = re.compile(r"Accesskey-[0-9a-f]{32}")
READY_TIMEOUT = 20.0
_PROBE_KEY = "Accesskey-" + "0" * 32


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the OS picks it when binding to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Stores:
    """A PostgreSQL database and an S3 bucket for a scaled-out server (tests/engines.py)."""

    database: str
    blobs: str
    env: dict[str, str] = field(default_factory=dict)


class ServerProcess:
    """One gasvc server on a fixed port, startable again after `stop()` or `kill()`.

    stdout and stderr go to `<data_dir>.stdout.log` / `<data_dir>.stderr.log` beside the data
    dir; they are appended to across restarts.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        tls: tuple[Path, Path] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        extra_args: tuple[str, ...] = (),
        stores: Stores | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.stores = stores
        self.tls = tls
        self.extra_args = extra_args
        self.host = host
        self._pick_port = port is None  # may move on to another port if this one is taken
        self.port = port if port is not None else free_port(host)
        self.stdout_log = data_dir.parent / f"{data_dir.name}.stdout.log"
        self.stderr_log = data_dir.parent / f"{data_dir.name}.stderr.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_start = 0

    @property
    def url(self) -> str:
        """The site URL to give the SDK or `gas`, with a trailing slash."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/"

    @property
    def api(self) -> str:
        """The Open API root, e.g. `https://127.0.0.1:PORT/gatewayv2/tensorbay-open-api/v1/`."""
        return self.url + API_PATH

    @property
    def verify(self) -> str | bool:
        """What to pass as `requests`' `verify=`: the CA bundle for TLS, else True."""
        return str(self.tls[0]) if self.tls else True

    @property
    def store_args(self) -> list[str]:
        """Where the server keeps its data: the data dir, or a database and a bucket."""
        if self.stores is None:
            return ["--data-dir", str(self.data_dir)]
        return ["--database", self.stores.database, "--blobs", self.stores.blobs]

    @property
    def env(self) -> dict[str, str] | None:
        return None if self.stores is None else {**os.environ, **self.stores.env}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server and wait until it answers, or fail showing its stderr.

        A port picked by `free_port` can be taken by another test run (pytest-xdist workers)
        before the server binds it: then the server starts again on another free port."""
        for _ in range(3):
            if self._start_once():
                return
            self.port = free_port(self.host)
        raise RuntimeError(f"no free port after 3 tries\n{self.logs()}")

    def _start_once(self) -> bool:
        """Start and wait until ready; False if the port was taken (only for a picked port)."""
        if self.running:
            raise RuntimeError("server already running")
        self._log_start = self.stderr_log.stat().st_size if self.stderr_log.exists() else 0
        command = [
            sys.executable,
            "-m",
            "gasvc",
            "server",
            "start",
            *self.store_args,
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        if self.tls:
            command += ["--certfile", str(self.tls[0]), "--keyfile", str(self.tls[1])]
        command += self.extra_args
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.stdout_log, "ab") as out, open(self.stderr_log, "ab") as err:
            self._proc = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                          env=self.env)
        return self._wait_ready()

    def stop(self) -> None:
        """Ask the server to exit (SIGTERM); SIGKILL it if it takes over 10 s."""
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash would; `start()` brings it back on the same port."""
        if self._proc is None:
            return
        self._proc.kill()
        self._proc.wait()
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def add_user(self, name: str) -> str:
        """Run `gasvc server add-user NAME`; return the new access key."""
        command = [
            sys.executable,
            "-m",
            "gasvc",
            "server",
            "add-user",
            name,
            *self.store_args,
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False,
                              env=self.env)
        key = done.stdout.strip()
        if done.returncode != 0 or not ACCESS_KEY.fullmatch(key):
            raise RuntimeError(
                f"add-user {name!r} failed (exit {done.returncode})\n"
                f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            )
        return key

    def logs(self) -> str:
        """The server's stdout and stderr so far, for failure messages."""
        parts = []
        for path in (self.stdout_log, self.stderr_log):
            text = path.read_text(errors="replace") if path.exists() else ""
            parts.append(f"--- {path.name} ---\n{text[-8000:]}")
        return "\n".join(parts)

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                if self._pick_port and "address already in use" in self._new_stderr():
                    return False
                raise RuntimeError(f"server exited with {code} while starting\n{self.logs()}")
            # "running on" first: what answers on the port could be another run's server
            if "Uvicorn running on" in self._new_stderr() and self._answers():
                return True
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server not ready after {READY_TIMEOUT:.0f} s\n{self.logs()}")

    def _new_stderr(self) -> str:
        """What the server wrote to stderr since this start."""
        with open(self.stderr_log, "rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def _answers(self) -> bool:
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment for a loopback probe
            try:
                response = session.get(
                    self.api + "users",
                    headers={"X-Token": _PROBE_KEY},
                    verify=self.verify,
                    timeout=2,
                )
            except requests.RequestException:
                return False
        return response.status_code in (200, 401)

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
