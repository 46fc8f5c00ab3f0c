"""`SdkRunner`: run a scenario module in the tensorbay interpreter and fail the test on error."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from serverproc import ServerProcess

RUNNER = Path(__file__).with_name("run_scenario.py")
SCENARIO_TIMEOUT = 120


@dataclass(frozen=True)
class SdkRunner:
    """Runs `FUNCTION(gas, gas_other)` of a scenario module as alice (gas) and bob (gas_other)."""

    python: Path
    server: ServerProcess
    key: str
    key2: str

    def run(self, module: str, function: str, **env: str) -> str:
        """Run one scenario; fail the test with its output unless it exits 0. Returns stdout.

        Extra keyword arguments become environment variables for the scenario.
        """
        assert self.server.tls, "the SDK only speaks https"
        environ = {
            **os.environ,
            "GAS_TEST_URL": self.server.url,
            "GAS_TEST_KEY": self.key,
            "GAS_TEST_KEY2": self.key2,
            "GAS_TEST_USER": "alice",
            "GAS_TEST_USER2": "bob",
            "REQUESTS_CA_BUNDLE": str(self.server.tls[0]),
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        command = [str(self.python), str(RUNNER), module, function]
        # a fresh folder each run: the SDK caches mask images under relative paths of its cwd
        with tempfile.TemporaryDirectory(prefix="gasvc-sdk-cwd-") as cwd:
            done = self._run(module, function, command, environ, cwd)
        if done.returncode != 0:
            pytest.fail(
                f"scenario {module}.{function} exited with {done.returncode}\n"
                + _output(done.stdout, done.stderr),
                pytrace=False,
            )
        return done.stdout

    @staticmethod
    def _run(module: str, function: str, command: list[str], environ: dict[str, str],
             cwd: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                command,
                cwd=cwd,
                env=environ,
                capture_output=True,
                text=True,
                timeout=SCENARIO_TIMEOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as expired:
            pytest.fail(
                f"scenario {module}.{function} timed out after {SCENARIO_TIMEOUT} s\n"
                + _output(_text(expired.stdout), _text(expired.stderr)),
                pytrace=False,
            )


def _text(data: str | bytes | None) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""


def _output(stdout: str, stderr: str) -> str:
    return f"--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
