"""Which server, access key and TLS settings the CLI uses (from the environment, the workspace
and the profiles of `~/.gasconfig`).

Precedence, first found wins:

- URL: `GAS_URL`; the workspace's remote URL; the profile's URL.
- key: `GAS_ACCESS_KEY`; the profile's key. The profile is the one named by `-p/--profile` (or
  `GAS_PROFILE`); without one, the profile saved for the URL in use (`default` when no URL is
  given otherwise).

A key is only ever sent to the server it was saved for (`same_server`: scheme, host in any case,
default port, trailing slash): no profile's key stands in for a URL it was not saved for, and a
named profile saved for another server than the URL in use is refused. A profile without a URL
(as the tensorbay CLI writes them) is for the TensorBay cloud URL the SDK uses for its key.
- TLS: the command's own flag (`gas auth --insecure / --ca-bundle`); the profile's `insecure` /
  `ca_bundle` line; `GAS_INSECURE=1` (no verification); `GAS_CA_BUNDLE`, `REQUESTS_CA_BUNDLE`,
  `CURL_CA_BUNDLE` (a CA bundle; the last two are often set machine-wide, so a profile's own
  line wins over them); the system's CAs. A TLS error names the setting that was used.

The file itself, its profiles and saving one: gasconfig.py (loaded only when there is a file to
read or one to write).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click
import urllib3

from gasvc.api.client import ApiClient
from gasvc.cli.context import config_path
from gasvc.errors import ClientError, ConfigError
from gasvc.workspace.store.state import State
from gasvc.workspace.sync.remote import Remote, dataset_id, require_remote

if TYPE_CHECKING:
    from gasvc.cli.gasconfig import Profile

DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class Tls:
    """How the server's certificate is checked, and which setting said so (for errors)."""

    verify: bool | str = True
    source: str = "the system's CA certificates"


@dataclass(frozen=True)
class Credentials:
    url: str
    key: str
    tls: Tls = Tls()
    profile: str = ""


#: "Accesskey-" and then letters and digits (TensorBay's keys: 32 hex digits).
ACCESS_KEY = re.compile(r"Accesskey-[0-9A-Za-z]{8,128}")


class BadAccessKey(ClientError):
    """A key that does not have an access key's shape."""

    exit_code = 2


def check_access_key(key: str, where: str) -> str:
    """The key, if it has an access key's shape; else a plain error (the key is not shown)."""
    if not ACCESS_KEY.fullmatch(key):
        raise BadAccessKey(
            f"the key from {where} is not an access key: it should be 'Accesskey-' followed by"
            f" letters and digits (it has {len(key)} characters)",
            "an access key looks like Accesskey-0123456789abcdef0123456789abcdef; copy it "
            "again from the server's admin (`gas server add-user NAME` prints one)")
    return key


class NoCredentials(ClientError):
    """No access key for the server."""


