"""Run the real `gas` command in temp folders, with a private `~/.gasconfig` (`GAS_CONFIG`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import forkrun
from serverproc import ServerProcess

CLEARED = ("GAS_URL", "GAS_ACCESS_KEY", "GAS_PROFILE", "GAS_INSECURE", "GAS_CA_BUNDLE",
           "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class Gas:
    """`gas(cwd, *args)` runs `python -m gasvc ARGS` in `cwd` (a forked child, see forkrun.py);
    `home` holds the config file."""

    def __init__(self, home: Path, **env: str) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.config = home / ".gasconfig"
        self.env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        self.env.update(HOME=str(home), GAS_CONFIG=str(self.config), GAS_AUTHOR="tester",
                        **env)

    def __call__(self, cwd: Path, *args: str, check: bool = True, **env: str
                 ) -> subprocess.CompletedProcess[str]:
        cwd.mkdir(parents=True, exist_ok=True)
        result = forkrun.run(list(args), cwd, {**self.env, **env}, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"gas {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def login(self, server: ServerProcess, key: str, profile: str = "default") -> None:
        """Write a profile for `server` directly (as `gas auth --ca-bundle` would)."""
        tls = f"\n\tca_bundle = {server.verify}" if server.tls else ""
        text = self.config.read_text() if self.config.exists() else ""
        if "[profiles]" not in text:
            text += "[profiles]\n"
        text = text.replace("[profiles]\n",
                            f"[profiles]\n{profile} = \n\t{key}\n\t{server.url}{tls}\n", 1)
        self.config.write_text(text)


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def committed_offline(gas: Gas, root: Path, files: dict[str, str]) -> Path:
    """An offline workspace at `root` holding `files`, all added and committed ("first")."""
    gas(root, "init", "--no-remote")
    write(root, files)
    gas(root, "add", "-A")
    gas(root, "commit", "-m", "first")
    return root


def failed(result: subprocess.CompletedProcess[str], message: str) -> None:
    """The command failed cleanly: exit code not 0, `message` in stderr, no traceback."""
    assert result.returncode != 0, result.stdout
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "this is a bug" not in result.stderr, result.stderr
