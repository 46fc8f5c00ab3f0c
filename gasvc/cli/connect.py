"""Which server and key the CLI uses: `GAS_URL` / `GAS_ACCESS_KEY`, else the `~/.gasconfig`
profile (the tensorbay CLI's INI format), else the workspace's remote URL with the profile key.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

from gasvc.api.client import ApiClient
from gasvc.errors import GasError

DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class Credentials:
    url: str
    key: str


def config_path() -> Path:
    return Path(os.environ.get("GAS_CONFIG") or Path.home() / ".gasconfig")


def read_profile(profile: str = DEFAULT_PROFILE) -> Credentials | None:
    """The profile's key and URL: its value is a newline, the key, and optionally the URL."""
    parser = configparser.ConfigParser()
    parser.read(config_path())
    if not parser.has_option("profiles", profile):
        return None
    lines = [line.strip() for line in parser.get("profiles", profile).splitlines()
             if line.strip()]
    if not lines:
        return None
    return Credentials(lines[1] if len(lines) > 1 else "", lines[0])


def credentials(remote_url: str | None = None, profile: str = DEFAULT_PROFILE) -> Credentials:
    saved = read_profile(profile)
    url = os.environ.get("GAS_URL") or remote_url or (saved.url if saved else "")
    key = os.environ.get("GAS_ACCESS_KEY") or (saved.key if saved else "")
    if not key:
        raise GasError("no access key configured",
                       "run `gas auth URL ACCESSKEY`, or set GAS_ACCESS_KEY")
    if not url:
        raise GasError("no server URL configured", "run `gas auth URL ACCESSKEY`, or set GAS_URL")
    return Credentials(url, key)


def tls_verify() -> bool | str:
    """`GAS_INSECURE=1` turns verification off; `GAS_CA_BUNDLE` names a CA bundle."""
    if os.environ.get("GAS_INSECURE") in ("1", "true", "yes"):
        return False
    return os.environ.get("GAS_CA_BUNDLE") or os.environ.get("REQUESTS_CA_BUNDLE") or True


def client(remote_url: str | None = None, profile: str = DEFAULT_PROFILE) -> ApiClient:
    found = credentials(remote_url, profile)
    return ApiClient(found.url, found.key, verify=tls_verify())