def normalize_url(url: str) -> str:
    """The site URL with one trailing slash; only http:// and https:// are accepted."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        raise ConfigError(f"invalid server URL {url!r}",
                          "write it as https://HOST[:PORT]/ (or http:// for a plain server)")
    return url.rstrip("/") + "/"


def saved_profiles() -> dict[str, Profile]:
    """The profiles of `~/.gasconfig`; none, without loading the file's reader, when there is
    no such file (a set-up by environment variables)."""
    path = config_path()
    if not path.is_file():
        return {}
    from gasvc.cli.gasconfig import read_profiles

    return read_profiles(path)


# choosing -------------------------------------------------------------------------------
def chosen_profile() -> str | None:
    """The profile named by `gas -p NAME` or `GAS_PROFILE`, if any."""
    context = click.get_current_context(silent=True)
    name = context.meta.get("profile") if context is not None else None
    return str(name or os.environ.get("GAS_PROFILE") or "") or None


#: Where the SDK sends a key when given no URL (tensorbay/client/requests.py), by key prefix.
CLOUD_URLS = {"Accesskey-": "https://gas.graviti.cn/", "ACCESSKEY-": "https://gas.graviti.com/"}


class WrongServer(ClientError):
    """A key saved for another server than the one asked for."""


def profile_url(profile: Profile) -> str:
    """The server a profile's key was saved for: its URL; for a URL-less profile, the
    TensorBay cloud URL the SDK and the tensorbay CLI use for such a key ("" if none)."""
    if profile.url:
        return profile.url
    return next((url for prefix, url in CLOUD_URLS.items() if profile.key.startswith(prefix)),
                "")


def server_of(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path) of a URL, normalised: case, default port, trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port == {"http": 80, "https": 443}.get(scheme):
        port = None
    return scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def same_server(saved: str, url: str) -> bool:
    return bool(saved) and bool(url) and server_of(saved) == server_of(url)


def pick_profile(profiles: dict[str, Profile], url: str | None, name: str | None
                 ) -> Profile | None:
    """The profile whose key may go to `url`: the named one (refused when saved for another
    server), else the one saved for `url`; with no URL, the named one or `default`."""
    if name is not None:
        found = profiles.get(name.lower())
        if found is None:
            raise NoCredentials(f"profile {name!r} does not exist in {config_path()}",
                                f"create it with `gas -p {name} auth URL ACCESSKEY`")
        if url and not same_server(profile_url(found), url):
            raise WrongServer(
                f"profile {found.name!r} holds a key for {profile_url(found) or 'no server'},"
                f" not for {url}; its key is only sent to the server it was saved for",
                f"use the profile saved for {url}, or save one: "
                f"`gas -p NAME auth {url} ACCESSKEY`")
        return found
    if not url:
        return profiles.get(DEFAULT_PROFILE)
    ordered = sorted(profiles.values(), key=lambda p: (bool(not p.url), p.name != DEFAULT_PROFILE))
    return next((p for p in ordered if same_server(profile_url(p), url)), None)


def credentials(remote_url: str | None = None, profile: str | None = None) -> Credentials:
    env_url = os.environ.get("GAS_URL")
    url = env_url or remote_url or None
    saved = pick_profile(saved_profiles(), url, profile or chosen_profile())
    url = url or (profile_url(saved) if saved else "")
    key = os.environ.get("GAS_ACCESS_KEY") or (saved.key if saved else "")
    if not key and url:
        raise NoCredentials(f"no access key configured for {url} (keys are only sent to the"
                            " server they were saved for)",
                            f"run `gas auth {url} ACCESSKEY`, or set GAS_ACCESS_KEY")
    if not key:
        raise NoCredentials("no access key configured",
                            "run `gas auth URL ACCESSKEY`, or set GAS_ACCESS_KEY")
    if not url:
        raise NoCredentials("no server URL configured",
                            "run `gas auth URL ACCESSKEY`, or set GAS_URL")
    where = "GAS_ACCESS_KEY" if os.environ.get("GAS_ACCESS_KEY") else f"profile {saved.name!r}" \
        if saved else "the configuration"
    check_access_key(key, where)
    return Credentials(normalize_url(url), key, tls_for(saved), saved.name if saved else "")


def tls_for(profile: Profile | None) -> Tls:
    """The TLS setting in force: the profile's own line, else the environment's, else none."""
    if profile is not None and profile.insecure:
        return Tls(False, f"profile {profile.name!r} (insecure = true)")
    if profile is not None and profile.ca_bundle:
        return Tls(profile.ca_bundle, f"profile {profile.name!r} (ca_bundle = {profile.ca_bundle})")
    if os.environ.get("GAS_INSECURE", "").lower() in ("1", "true", "yes"):
        return Tls(False, "GAS_INSECURE")
    for variable in ("GAS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if os.environ.get(variable):
            return Tls(os.environ[variable], f"{variable}={os.environ[variable]}")
    return Tls()


def make_client(url: str, key: str, tls: Tls) -> ApiClient:
    if tls.verify is False:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    return ApiClient(url, key, verify=tls.verify, tls_source=tls.source)


def client(remote_url: str | None = None, profile: str | None = None) -> ApiClient:
    found = credentials(remote_url, profile)
    return make_client(found.url, found.key, found.tls)


# workspaces -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Connected:
    """A workspace's remote with a client for it and the dataset's server id."""

    remote: Remote
    client: ApiClient
    dataset_id: str


def connect_workspace(state: State) -> Connected:
    """The one way the CLI reaches a workspace's server (sync, drafts, tags, diff): callers that
    may not need the server call this only when they do."""
    remote = require_remote(state)
    api = client(remote.url)
    return Connected(remote, api, dataset_id(state, api))
