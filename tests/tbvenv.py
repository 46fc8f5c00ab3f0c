"""Build (once) and locate a cached virtualenv holding the reference SDK, tensorbay 1.24.2.

The SDK is the compatibility oracle for the server, so it runs unmodified in its own interpreter;
the main test environment never imports it. Run this file directly to pre-build the cache.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

TENSORBAY_VERSION = "1.24.2"
VENV_NAME = f"tensorbay-venv-{TENSORBAY_VERSION}"
READY_MARKER = ".gasvc-ready"

# numpy-quaternion has no wheel for new Pythons; it builds against the numpy<2 installed first.
INSTALL_STEPS: list[list[str]] = [
    [
        "numpy<2",
        "ulid-py",
        "setuptools",
        "wheel",
        "requests",
        "requests-toolbelt",
        "tqdm",
        "filetype",
        "typing_extensions",
        "click",
        "urllib3",
    ],
    ["--no-build-isolation", "numpy-quaternion==2021.11.4.15.26.3"],
    ["--no-deps", f"tensorbay=={TENSORBAY_VERSION}"],
]


def cache_dir() -> Path:
    """`$GASVC_TEST_CACHE`, else `~/.cache/gasvc-tests`."""
    configured = os.environ.get("GASVC_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "gasvc-tests"


def ensure_tensorbay_python(cache: Path | None = None) -> Path:
    """Return the interpreter of the cached tensorbay venv, building it first if needed."""
    root = cache if cache is not None else cache_dir()
    venv = root / VENV_NAME
    python = venv / "bin" / "python"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{VENV_NAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run building it: wait, then reuse its work
        if not (venv / READY_MARKER).exists():
            _build(venv, root / f"{VENV_NAME}.log")
    return python


def _build(venv: Path, log_path: Path) -> None:
    if venv.exists():
        shutil.rmtree(venv)  # a half-made venv from an interrupted build
    python = venv / "bin" / "python"
    with open(log_path, "w") as log:
        commands = [[sys.executable, "-m", "venv", str(venv)]]
        commands += [[str(python), "-m", "pip", "install", *step] for step in INSTALL_STEPS]
        commands.append([str(python), "-c", "import tensorbay; print(tensorbay.__version__)"])
        for command in commands:
            log.write(f"$ {' '.join(command)}\n")
            log.flush()
            done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0:
                log.close()
                tail = log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"building {venv} failed (log: {log_path}):\n{tail}")
    (venv / READY_MARKER).write_text(TENSORBAY_VERSION + "\n")


if __name__ == "__main__":
    print(ensure_tensorbay_python())
